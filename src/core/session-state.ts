import { z } from "zod";
import { TASK_STATUSES, type TaskObservation } from "./reconcile.js";

/**
 * What the core owns of a session: each task's state and the session's own flags. Both runtimes
 * store exactly this shape (the App inside its check-run record, the local executor in its state
 * file) and keep their own facts — run ids, worktree paths — beside it, never inside it. Only
 * the session machine (session-machine.ts) changes it.
 */

export const SESSION_CONCLUSIONS = ["success", "failure", "cancelled", "action_required"] as const;

export const taskStateSchema = z.object({
  status: z.enum(TASK_STATUSES),
  attempts: z.number().int().min(0),
  reason: z.string().optional(),
  costUsd: z.number().min(0).optional(),
  merged: z.boolean().optional(),
  grantUsd: z.number().min(0).optional(),
  resumeAt: z.number().optional(),
  uncounted: z.number().int().min(0).optional(),
  allowedTools: z.array(z.string()).max(100).optional(),
  feedback: z.string().max(20_000).optional(),
});

export const sessionOutcomeSchema = z.object({
  conclusion: z.enum(SESSION_CONCLUSIONS),
  summary: z.string(),
});

/** The fields a record holds for the core, as a zod shape to spread into a record's schema. */
export const sessionStateShape = {
  /** A missing entry means "pending, never started". */
  tasks: z.record(z.string(), taskStateSchema),
  /** A cancel was asked for: nothing new starts, running attempts are stopped. */
  cancelRequested: z.boolean().optional(),
  /** Set when the session ended; cleared again when a retry reopens it. */
  outcome: sessionOutcomeSchema.optional(),
};

export interface SessionState {
  tasks: Record<string, TaskObservation>;
  cancelRequested?: boolean | undefined;
  outcome?: SessionOutcomeRecord | undefined;
}

export type SessionOutcomeRecord = z.infer<typeof sessionOutcomeSchema>;

/** The core's part of a record, copied so that a transition never changes its input. */
export function copySessionState(state: SessionState): SessionState {
  const tasks: Record<string, TaskObservation> = {};
  for (const [id, task] of Object.entries(state.tasks))
    tasks[id] =
      task.allowedTools === undefined ? { ...task } : { ...task, allowedTools: [...task.allowedTools] };
  const copy: SessionState = { tasks };
  if (state.cancelRequested === true) copy.cancelRequested = true;
  if (state.outcome !== undefined) copy.outcome = { ...state.outcome };
  return copy;
}

/** Writes the core's fields of `state` into an adapter's record, dropping those it no longer has. */
export function storeSessionState(record: SessionState, state: SessionState): void {
  record.tasks = state.tasks;
  if (state.cancelRequested === true) record.cancelRequested = true;
  else delete record.cancelRequested;
  if (state.outcome !== undefined) record.outcome = state.outcome;
  else delete record.outcome;
}
