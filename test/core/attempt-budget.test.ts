import { describe, expect, it } from "vitest";
import { grantBudgets, isBudgetReached, MIN_GRANT_USD } from "../../src/core/attempt-budget.js";

const grants = (args: Parameters<typeof grantBudgets>[0]) => Object.fromEntries(grantBudgets(args));

describe("grantBudgets", () => {
  it("splits what is left evenly between the attempts one decision starts", () => {
    expect(
      grants({
        starts: [
          { id: "a", capUsd: undefined },
          { id: "b", capUsd: undefined },
          { id: "c", capUsd: undefined },
        ],
        budgetUsd: 10,
        spentUsd: 1,
        reservedUsd: 0,
        running: 0,
      }),
    ).toEqual({ a: 3, b: 3, c: 3 });
  });

  it("gives a task no more than its own cap, and what that leaves to the next ones", () => {
    expect(
      grants({
        starts: [
          { id: "a", capUsd: 0.5 },
          { id: "b", capUsd: undefined },
        ],
        budgetUsd: 4,
        spentUsd: 0,
        reservedUsd: 1,
        running: 1,
      }),
    ).toEqual({ a: 0.5, b: 2.5 });
  });

  it("never grants what running attempts hold: a start waits until one of them ends", () => {
    expect(
      grants({
        starts: [{ id: "a", capUsd: undefined }],
        budgetUsd: 2,
        spentUsd: 0.5,
        reservedUsd: 1.5,
        running: 1,
      }),
    ).toEqual({});
    // Less than a turn's worth left beside a running attempt: wait for it too.
    expect(
      grants({
        starts: [{ id: "a", capUsd: undefined }],
        budgetUsd: 2,
        spentUsd: 0,
        reservedUsd: 2 - MIN_GRANT_USD / 2,
        running: 1,
      }),
    ).toEqual({});
  });

  it("with nothing running, always grants the first start what is left, however little", () => {
    expect(
      grants({
        starts: [{ id: "a", capUsd: undefined }],
        budgetUsd: 1,
        spentUsd: 0.995,
        reservedUsd: 0,
        running: 0,
      }),
    ).toEqual({ a: 0.005 });
  });

  it("counts in whole micro-dollars, so sums kept event by event and sums taken afresh agree", () => {
    const drifting = 0.1 + 0.2; // 0.30000000000000004
    const start = [{ id: "a", capUsd: undefined }];
    expect(grants({ starts: start, budgetUsd: 1, spentUsd: drifting, reservedUsd: 0, running: 0 })).toEqual(
      grants({ starts: start, budgetUsd: 1, spentUsd: 0.3, reservedUsd: 0, running: 0 }),
    );
    expect(isBudgetReached(drifting, 0.3)).toBe(true);
    expect(isBudgetReached(0.299999, 0.3)).toBe(false);
    expect(isBudgetReached(5, undefined)).toBe(false);
  });
});
