import { describe, expect, it } from "vitest";
import { renderWorstCaseCost, worstCaseCost } from "../../src/core/worst-case-cost.js";
import { graphFromTasks } from "../../src/core/task-graph.js";
import { makeTask } from "../support/random-dag.js";

const graph = (caps: Array<number | undefined>, options: { retries?: number; budgetUsd?: number } = {}) =>
  graphFromTasks(
    caps.map((cap, index) =>
      makeTask(`t${index}`, [], {
        ...(cap === undefined ? {} : { maxBudgetUsd: cap }),
        ...(options.retries === undefined ? {} : { retries: options.retries }),
      }),
    ),
    options.budgetUsd === undefined ? {} : { budgetUsd: options.budgetUsd },
  );

describe("worstCaseCost", () => {
  it("is every attempt of every task at its cap, retries included", () => {
    const cost = worstCaseCost(graph([1, 2.5], { retries: 1 }));
    expect(cost).toMatchObject({ maxUsd: 7, capsUsd: 7, uncapped: [] });
    expect(renderWorstCaseCost(cost)).toBe(
      "Worst-case cost: $7.00 (every attempt, retries included, at its task's max_budget_usd)",
    );
  });

  it("is the budget when that is lower, or when a task has no cap", () => {
    expect(renderWorstCaseCost(worstCaseCost(graph([5, 5], { budgetUsd: 4 })))).toBe(
      "Worst-case cost: $4.00 (the session's budget_usd: each attempt may spend only what it has left)",
    );
    expect(worstCaseCost(graph([5, undefined], { budgetUsd: 4 }))).toMatchObject({
      maxUsd: 4,
      uncapped: ["t1"],
    });
  });

  it("says what to set when nothing bounds it", () => {
    expect(renderWorstCaseCost(worstCaseCost(graph([1, undefined, undefined])))).toBe(
      "Worst-case cost: no limit — 2 tasks have no max_budget_usd (t1, t2) and the file sets no budget_usd",
    );
  });
});
