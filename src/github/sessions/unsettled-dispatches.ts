import { formatRunName } from "../../core/dispatch-inputs.js";
import type { TaskGraph } from "../../core/task-graph.js";
import type { SessionRecord } from "./session-record.js";
import type { WorkflowRunLike } from "./workflow-run.js";

/**
 * Which dispatches of running attempts are not settled yet, and when one may go out again (the
 * rule of "provably no run" is in dispatch-task.ts; the session pass carries it out).
 */

/** Dispatches of one attempt at most before the attempt fails. */
export const MAX_DISPATCHES = 4;

/** A listing proves a run absent only for runs created after its start: it reaches this far back. */
const LISTING_MARGIN_MS = 60_000;

export interface DueDispatch {
  id: string;
  attempt: number;
  /** Which dispatch of the attempt the last one was (1, 2, …); the next is `claim + 1`. */
  claim: number;
  /** True: settled only by a listing that shows no run for the attempt. False: refused for a rate limit. */
  uncertain: boolean;
}

/**
 * The dispatches to settle now: every `unsent` one, and `uncertain` ones sent at least
 * `settleMs` ago. `listSince`: how far back the listing must reach (undefined: none needed).
 */
export function dueDispatches(args: {
  record: SessionRecord;
  graph: TaskGraph;
  now: Date;
  settleMs: number;
}): { due: DueDispatch[]; listSince: Date | undefined } {
  const due: DueDispatch[] = [];
  let since: number | undefined;
  const now = args.now.getTime();
  for (const id of args.graph.order) {
    const task = args.record.tasks[id];
    const pending = args.record.runs[id]?.dispatch;
    if (task?.status !== "running" || pending === undefined) continue;
    const parsed = Date.parse(pending.at);
    const at = Number.isNaN(parsed) ? now - args.settleMs : parsed;
    const uncertain = pending.state === "uncertain";
    if (uncertain && now - at < args.settleMs) continue;
    due.push({ id, attempt: task.attempts, claim: pending.claim, uncertain });
    if (uncertain) since = Math.min(since ?? at, at);
  }
  return { due, listSince: since === undefined ? undefined : new Date(since - LISTING_MARGIN_MS) };
}

/**
 * Whether the attempt may be dispatched again: a rate-limited dispatch always; an uncertain one
 * only when a listing was read whole and holds no run named for the attempt.
 */
export function provablyNoRun(args: {
  item: DueDispatch;
  sessionId: string;
  listed: readonly WorkflowRunLike[] | null;
}): boolean {
  if (!args.item.uncertain) return true;
  if (args.listed === null) return false;
  const runName = formatRunName({
    sessionId: args.sessionId,
    taskId: args.item.id,
    attempt: args.item.attempt,
  });
  return !args.listed.some((run) => run.display_title === runName);
}
