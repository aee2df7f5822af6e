import { formatCost } from "./format.js";
import type { TaskGraph } from "./task-graph.js";

/**
 * The most a session of this graph can spend, as `plan` prints it. Every attempt runs with a cap
 * (Claude Code's `--max-budget-usd`): its task's `max_budget_usd`, or with a session budget its
 * grant from what the budget has left (attempt-budget.ts), which together never exceed the
 * budget. So the bound is the smaller of the budget and every attempt (retries included) at its
 * task's cap; without a budget, one task without a cap leaves it unbounded. An agent is stopped
 * after the turn that crosses its cap, so a real session may go over by that last turn.
 */
export interface WorstCaseCost {
  /** The bound, or null when nothing bounds the session. */
  maxUsd: number | null;
  /** Every attempt of every task at its cap; null when some task has none. */
  capsUsd: number | null;
  budgetUsd: number | undefined;
  /** Tasks without `max_budget_usd`. */
  uncapped: string[];
}

export function worstCaseCost(graph: TaskGraph): WorstCaseCost {
  let capsUsd = 0;
  const uncapped: string[] = [];
  for (const id of graph.order) {
    const task = graph.byId.get(id);
    if (task === undefined) continue;
    if (task.maxBudgetUsd === undefined) uncapped.push(id);
    else capsUsd += task.maxBudgetUsd * (1 + task.retries);
  }
  const caps = uncapped.length === 0 ? capsUsd : null;
  const budget = graph.budgetUsd;
  const bounds = [caps, budget].filter((bound): bound is number => bound !== null && bound !== undefined);
  return {
    maxUsd: bounds.length === 0 ? null : Math.min(...bounds),
    capsUsd: caps,
    budgetUsd: budget,
    uncapped,
  };
}

/** The line `plan` prints. */
export function renderWorstCaseCost(cost: WorstCaseCost): string {
  if (cost.maxUsd === null) {
    const shown = cost.uncapped.slice(0, 5).join(", ");
    const more = cost.uncapped.length > 5 ? ` and ${cost.uncapped.length - 5} more` : "";
    return (
      `Worst-case cost: no limit — ${cost.uncapped.length} task${cost.uncapped.length === 1 ? " has" : "s have"} ` +
      `no max_budget_usd (${shown}${more}) and the file sets no budget_usd`
    );
  }
  if (cost.capsUsd !== null && (cost.budgetUsd === undefined || cost.capsUsd <= cost.budgetUsd)) {
    return `Worst-case cost: ${formatCost(cost.maxUsd)} (every attempt, retries included, at its task's max_budget_usd)`;
  }
  return `Worst-case cost: ${formatCost(cost.maxUsd)} (the session's budget_usd: each attempt may spend only what it has left)`;
}
