import { BackgroundWork, RecentIds } from "./background-work.js";
import type { LoadedSession } from "./load-session.js";
import type { MergedPull } from "./restack-dependents.js";
import { SessionQueue } from "./session-queue.js";
import type { TaskView } from "./session-record.js";
import { TasksCache } from "./tasks-source.js";
import type { WorkflowRunLike } from "./workflow-run.js";

/**
 * The in-memory state of one App process. Losing it (a restart) costs a few reads and, for a
 * session whose record was unsaved at that moment, possibly a second run of an attempt it had
 * just dispatched (cancelled as a duplicate when seen); two processes with separate runtimes
 * stay safe the same way (dispatch-task.ts).
 */
export interface SessionRuntime {
  queue: SessionQueue;
  /** Webhook work going on after its delivery was answered. */
  background: BackgroundWork;
  /** Runs this process dispatched and linked to their attempt: their `requested` and `in_progress` events tell nothing new. */
  linkedRuns: RecentIds;
  /** Runs whose `workflow_run.completed` this process took in: their job events need no read. */
  completedRuns: RecentIds;
  tasks: TasksCache;
  /** Wake-ups waiting for their turn, per session: later ones join the waiting batch. */
  pendingWakes: Map<string, PendingWake>;
  /**
   * Runs of wake-ups whose pass GitHub failed, per session: the next pass of that session (a
   * webhook, a command, the sweep) takes them in, so no event batched into a failed pass is lost.
   */
  carriedRuns: Map<string, WorkflowRunLike[]>;
  /**
   * Sessions whose record this process changed and has not saved yet (a pass that failed, or
   * left its bookkeeping to the wake-up waiting behind it): their next pass goes on from this
   * record, not the older one on GitHub, so nothing it did (a dispatch above all) is done twice.
   */
  unsaved: Map<string, UnsavedSession>;
  /** API base URLs known to reject `return_run_details` (GitHub Enterprise Server ≤ 3.20). */
  noRunDetails: Set<string>;
  /** Repositories ("owner/repo", lower case) whose stacked pull request API answered 404 (restack-stacks.ts). */
  noStacks: Set<string>;
}

export interface UnsavedSession {
  session: LoadedSession;
  /** Attempt outcomes whose check runs may not be written yet (see projectTaskChecks). */
  finished: Array<{ id: string; entry: TaskView }>;
  /** When the record first differed from the saved one (ms, the App's clock). */
  since: number;
}

export interface PendingWake {
  runs: WorkflowRunLike[];
  /** A wake-up batched into this pass asked to read the issue graph again. */
  rereadGraph?: boolean;
  /** Merged pull requests of tasks (their dependents are restacked). */
  merged?: MergedPull[];
  promise: Promise<unknown>;
}

/** Resolves once no webhook work and no session pass is left (tests, benchmarks, shutdown). */
export async function runtimeIdle(runtime: SessionRuntime): Promise<void> {
  // Webhook work queues passes; new deliveries may start more meanwhile: look until both are empty.
  for (let round = 0; round < 1_000; round++) {
    await runtime.background.idle();
    await runtime.queue.idle();
    if (runtime.background.size === 0 && runtime.queue.activeKeys.length === 0) return;
  }
}

export function createSessionRuntime(): SessionRuntime {
  return {
    queue: new SessionQueue(),
    background: new BackgroundWork(),
    linkedRuns: new RecentIds(),
    completedRuns: new RecentIds(),
    tasks: new TasksCache(),
    pendingWakes: new Map(),
    carriedRuns: new Map(),
    unsaved: new Map(),
    noRunDetails: new Set(),
    noStacks: new Set(),
  };
}
