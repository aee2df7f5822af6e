import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Runs one agent process as the leader of its own process group, so that everything it starts
 * (shells, test runners, dev servers left in the background) can be stopped together. Agents
 * spawn grandchildren freely; killing only the direct child would leave them running, holding
 * the worktree and ports after the task is over.
 */

export interface ProcessTreeRun {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed: prompts never travel through argv or a shell. */
  stdin: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Time between SIGTERM and SIGKILL when stopping the tree. */
  killGraceMs?: number;
  /** stdout and stderr are appended here as they arrive (parent directories are created). */
  logFile?: string;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

export interface ProcessTreeOutcome {
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  /** Why we stopped the tree ourselves, if we did. */
  stoppedBy?: "timeout" | "abort";
  /** Set when the process could not be started; nothing ran. */
  startError?: { code: string; message: string };
  durationMs: number;
}

export const DEFAULT_KILL_GRACE_MS = 3_000;
const PIPE_CLOSE_WAIT_MS = 2_000;

export async function runProcessTree(run: ProcessTreeRun): Promise<ProcessTreeOutcome> {
  const startedAt = Date.now();
  const notStarted = (code: string, message: string): ProcessTreeOutcome => ({
    exitCode: null,
    exitSignal: null,
    startError: { code, message },
    durationMs: Date.now() - startedAt,
  });

  // Node reports a missing cwd as "spawn <command> ENOENT", which would blame the command.
  if (!(await isDirectory(run.cwd))) {
    return notStarted("ENOCWD", `working directory ${run.cwd} does not exist`);
  }
  if (run.signal?.aborted) {
    return { exitCode: null, exitSignal: null, stoppedBy: "abort", durationMs: 0 };
  }

  let log: WriteStream | undefined;
  if (run.logFile !== undefined) {
    try {
      log = await openLog(run.logFile);
    } catch (error) {
      return notStarted("ELOG", `cannot open log file ${run.logFile}: ${errorMessage(error)}`);
    }
  }

  const child = spawn(run.command, [...run.args], {
    cwd: run.cwd,
    env: run.env,
    detached: process.platform !== "win32",
    stdio: ["pipe", "pipe", "pipe"],
  });

  // Not events.once: it rejects on "error", and a start failure is an outcome here, not a throw.
  const startError = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", resolve);
  });
  if (startError !== undefined) {
    await closeLog(log);
    return notStarted(startError.code ?? "ESPAWN", startError.message);
  }
  child.on("error", () => undefined);
  const pid = child.pid;
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("exit", (code, signal) => resolve([code, signal])),
  );
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));

  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    log?.write(chunk);
    run.onStdout?.(chunk);
  });
  child.stderr.on("data", (chunk: string) => {
    log?.write(chunk);
    run.onStderr?.(chunk);
  });
  // An agent that exits without reading its prompt closes the pipe under us (EPIPE): that is
  // the agent's business, reported through its exit code, not a crash of ours.
  child.stdin.on("error", () => undefined);
  child.stdin.end(run.stdin);

  let stoppedBy: ProcessTreeOutcome["stoppedBy"];
  const stop = (reason: "timeout" | "abort") => {
    if (stoppedBy !== undefined || pid === undefined) return;
    stoppedBy = reason;
    void stopProcessTree(pid, run.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  };
  const timer = run.timeoutMs === undefined ? undefined : setTimeout(() => stop("timeout"), run.timeoutMs);
  const onAbort = () => stop("abort");
  run.signal?.addEventListener("abort", onAbort, { once: true });
  if (run.signal?.aborted === true) onAbort(); // aborted while we were starting

  const [exitCode, exitSignal] = await exited;
  clearTimeout(timer);
  run.signal?.removeEventListener("abort", onAbort);
  // The leader is gone; whatever it left in its group goes too, and only then do its pipes
  // (which those leftovers may hold open) close.
  if (pid !== undefined) await stopProcessTree(pid, run.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  // A process that left the group (its own setsid) may still hold the pipes; do not wait on it forever.
  await Promise.race([closed, sleep(PIPE_CLOSE_WAIT_MS)]);
  child.stdout.destroy();
  child.stderr.destroy();
  await closeLog(log);

  return {
    exitCode,
    exitSignal,
    ...(stoppedBy === undefined ? {} : { stoppedBy }),
    durationMs: Date.now() - startedAt,
  };
}

/** "code 2" or "signal SIGSEGV", for messages. */
export function exitDescription(outcome: Pick<ProcessTreeOutcome, "exitCode" | "exitSignal">): string {
  return outcome.exitSignal === null ? `code ${String(outcome.exitCode)}` : `signal ${outcome.exitSignal}`;
}

/**
 * SIGTERM the process group, then SIGKILL whatever is still in it after `graceMs`. Resolves once
 * the group is empty (or immediately if it already is).
 */
export async function stopProcessTree(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, "SIGTERM")) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(50);
    if (!(await groupAlive(pgid))) return;
  }
  signalGroup(pgid, "SIGKILL");
  // SIGKILL cannot be ignored; wait briefly so callers can rely on "gone" when we return.
  for (let i = 0; i < 40 && (await groupAlive(pgid)); i++) await sleep(25);
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    // Windows has no process groups; the direct child is the best we can do there.
    process.kill(process.platform === "win32" ? pgid : -pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nothing left in the group
  }
}

async function groupAlive(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  return process.platform !== "linux" || (await hasLiveMember(pgid));
}

/**
 * Zombies still count as group members for kill(2), and they stay zombies where PID 1 does not
 * reap orphans (minimal containers without an init). A group of zombies has nothing left to stop.
 */
async function hasLiveMember(pgid: number): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return true;
  }
  const states = await Promise.all(
    entries.filter((entry) => /^\d+$/.test(entry)).map((entry) => processState(entry)),
  );
  return states.some(
    (state) => state !== undefined && state.pgrp === pgid && state.state !== "Z" && state.state !== "X",
  );
}

async function processState(pid: string): Promise<{ state: string; pgrp: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ")".
    const [state = "", , pgrp = ""] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state, pgrp: Number(pgrp) };
  } catch {
    return undefined; // ended while we looked
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function openLog(path: string): Promise<WriteStream> {
  await mkdir(dirname(path), { recursive: true });
  // Append: a retried task keeps the log of its earlier attempts.
  const stream = createWriteStream(path, { flags: "a" });
  await once(stream, "open");
  // A full disk must not take the run down with it; the log is a convenience.
  stream.on("error", () => undefined);
  return stream;
}

async function closeLog(log: WriteStream | undefined): Promise<void> {
  if (log === undefined || log.closed) return;
  log.end();
  await once(log, "close");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
