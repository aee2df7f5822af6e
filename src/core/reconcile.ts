import { isBudgetReached } from "./attempt-budget.js";
import { formatCost } from "./format.js";
import type { TaskGraph } from "./task-graph.js";

/**
 * The reconciler: the one place that decides what a session does next. It is level-triggered:
 * given the desired state (the graph) and everything observed so far, it returns the actions
 * that close the gap. It keeps no memory, so a duplicate, late or reordered event that leads to
 * the same observation leads to the same answer.
 */

export const TASK_STATUSES = [
  "pending",
  "running",
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
  /**
   * The agent stopped for a person (refused tools, a question: core/task-attention.ts). Not a
   * failure: dependents wait instead of being skipped, and an answer or allowed tools start the
   * task again.
   */
  "needs_input",
] as const;
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
   * A pending task that hit a rate or usage limit: it starts again once `now >= resumeAt`
   * (epoch ms). Until then it waits, and so do its dependents.
   */
  resumeAt?: number | undefined;
  /**
   * Attempts that do not count against the task's retries: those that ended limited or needing
   * input. `attempts - uncounted` is what `retries` limits.
   */
  uncounted?: number | undefined;
  /** Tools a person allowed for this task ("Allow & retry"), added to its `allowed_tools`. */
  allowedTools?: string[] | undefined;
  /**
   * For the next attempt: a revise's feedback (revise-task.ts) or the answer to the agent's
   * question, added to the prompt. Kept while the task is pending and running, so the start
   * carries it; gone when an attempt with it ends.
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
  /** Now (epoch ms), for tasks waiting out a limit; without it they keep waiting. */
  now?: number | undefined;
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

/** `action_required`: nothing failed, but a task needs input and nothing else can go on. */
export type SessionConclusion = "success" | "failure" | "cancelled" | "action_required";

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
  /** The earliest time (epoch ms) a task waiting out a limit may start: wake up then. */
  resumeAt?: number | undefined;
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
  return observed.status === "failed" && task !== undefined && countedAttempts(observed) < 1 + task.retries;
}

/** Attempts that count against `retries`: limited ones and those that needed input do not. */
export function countedAttempts(observed: TaskObservation): number {
  return observed.attempts - (observed.uncounted ?? 0);
}

/** Whether a task waits out a limit at `now` (no `now`: it waits). */
export function waitsForLimit(observed: TaskObservation, now: number | undefined): boolean {
  return observed.resumeAt !== undefined && (now === undefined || now < observed.resumeAt);
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
    if (
      cancelling &&
      (observed.status === "pending" || observed.status === "running" || observed.status === "needs_input")
    ) {
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
    // Waiting for a person upstream: not skipped, not startable, and not what keeps a session open.
    if (dependsOnInput(graph, id, next)) {
      next.set(id, AWAITING);
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
    else if (waitsForLimit(observed, input.now)) {
      decision.resumeAt = Math.min(decision.resumeAt ?? Infinity, observed.resumeAt as number);
    } else ready.push(id);
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

/**
 * The status a pending task gets in a decision while a task it depends on (directly or through
 * others) needs input: counted as pending, but it does not keep the session open.
 */
const AWAITING = "awaiting" as TaskStatus;

function dependsOnInput(graph: TaskGraph, id: string, next: ReadonlyMap<string, TaskStatus>): boolean {
  for (const dep of graph.byId.get(id)?.dependencies ?? []) {
    const status = next.get(dep);
    if (status === "needs_input" || status === AWAITING) return true;
  }
  return false;
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
  const inputIds = [...args.next].filter(([, status]) => status === "needs_input").map(([id]) => id);
  const parts = [`${counts.succeeded} of ${total} tasks succeeded`];
  if (counts.failed > 0) parts.push(`${counts.failed} failed (${listIds(failedIds)})`);
  if (counts.needs_input > 0) parts.push(`${counts.needs_input} need input (${listIds(inputIds)})`);
  if (counts.pending > 0) parts.push(`${counts.pending} waiting on them`);
  if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
  if (counts.cancelled > 0) parts.push(`${counts.cancelled} cancelled`);
  let summary = parts.join(", ");
  if (args.budgetReached && args.budget !== undefined) {
    summary += `; the session budget of ${formatCost(args.budget)} was reached (${formatCost(args.spent)} spent)`;
  }
  let conclusion: SessionConclusion = "success";
  if (args.cancelling) conclusion = "cancelled";
  else if (counts.failed === 0 && counts.needs_input > 0) conclusion = "action_required";
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
    needs_input: 0,
  };
  // A task waiting on one that needs input is counted as pending.
  for (const status of statuses) counts[status === AWAITING ? "pending" : status]++;
  return counts;
}

function listIds(ids: string[]): string {
  const shown = ids.slice(0, 5).join(", ");
  return ids.length > 5 ? `${shown}, … ${ids.length - 5} more` : shown;
}
