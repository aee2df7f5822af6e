import { SessionQueue } from "./session-queue.js";
import { TasksCache } from "./tasks-source.js";
import type { WorkflowRunLike } from "./workflow-run.js";

/**
 * The in-memory state of one App process. None of it matters for correctness: losing it (a
 * restart) costs a few reads, and two processes with separate runtimes stay safe because
 * GitHub-side claims decide who dispatches.
 */
export interface SessionRuntime {
  queue: SessionQueue;
  tasks: TasksCache;
  /** Wake-ups waiting for their turn, per session: later ones join the waiting batch. */
  pendingWakes: Map<string, PendingWake>;
  /**
   * Runs of wake-ups whose pass GitHub failed, per session: the next pass of that session (a
   * webhook, a command, the sweep) takes them in, so no event batched into a failed pass is lost.
   */
  carriedRuns: Map<string, WorkflowRunLike[]>;
  /** API base URLs known to reject `return_run_details` (GitHub Enterprise Server ≤ 3.20). */
  noRunDetails: Set<string>;
}

export interface PendingWake {
  runs: WorkflowRunLike[];
  promise: Promise<unknown>;
}

export function createSessionRuntime(): SessionRuntime {
  return {
    queue: new SessionQueue(),
    tasks: new TasksCache(),
    pendingWakes: new Map(),
    carriedRuns: new Map(),
    noRunDetails: new Set(),
  };
}
