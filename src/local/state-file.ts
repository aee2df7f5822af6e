import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { sessionStateShape } from "../core/session-state.js";

/**
 * The local session's record, `.orchestrator/state.json`. It holds the core's state (`tasks`,
 * `outcome`: exactly what the session machine owns) plus what the executor learned about each
 * attempt (`runs`), is checked against its schema when read, and is rewritten atomically after
 * every transition, so a `kill -9` at any moment leaves either the previous or the next state on
 * disk, never half of one.
 */

export const STATE_VERSION = 2;

const interruptionSchema = z.object({
  attempt: z.number().int().min(1),
  at: z.string(),
  /** What the agent reported it spent; absent: not known (it was stopped before reporting). */
  costUsd: z.number().min(0).optional(),
  /** The agent's commits, kept under a ref because the task runs again from a fresh start. */
  kept: z
    .array(z.object({ ref: z.string(), commit: z.string(), commits: z.number().int().min(0) }))
    .optional(),
});
export type InterruptionRecord = z.infer<typeof interruptionSchema>;

const taskRunSchema = z.object({
  branch: z.string(),
  /** ISO times of the current (or last) attempt. */
  startedAt: z.string().optional(),
  /**
   * The commit the current attempt's work starts from, written once its branch is prepared and
   * before its agent runs: on resume, commits beyond it are the interrupted attempt's work.
   */
  baseSha: z.string().optional(),
  endedAt: z.string().optional(),
  /** Branch tip after the task's commit. */
  commitSha: z.string().optional(),
  changedFiles: z.number().int().min(0).optional(),
  commits: z.number().int().min(0).optional(),
  /** What failed, for code; the words are the task state's `reason`. */
  failureKind: z.string().optional(),
  /** Set while a failed task's worktree is kept for inspection. */
  keptWorktree: z.string().optional(),
  /** A needs-input attempt: the tools it was refused and the question it ended with (the agent's). */
  refusedTools: z.array(z.string()).max(20).optional(),
  question: z.string().max(2_000).optional(),
  /** A limited attempt: what the model API said (the task is pending again until its `resumeAt`). */
  limitNote: z.string().optional(),
  /** Attempts cut off (kill -9, Ctrl-C) after their agent started: kept across attempts. */
  interruptions: z.array(interruptionSchema).optional(),
});
export type TaskRunRecord = z.infer<typeof taskRunSchema>;

/** The executor's facts about an attempt, dropped when the session machine says it no longer applies. */
export const PER_ATTEMPT_RUN_FACTS = [
  "startedAt",
  "baseSha",
  "endedAt",
  "commitSha",
  "changedFiles",
  "commits",
  "failureKind",
  "keptWorktree",
  "refusedTools",
  "question",
  "limitNote",
] as const satisfies ReadonlyArray<keyof TaskRunRecord>;

const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  sessionId: z.string(),
  /** The tasks file as given, relative to the repository root when inside it. */
  tasksFile: z.string(),
  /** sha256 of the tasks file's bytes: `--resume` refuses a file that changed since. */
  tasksFileSha256: z.string(),
  /** A digest of each task's definition: `--retry` allows edits only to tasks that did not succeed. */
  taskDigests: z.record(z.string(), z.string()).optional(),
  baseBranch: z.string(),
  maxParallel: z.number().int().min(1),
  /** The `--agent` command (argv) if one was used; absent: Claude Code. Reused by `--resume`. */
  agentCommand: z.array(z.string()).optional(),
  startedAt: z.string(),
  updatedAt: z.string(),
  /** The core's state of the session (tasks, outcome): see core/session-state.ts. */
  ...sessionStateShape,
  /** When the session ended (set with `outcome`). */
  finishedAt: z.string().optional(),
  /** Set when the last run was stopped (Ctrl-C, SIGTERM, waiting for merges) before finishing. */
  interrupted: z.object({ at: z.string(), reason: z.string() }).optional(),
  /** The executor's own facts per task, beside the core's state. */
  runs: z.record(z.string(), taskRunSchema),
});
export type LocalSessionState = z.infer<typeof stateSchema>;

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
  const version = (value as { version?: unknown }).version;
  if (version !== STATE_VERSION && version !== 1) {
    throw problem(`has format version ${String(version)}; this orchestrator reads version ${STATE_VERSION}`);
  }
  const parsed = stateSchema.safeParse(
    version === 1 ? migrateVersion1(value as Record<string, unknown>) : value,
  );
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const [top, id] = issue?.path ?? [];
  if ((top === "tasks" || top === "runs") && typeof id === "string") {
    throw problem(`has an unreadable entry for task ${id} (${issue?.message ?? "invalid"})`);
  }
  throw problem(`has an unreadable ${issue?.path.join(".") || "content"} (${issue?.message ?? "invalid"})`);
}

/** Version 1 kept the outcome and its time together as `finished`. */
function migrateVersion1(value: Record<string, unknown>): Record<string, unknown> {
  const { finished, ...rest } = value as {
    finished?: { at?: unknown; conclusion?: unknown; summary?: unknown };
  };
  const migrated: Record<string, unknown> = { ...rest, version: STATE_VERSION };
  if (finished !== undefined) {
    migrated.outcome = { conclusion: finished.conclusion, summary: finished.summary };
    migrated.finishedAt = finished.at;
  }
  return migrated;
}
