import { isBudgetReached } from "./attempt-budget.js";
import { formatCost } from "./format.js";
import { countedAttempts, observationOf, spentUsd, type TaskObservations } from "./reconcile.js";
import { descendants, type TaskGraph } from "./task-graph.js";

/**
 * A review follow-up ("revise"): a task whose attempt ended gets one more attempt on its existing
 * branch, prompted with feedback (review comments, a `/orchestrate revise` text, `orchestrator run
 * --revise`). The rules of who may be revised, and what a revised task's success means for its
 * dependents, are decided here once for the session machine and for the adapters that want to
 * answer a refusal in words before they send the event.
 *
 * A revise is an attempt like any other: it counts within the task's `retries` (a task with
 * `retries: 0` ran its one attempt) and the session budget, and an ended session reopens for it.
 */

/** Feedback longer than this is cut (it goes into a dispatch input and the stored record). */
export const MAX_FEEDBACK_CHARS = 20_000;

export interface ReviseCheck {
  graph: TaskGraph;
  tasks: TaskObservations;
  id: string;
  budgetUsd: number | undefined;
  /** A cancel was asked for and the session has not ended yet. */
  cancelling: boolean;
}

/** Why task `id` cannot be revised now, in plain words; `null` when it can. */
export function reviseRefusal(check: ReviseCheck): string | null {
  const { graph, tasks, id } = check;
  const task = graph.byId.get(id);
  if (task === undefined) return `there is no task "${id}" in this session`;
  const observed = observationOf(tasks, id);
  switch (observed.status) {
    case "running":
      return `task "${id}" is running; revise it once its attempt has ended`;
    case "pending":
      return observed.attempts === 0
        ? `task "${id}" has not run yet`
        : `task "${id}" is already waiting for its next attempt`;
    case "skipped":
      return `task "${id}" was skipped and has no work to revise`;
    case "cancelled":
      return `task "${id}" was cancelled; use retry to run it again`;
    case "needs_input":
      return `task "${id}" needs input: answer it (\`/orchestrate answer ${id} <text>\`, \`orchestrator run --answer ${id} "text"\`) instead`;
    default:
      break;
  }
  if (observed.merged === true)
    return `task "${id}"'s work was merged already; ask for the change in a new task`;
  // Attempts that hit a limit or needed input do not count (reconcile.ts, countedAttempts).
  const counted = countedAttempts(observed);
  if (counted >= 1 + task.retries) {
    const used = counted === 1 ? "its 1 attempt" : `all its ${counted} attempts`;
    return (
      `task "${id}" has used ${used} (retries: ${task.retries}); ` +
      `a revise is another attempt: raise the task's \`retries\` to revise it`
    );
  }
  const budget = check.budgetUsd;
  if (budget !== undefined && isBudgetReached(spentUsd(tasks), budget))
    return `the session budget of ${formatCost(budget)} was reached (${formatCost(spentUsd(tasks))} spent)`;
  if (check.cancelling) return "the session is being cancelled";
  // A dependent still running builds on the work about to change: it would end on the old work
  // after the restack of the new one had been decided. One due to run again (a failed one with
  // retries left, one waiting out a limit or for input) would start on the old work while this
  // task runs: a retry waits for no dependency.
  for (const below of descendants(graph, id)) {
    const observed = observationOf(tasks, below);
    if (observed.status === "running")
      return `task "${below}" is running on this task's work; revise once it has ended`;
    const dependent = graph.byId.get(below);
    const dueAgain =
      observed.status === "needs_input" ||
      (observed.status === "pending" && observed.attempts > 0) ||
      (observed.status === "failed" &&
        dependent !== undefined &&
        countedAttempts(observed) < 1 + dependent.retries);
    if (dueAgain)
      return `task "${below}" ran on this task's work and is due to run again; revise once it has ended`;
  }
  return null;
}

/**
 * The dependents to restack after task `id` succeeded with new work: the succeeded tasks that
 * build on its branch (`base: "dependencies"`), and in turn those that build on theirs, in
 * topological order, each with the dependency it is rebased onto. Only a revise makes a task
 * succeed while a dependent has already succeeded (dependents start after their dependencies
 * succeed), so on a first success this is empty.
 *
 * Dependents with another base need nothing: `base_branch` ones never held the task's work (their
 * branch starts from the base branch, so running them again would start from the same place), and
 * `merged` ones only start after the task's pull request was merged, which a revise refuses.
 */
export function dependentsToRestack(
  graph: TaskGraph,
  tasks: TaskObservations,
  id: string,
): Array<{ id: string; onto: string }> {
  // Only succeeded dependents on their dependencies' branches are followed: on a first success
  // this looks at the task's direct dependents and stops (no cost that grows with the graph).
  const builtOn = (candidate: string): boolean =>
    graph.byId.get(candidate)?.base === "dependencies" &&
    observationOf(tasks, candidate).status === "succeeded";
  const found = new Set<string>();
  const stack = (graph.dependents.get(id) ?? []).filter(builtOn);
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (found.has(next)) continue;
    found.add(next);
    for (const below of graph.dependents.get(next) ?? []) if (builtOn(below)) stack.push(below);
  }
  const restack: Array<{ id: string; onto: string }> = [];
  if (found.size === 0) return restack;
  const changed = new Set([id]);
  for (const candidate of graph.order) {
    if (!found.has(candidate)) continue;
    const onto = graph.byId.get(candidate)?.dependencies.find((dep) => changed.has(dep));
    if (onto === undefined) continue;
    changed.add(candidate);
    restack.push({ id: candidate, onto });
  }
  return restack;
}

/** Feedback as stored and sent: trimmed, cut at MAX_FEEDBACK_CHARS with a note. */
export function boundedFeedback(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length <= MAX_FEEDBACK_CHARS) return trimmed;
  return `${trimmed.slice(0, MAX_FEEDBACK_CHARS)}\n\n[feedback cut at ${MAX_FEEDBACK_CHARS} characters]`;
}
