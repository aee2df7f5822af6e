import { readFile, readdir, readlink } from "node:fs/promises";
import { sep } from "node:path";
import { stopProcessTree } from "../runner/process-tree.js";

/**
 * Agents run in process groups of their own (so a task's whole tree can be stopped), which also
 * means they outlive an executor killed with -9. Before a run touches the worktrees again, every
 * process still working inside them is such a leftover: its group is stopped, so a restarted
 * task never races the agent of its interrupted attempt.
 *
 * Found by working directory through /proc (Linux). Where there is no /proc this finds nothing;
 * the worktrees are still reset, and a leftover agent can at worst edit a worktree that is no
 * longer used.
 */
export async function stopOrphanAgents(args: { worktreesDir: string; graceMs?: number }): Promise<number[]> {
  const entries = await readdir("/proc").catch(() => [] as string[]);
  const inside = args.worktreesDir.endsWith(sep) ? args.worktreesDir : `${args.worktreesDir}${sep}`;
  const ownGroup = await processGroupOf(process.pid);
  const groups = new Set<number>();
  // All at once: one by one, a machine's few hundred processes would delay the session's start.
  await Promise.all(
    entries.map(async (entry) => {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return;
      const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => null);
      if (cwd === null || !(`${cwd}${sep}`.startsWith(inside) && cwd.length >= inside.length)) return;
      const group = await processGroupOf(pid);
      // Never our own group (someone ran the executor from inside a worktree): stop the process only.
      groups.add(group === null || group === ownGroup ? -pid : group);
    }),
  );
  const stopped: number[] = [];
  for (const group of groups) {
    if (group < 0) {
      try {
        process.kill(-group, "SIGKILL");
        stopped.push(-group);
      } catch {
        // Already gone.
      }
      continue;
    }
    await stopProcessTree(group, args.graceMs ?? 1_000);
    stopped.push(group);
  }
  return stopped;
}

/** Field 5 of /proc/<pid>/stat; the command name (field 2) may hold spaces, so parse after ")". */
async function processGroupOf(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const group = Number(fields[2]);
  return Number.isInteger(group) && group > 0 ? group : null;
}
