import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { TASK_STATUSES, type SessionConclusion, type TaskObservation } from "../core/reconcile.js";

/**
 * The local session's record, `.orchestrator/state.json`. It holds the core's observations
 * (`tasks`, exactly what `reconcile` reads) plus what the executor learned about each attempt
 * (`runs`), and is rewritten atomically after every transition, so a `kill -9` at any moment
 * leaves either the previous or the next state on disk, never half of one.
 */

export const STATE_VERSION = 1;

export interface TaskRunRecord {
  branch: string;
  /** ISO times of the current (or last) attempt. */
  startedAt?: string;
  endedAt?: string;
  /** Branch tip after the task's commit. */
  commitSha?: string;
  changedFiles?: number;
  commits?: number;
  /** What failed, for code; the words are the observation's `reason`. */
  failureKind?: string;
  /** Set while a failed task's worktree is kept for inspection. */
  keptWorktree?: string;
}

export interface LocalSessionState {
  version: typeof STATE_VERSION;
  sessionId: string;
  /** The tasks file as given, relative to the repository root when inside it. */
  tasksFile: string;
  /** sha256 of the tasks file's bytes: `--resume` refuses a file that changed since. */
  tasksFileSha256: string;
  baseBranch: string;
  maxParallel: number;
  /** The `--agent` command (argv) if one was used; absent: Claude Code. Reused by `--resume`. */
  agentCommand?: string[];
  startedAt: string;
  updatedAt: string;
  /** Set once nothing is left to run. */
  finished?: { at: string; conclusion: SessionConclusion; summary: string };
  /** Set when the last run was stopped (Ctrl-C, SIGTERM) before finishing. */
  interrupted?: { at: string; reason: string };
  tasks: Record<string, TaskObservation>;
  runs: Record<string, TaskRunRecord>;
}

export class StateFileError extends Error {
  override readonly name = "StateFileError";
}

export async function readStateFile(path: string): Promise<LocalSessionState | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(
      `The session state ${path} is not valid JSON (${(error as Error).message}). ` +
        `Delete it to start a new session.`,
    );
  }
  return checkState(value, path);
}

/**
 * Writes to a temporary file beside the target, flushes it to disk, then renames it over the
 * target: rename within a directory is atomic on POSIX, so readers and crashes see one whole file.
 */
export async function writeStateFile(path: string, state: LocalSessionState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function checkState(value: unknown, path: string): LocalSessionState {
  const problem = (what: string) =>
    new StateFileError(`The session state ${path} ${what}. Delete it to start a new session.`);
  if (typeof value !== "object" || value === null) throw problem("is not a JSON object");
  const state = value as Partial<LocalSessionState>;
  if (state.version !== STATE_VERSION) {
    throw problem(
      `has format version ${String(state.version)}; this orchestrator reads version ${STATE_VERSION}`,
    );
  }
  const strings = [
    "sessionId",
    "tasksFile",
    "tasksFileSha256",
    "baseBranch",
    "startedAt",
    "updatedAt",
  ] as const;
  for (const key of strings) if (typeof state[key] !== "string") throw problem(`has no ${key}`);
  if (typeof state.maxParallel !== "number") throw problem("has no maxParallel");
  if (typeof state.tasks !== "object" || state.tasks === null) throw problem("has no tasks");
  if (typeof state.runs !== "object" || state.runs === null) throw problem("has no runs");
  for (const [id, observation] of Object.entries(state.tasks)) {
    if (!TASK_STATUSES.includes(observation.status) || typeof observation.attempts !== "number") {
      throw problem(`has an unreadable entry for task ${id}`);
    }
  }
  return state as LocalSessionState;
}
