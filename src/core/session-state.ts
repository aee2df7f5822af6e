import { descendants, type TaskGraph } from "./task-graph.js";
import { observationOf, type Decision, type TaskObservation, type TaskObservations } from "./reconcile.js";

/**
 * Pure transitions of a session's observed task states. Executors (local, GitHub) record what
 * actually happened with these so that every runtime reads the same rules.
 */

export type MutableObservations = Record<string, TaskObservation>;

/** The state once a decision has been carried out: starts running, skips and cancels recorded. */
export function applyDecision(tasks: TaskObservations, decision: Decision): MutableObservations {
  const next = copy(tasks);
  for (const start of decision.start) {
    const previous = observationOf(tasks, start.id);
    next[start.id] = withCost({ status: "running", attempts: start.attempt }, previous.costUsd);
  }
  for (const skip of decision.skip) {
    const previous = observationOf(tasks, skip.id);
    next[skip.id] = withCost(
      { status: "skipped", attempts: previous.attempts, reason: skip.reason },
      previous.costUsd,
    );
  }
  for (const cancel of decision.cancel) {
    const previous = observationOf(tasks, cancel.id);
    next[cancel.id] = withCost(
      { status: "cancelled", attempts: previous.attempts, reason: "the session was cancelled" },
      previous.costUsd,
    );
  }
  return next;
}

/** Records the end of an attempt; a result for an attempt other than the current one is ignored. */
export function recordAttemptResult(
  tasks: TaskObservations,
  result: { id: string; attempt: number; succeeded: boolean; reason?: string; costUsd?: number },
): MutableObservations {
  const previous = observationOf(tasks, result.id);
  if (previous.status !== "running" || previous.attempts !== result.attempt) return copy(tasks);
  const next = copy(tasks);
  const cost = (previous.costUsd ?? 0) + (result.costUsd ?? 0);
  const observation: TaskObservation = {
    status: result.succeeded ? "succeeded" : "failed",
    attempts: previous.attempts,
  };
  if (!result.succeeded) observation.reason = result.reason ?? "the task failed";
  next[result.id] = withCost(observation, cost > 0 ? cost : previous.costUsd);
  return next;
}

/** Records that a succeeded task's work reached the base branch (its pull request was merged). */
export function recordMerged(tasks: TaskObservations, id: string): MutableObservations {
  const next = copy(tasks);
  const previous = observationOf(tasks, id);
  if (previous.status === "succeeded") next[id] = { ...previous, merged: true };
  return next;
}

/**
 * Puts failed or cancelled tasks back to pending (their attempt count is kept, so the next start
 * is a new attempt) and un-skips everything downstream of them.
 */
export function retryTasks(
  graph: TaskGraph,
  tasks: TaskObservations,
  ids: readonly string[] | "failed",
): {
  tasks: MutableObservations;
  retried: string[];
} {
  const candidates = ids === "failed" ? graph.order : ids;
  const next = copy(tasks);
  const retried: string[] = [];
  for (const id of candidates) {
    const previous = observationOf(tasks, id);
    const eligible = previous.status === "failed" || (ids !== "failed" && previous.status === "cancelled");
    if (!eligible) continue;
    retried.push(id);
    next[id] = withCost({ status: "pending", attempts: previous.attempts }, previous.costUsd);
    for (const downstream of descendants(graph, id)) {
      const below = observationOf(next, downstream);
      if (below.status === "skipped" || below.status === "cancelled") {
        next[downstream] = withCost({ status: "pending", attempts: below.attempts }, below.costUsd);
      }
    }
  }
  return { tasks: next, retried };
}

function copy(tasks: TaskObservations): MutableObservations {
  const next: MutableObservations = {};
  for (const [id, observation] of Object.entries(tasks)) if (observation) next[id] = { ...observation };
  return next;
}

function withCost(observation: TaskObservation, costUsd: number | undefined): TaskObservation {
  if (costUsd !== undefined) observation.costUsd = costUsd;
  return observation;
}
