import { readFileSync } from "node:fs";

/** The process name of the Actions runner's worker (`Runner.Worker`), as Linux shows it. */
const WORKER_NAME = "Runner.Worker";

/**
 * When the Actions runner's worker started (ms since epoch), read from Linux's /proc: the parent of
 * a JavaScript action's process is the worker, which the runner starts for each job before its
 * first step, so its start is the job's clock, the one the job's `timeout-minutes` counts from
 * (`agentDeadline` checks it is plausible). Undefined when the parent is not the worker (another
 * OS, a container job, a test) or /proc cannot be read.
 */
export function workerStartedAt(pid: number = process.ppid): number | undefined {
  try {
    if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== WORKER_NAME) return undefined;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime, clock ticks after boot); the name in field 2 may hold spaces and ")".
    const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    const boot = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1];
    if (!Number.isFinite(ticks) || boot === undefined) return undefined;
    // USER_HZ, the unit of starttime, is 100 on every Linux architecture Actions runs on.
    return Number(boot) * 1000 + ticks * 10;
  } catch {
    return undefined;
  }
}
