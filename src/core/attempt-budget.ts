/**
 * What each attempt may spend when the session has a budget: the smaller of the task's own cap
 * (`max_budget_usd`) and its share of what the budget has left. "Left" is the budget minus what
 * finished attempts spent minus what running attempts were granted and may still spend, so
 * attempts running side by side can never together spend more than the budget (the agent is
 * stopped at its grant: Claude Code's `--max-budget-usd`). The attempts one decision starts split
 * what is left evenly; a grant a task's own cap leaves unused goes to the next ones. A grant is
 * reserved until its attempt ends, and what the attempt did not spend is free again then.
 */

/** Below this an attempt cannot do a turn's work: wait for a running attempt to free its grant. */
export const MIN_GRANT_USD = 0.01;

export interface GrantRequest {
  id: string;
  /** The task's own cap, if it has one. */
  capUsd: number | undefined;
}

/**
 * Grants for the attempts about to start, in order. An attempt without a grant is not started
 * now: other attempts hold the rest of the budget, and it starts when one of them ends. With
 * nothing running, the first attempt always gets what is left (the budget is not reached, or the
 * reconciler would not start anything), so a session never waits on itself.
 */
/** Amounts are compared in whole micro-dollars: sums kept up to date event by event and sums taken afresh then give the same grants. */
const MICRO = 1_000_000;
const micro = (usd: number): number => Math.round(usd * MICRO);

/**
 * The one test of "the budget is reached", in the same whole micro-dollars as the grants: when it
 * is not reached and nothing runs, there is always something left to grant.
 */
export function isBudgetReached(spentUsd: number, budgetUsd: number | undefined): boolean {
  return budgetUsd !== undefined && micro(spentUsd) >= micro(budgetUsd);
}

export function grantBudgets(args: {
  starts: readonly GrantRequest[];
  budgetUsd: number;
  spentUsd: number;
  /** Sum of the grants of the attempts running now. */
  reservedUsd: number;
  /** Attempts running now. */
  running: number;
}): Map<string, number> {
  const grants = new Map<string, number>();
  let left = micro(args.budgetUsd) - micro(args.spentUsd) - micro(args.reservedUsd);
  for (const [index, start] of args.starts.entries()) {
    const share = Math.floor(left / (args.starts.length - index));
    const grant = start.capUsd === undefined ? share : Math.min(micro(start.capUsd), share);
    const othersRunning = args.running > 0 || grants.size > 0;
    if (grant <= 0 || (grant < micro(MIN_GRANT_USD) && othersRunning)) break;
    grants.set(start.id, grant / MICRO);
    left -= grant;
  }
  return grants;
}

/** The cap an attempt runs with: its grant when the session has a budget, else the task's own cap. */
export function attemptCapUsd(
  task: { maxBudgetUsd?: number | undefined },
  observation: { grantUsd?: number | undefined } | undefined,
): number | undefined {
  return observation?.grantUsd ?? task.maxBudgetUsd;
}
