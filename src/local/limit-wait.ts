import { finalQuestion, refusedToolList } from "../core/task-attention.js";
import type { TaskObservations } from "../core/reconcile.js";
import type { TaskRunResult } from "../runner/run-task.js";
import type { TaskRunRecord } from "./state-file.js";

/**
 * The local executor's part of "needs input" and "limited": what it keeps of such an attempt
 * beside the core's state, and how long it waits for a limit to reset.
 */

/** The longest a run waits for a limit by itself; past it, it stops and `--resume` goes on. */
export const DEFAULT_MAX_LIMIT_WAIT_MS = 6 * 60 * 60_000;

/** Keeps what a needs-input or limited attempt told, for the table, the summary and `--allow-tools`. */
export function keepAttentionFacts(run: TaskRunRecord, result: TaskRunResult): void {
  if (result.failure?.kind === "needs_input") {
    const tools = refusedToolList(result.deniedTools);
    if (tools.length > 0) run.refusedTools = tools;
    const question = finalQuestion(result.summary);
    if (question !== undefined) run.question = question;
  }
  if (result.failure?.kind === "limited") run.limitNote = result.failure.message;
}

/** The earliest time a task waiting out a limit may start, if one waits. */
export function nextResume(tasks: TaskObservations): number | undefined {
  let earliest: number | undefined;
  for (const task of Object.values(tasks)) {
    const at = task?.status === "pending" ? task.resumeAt : undefined;
    if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
  }
  return earliest;
}

/** Waits until `until` (epoch ms) or an abort; true when the time came. */
export function sleepUntil(until: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const done = (came: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(came);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), Math.max(0, until - Date.now()));
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** "14:05" in the local time zone, for "limited until 14:05". */
export function clockTime(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 5);
}
