import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { randomUUID } from "node:crypto";
import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { canReadProc, TREE_MARKER_VAR, treeMembers } from "./process-tree-members.js";

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
  /**
   * Aborting stops the tree because the caller saw that the run cannot succeed (Claude Code
   * retrying a model API it cannot reach); `stoppedBy` is then "fail_fast".
   */
  failFast?: AbortSignal;
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
  stoppedBy?: StopReason;
  /** Set when the process could not be started; nothing ran. */
  startError?: { code: string; message: string };
  durationMs: number;
}

export type StopReason = "timeout" | "abort" | "fail_fast";

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

  // Inherited by everything the agent starts: how its tree is found once it has left the group.
  const marker = randomUUID();
  const child = spawn(run.command, [...run.args], {
    cwd: run.cwd,
    env: { ...run.env, [TREE_MARKER_VAR]: marker },
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
  const stop = (reason: StopReason) => {
    if (stoppedBy !== undefined || pid === undefined) return;
    stoppedBy = reason;
    void stopProcessTree(pid, run.killGraceMs ?? DEFAULT_KILL_GRACE_MS, marker);
  };
  const timer = run.timeoutMs === undefined ? undefined : setTimeout(() => stop("timeout"), run.timeoutMs);
  const onAbort = () => stop("abort");
  run.signal?.addEventListener("abort", onAbort, { once: true });
  if (run.signal?.aborted === true) onAbort(); // aborted while we were starting
  const onFailFast = () => stop("fail_fast");
  run.failFast?.addEventListener("abort", onFailFast, { once: true });
  if (run.failFast?.aborted === true) onFailFast();

  const [exitCode, exitSignal] = await exited;
  clearTimeout(timer);
  run.signal?.removeEventListener("abort", onAbort);
  run.failFast?.removeEventListener("abort", onFailFast);
  // The leader is gone; whatever it left in its group goes too, and only then do its pipes
  // (which those leftovers may hold open) close.
  if (pid !== undefined) await stopProcessTree(pid, run.killGraceMs ?? DEFAULT_KILL_GRACE_MS, marker);
  // A process that escaped even that (it cleared its environment) may still hold the pipes; do
  // not wait on it forever.
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
 * SIGTERM the agent's tree (its process group, and on Linux every process `treeMembers` finds,
 * setsid escapees included), then SIGKILL whatever is still there after `graceMs`, scanning again
 * each round for processes started meanwhile. Resolves once nothing is left, or after a bounded
 * number of SIGKILL rounds.
 */
export async function stopProcessTree(pgid: number, graceMs: number, marker?: string): Promise<void> {
  if (!canReadProc) return stopProcessGroup(pgid, graceMs);
  const members = () => treeMembers({ pgid, marker });
  const terminated = new Set<number>();
  const terminate = (pids: readonly number[]) => {
    signalGroup(pgid, "SIGTERM");
    for (const pid of pids.filter((pid) => !terminated.has(pid))) {
      terminated.add(pid);
      signalProcess(pid, "SIGTERM");
    }
  };
  let left = await members();
  if (left.length === 0) return;
  terminate(left);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(50);
    left = await members();
    if (left.length === 0) return;
    terminate(left); // late arrivals, started while the others were stopping
  }
  for (let round = 0; round < KILL_ROUNDS && left.length > 0; round++) {
    signalGroup(pgid, "SIGKILL");
    for (const pid of left) signalProcess(pid, "SIGKILL");
    await sleep(25);
    left = await members();
  }
}

const KILL_ROUNDS = 80;

/** Where there is no /proc: the process group is all we can reach. */
async function stopProcessGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, "SIGTERM")) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(50);
    if (!signalGroup(pgid, 0)) return;
  }
  signalGroup(pgid, "SIGKILL");
  for (let i = 0; i < 40 && signalGroup(pgid, 0); i++) await sleep(25);
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  // Windows has no process groups; the direct child is the best we can do there.
  return signalProcess(process.platform === "win32" ? pgid : -pgid, signal);
}

function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // ESRCH: already gone
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
