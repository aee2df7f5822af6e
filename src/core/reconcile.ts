import { isBudgetReached } from "./attempt-budget.js";
import { formatCost } from "./format.js";
import type { TaskGraph } from "./task-graph.js";

/**
 * The reconciler: the one place that decides what a session does next. It is level-triggered:
 * given the desired state (the graph) and everything observed so far, it returns the actions
 * that close the gap. It keeps no memory, so a duplicate, late or reordered event that leads to
 * the same observation leads to the same answer.
 */

export const TASK_STATUSES = ["pending", "running", "succeeded", "failed", "skipped", "cancelled"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface TaskObservation {
  status: TaskStatus;
  /** Attempts started so far (a running task's current attempt is this number). */
  attempts: number;
  /** Why the task failed, was skipped or cancelled: plain words for the user. */
  reason?: string | undefined;
  /** Money spent by all attempts so far. */
  costUsd?: number | undefined;
  /**
   * The task's work has reached the base branch (its pull request was merged). Only tasks whose
   * dependents use `base: "merged"` need this observed.
   */
  merged?: boolean | undefined;
  /**
   * With a session budget: what the running attempt may spend (attempt-budget.ts), reserved
   * until it ends. Belongs to the running attempt only.
   */
  grantUsd?: number | undefined;
  /**
   * A revise's feedback (revise-task.ts) for the task's next attempt: kept while it is pending
   * and running, so the start carries it; gone when that attempt ends.
   */
  feedback?: string | undefined;
}

/** A missing entry means "pending, never started". */
export type TaskObservations = Readonly<Record<string, TaskObservation | undefined>>;

export interface ReconcileInput {
  graph: TaskGraph;
  tasks: TaskObservations;
  limits: { maxParallel: number; budgetUsd?: number | undefined };
  cancelRequested?: boolean;
}

export interface StartAction {
  id: string;
  /** 1 for the first attempt; a retry gets the next number. */
  attempt: number;
  retry: boolean;
}

export interface SkipAction {
  id: string;
  reason: string;
}

export interface CancelAction {
  id: string;
  /** A running task has a run to stop; a waiting one only changes state. */
  wasRunning: boolean;
}

export type SessionConclusion = "success" | "failure" | "cancelled";

export interface SessionOutcome {
  conclusion: SessionConclusion;
  summary: string;
  counts: Record<TaskStatus, number>;
}

export interface WaitAction {
  id: string;
  /** Dependencies that succeeded but whose work is not merged into the base branch yet. */
  unmerged: string[];
}

export interface Decision {
  /** Tasks to start now, highest priority (longest remaining path) first. */
  start: StartAction[];
  skip: SkipAction[];
  cancel: CancelAction[];
  /** Tasks with `base: "merged"` that are ready except that their dependencies' work is not merged yet. */
  waiting: WaitAction[];
  /** Set when, once this decision is applied, nothing is running and nothing can start. */
  finished: SessionOutcome | null;
}

const EMPTY: TaskObservation = { status: "pending", attempts: 0 };

export function observationOf(tasks: TaskObservations, id: string): TaskObservation {
  return tasks[id] ?? EMPTY;
}

export function spentUsd(tasks: TaskObservations): number {
  let total = 0;
  for (const observation of Object.values(tasks)) total += observation?.costUsd ?? 0;
  return total;
}

/**
 * Whether a failed task gets another attempt: it has retries left, the budget is not spent and
 * no cancel was asked for. Until then its dependents wait instead of being skipped.
 */
export function canRetry(args: {
  graph: TaskGraph;
  tasks: TaskObservations;
  id: string;
  budgetUsd: number | undefined;
  cancelRequested: boolean;
}): boolean {
  const budgetReached = args.budgetUsd !== undefined && isBudgetReached(spentUsd(args.tasks), args.budgetUsd);
  return (
    retriesLeft(args.graph, observationOf(args.tasks, args.id), args.id) &&
    !budgetReached &&
    !args.cancelRequested
  );
}

export function retriesLeft(graph: TaskGraph, observed: TaskObservation, id: string): boolean {
  const task = graph.byId.get(id);
  return observed.status === "failed" && task !== undefined && observed.attempts < 1 + task.retries;
}

/**
 * The decision, read from the whole observation in one pass over the graph. The session machine
 * reaches the same decision through `TaskFrontier` (task-frontier.ts), which keeps what this pass
 * would find up to date event by event, so a session of n tasks costs O(n) in all instead of O(n)
 * per step; the property tests hold the two to the same answer after every step.
 */
export function reconcile(input: ReconcileInput): Decision {
  const { graph, tasks } = input;
  const maxParallel = Math.max(1, Math.floor(input.limits.maxParallel));
  const budget = input.limits.budgetUsd;
  // Summed only when there is a budget to compare it with.
  const spent = budget === undefined ? 0 : spentUsd(tasks);
  const budgetReached = budget !== undefined && isBudgetReached(spent, budget);
  const cancelling = input.cancelRequested === true;

  // Status after this decision's skips and cancels, filled in topological order.
  const next = new Map<string, TaskStatus>();
  // For skipped tasks: the task whose failure or cancellation caused it, for the reason text.
  const rootCause = new Map<string, string>();
  const decision: Decision = { start: [], skip: [], cancel: [], waiting: [], finished: null };
  const retryable = (id: string): boolean =>
    retriesLeft(graph, observationOf(tasks, id), id) && !budgetReached && !cancelling;

  const ready: string[] = [];
  let running = 0;
  for (const id of graph.order) {
    const observed = observationOf(tasks, id);
    if (cancelling && (observed.status === "pending" || observed.status === "running")) {
      decision.cancel.push({ id, wasRunning: observed.status === "running" });
      next.set(id, "cancelled");
      continue;
    }
    if (observed.status === "running") running++;
    if (retryable(id)) {
      // Not final yet: its dependents wait for the next attempt instead of being skipped.
      next.set(id, "pending");
      ready.push(id);
      continue;
    }
    if (observed.status !== "pending") {
      next.set(id, observed.status);
      continue;
    }
    const blocker = blockingDependency(graph, id, next);
    if (blocker) {
      const cause = rootCause.get(blocker) ?? blocker;
      rootCause.set(id, cause);
      decision.skip.push({ id, reason: skipReason({ blocker, cause, causeStatus: next.get(cause) }) });
      next.set(id, "skipped");
      continue;
    }
    if (budgetReached) {
      decision.skip.push({
        id,
        reason: `the session budget of ${formatCost(budget)} was reached (${formatCost(spent)} spent)`,
      });
      next.set(id, "skipped");
      continue;
    }
    next.set(id, "pending");
    const task = graph.byId.get(id);
    if (!task || !task.dependencies.every((dep) => next.get(dep) === "succeeded")) continue;
    const unmerged =
      task.base === "merged"
        ? task.dependencies.filter((dep) => observationOf(tasks, dep).merged !== true)
        : [];
    if (unmerged.length > 0) decision.waiting.push({ id, unmerged });
    else ready.push(id);
  }

  ready.sort((a, b) => (graph.remaining.get(b) ?? 0) - (graph.remaining.get(a) ?? 0));
  for (const id of ready.slice(0, Math.max(0, maxParallel - running))) {
    const observed = observationOf(tasks, id);
    decision.start.push({ id, attempt: observed.attempts + 1, retry: observed.attempts > 0 });
  }

  if (decision.start.length === 0 && running === 0 && ![...next.values()].includes("pending")) {
    decision.finished = outcome({ next, cancelling, budgetReached, budget, spent });
  }
  return decision;
}

function blockingDependency(
  graph: TaskGraph,
  id: string,
  next: ReadonlyMap<string, TaskStatus>,
): string | null {
  for (const dep of graph.byId.get(id)?.dependencies ?? []) {
    const status = next.get(dep);
    if (status === "failed" || status === "skipped" || status === "cancelled") return dep;
  }
  return null;
}

export function skipReason(args: {
  blocker: string;
  cause: string;
  causeStatus: TaskStatus | undefined;
}): string {
  // The cause's status as decided now, not as observed: a task skipped in this very decision
  // (the budget was reached) was still "pending" in the observation and did not fail.
  const what =
    args.causeStatus === "cancelled"
      ? "was cancelled"
      : args.causeStatus === "skipped"
        ? "was skipped"
        : "failed";
  if (args.blocker === args.cause) return `dependency "${args.cause}" ${what}`;
  return `dependency "${args.blocker}" was skipped because "${args.cause}" ${what}`;
}

export function outcome(args: {
  next: ReadonlyMap<string, TaskStatus>;
  cancelling: boolean;
  budgetReached: boolean;
  budget: number | undefined;
  spent: number;
}): SessionOutcome {
  const counts = countStatuses(args.next.values());
  const total = args.next.size;
  const failedIds = [...args.next].filter(([, status]) => status === "failed").map(([id]) => id);
  const parts = [`${counts.succeeded} of ${total} tasks succeeded`];
  if (counts.failed > 0) parts.push(`${counts.failed} failed (${listIds(failedIds)})`);
  if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
  if (counts.cancelled > 0) parts.push(`${counts.cancelled} cancelled`);
  let summary = parts.join(", ");
  if (args.budgetReached && args.budget !== undefined) {
    summary += `; the session budget of ${formatCost(args.budget)} was reached (${formatCost(args.spent)} spent)`;
  }
  let conclusion: SessionConclusion = "success";
  if (args.cancelling) conclusion = "cancelled";
  else if (counts.succeeded !== total) conclusion = "failure";
  return { conclusion, summary, counts };
}

export function countStatuses(statuses: Iterable<TaskStatus>): Record<TaskStatus, number> {
  const counts: Record<TaskStatus, number> = {
    pending: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
  };
  for (const status of statuses) counts[status]++;
  return counts;
}

function listIds(ids: string[]): string {
  const shown = ids.slice(0, 5).join(", ");
  return ids.length > 5 ? `${shown}, … ${ids.length - 5} more` : shown;
}
