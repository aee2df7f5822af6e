import { describe, expect, it } from "vitest";
import { canRetry, reconcile, type ReconcileInput, type TaskObservations } from "../../src/core/reconcile.js";
import type { TaskGraph } from "../../src/core/task-graph.js";
import { graphOf } from "../support/random-dag.js";

const run = (
  graph: TaskGraph,
  tasks: TaskObservations = {},
  limits: ReconcileInput["limits"] = { maxParallel: 3 },
  cancelRequested = false,
) => reconcile({ graph, tasks, limits, cancelRequested });

const startedIds = (decision: ReturnType<typeof reconcile>) => decision.start.map((s) => s.id);

// a → b → c, a → d; e independent.
const tree = (retries: Record<string, number> = {}) =>
  graphOf({ a: [], b: ["a"], c: ["b"], d: ["a"], e: [] }, { retries });

describe("reconcile: what starts", () => {
  it("starts exactly the tasks whose dependencies all succeeded", () => {
    const graph = graphOf({ a: [], b: [], c: ["a"], d: ["a", "b"], e: ["c"] });
    expect(startedIds(run(graph, {}, { maxParallel: 10 })).sort()).toEqual(["a", "b"]);
    const afterA = {
      a: { status: "succeeded", attempts: 1 },
      b: { status: "running", attempts: 1 },
    } as const;
    expect(startedIds(run(graph, afterA, { maxParallel: 10 }))).toEqual(["c"]);
    const afterAB = {
      a: { status: "succeeded", attempts: 1 },
      b: { status: "succeeded", attempts: 1 },
    } as const;
    expect(startedIds(run(graph, afterAB, { maxParallel: 10 })).sort()).toEqual(["c", "d"]);
  });

  it("never runs more than max parallel, counting what already runs", () => {
    const graph = graphOf({ a: [], b: [], c: [], d: [], e: [] });
    expect(run(graph, {}, { maxParallel: 2 }).start).toHaveLength(2);
    const twoRunning = {
      a: { status: "running", attempts: 1 },
      b: { status: "running", attempts: 1 },
    } as const;
    expect(run(graph, twoRunning, { maxParallel: 3 }).start).toHaveLength(1);
    expect(run(graph, twoRunning, { maxParallel: 2 }).start).toHaveLength(0);
    // Nonsense limits still make progress: below 1 means 1.
    expect(run(graph, {}, { maxParallel: 0 }).start).toHaveLength(1);
  });

  it("starts the longest remaining path first, by estimate", () => {
    // Three chains: x (5+5), y (20), z (1+1+1). Order: y, x, z.
    const graph = graphOf(
      { z1: [], z2: ["z1"], z3: ["z2"], x1: [], x2: ["x1"], y1: [] },
      { estimates: { x1: 5, x2: 5, y1: 20, z1: 1, z2: 1, z3: 1 } },
    );
    expect(startedIds(run(graph, {}, { maxParallel: 3 }))).toEqual(["y1", "x1", "z1"]);
    expect(startedIds(run(graph, {}, { maxParallel: 1 }))).toEqual(["y1"]);
  });

  it("starts the longest remaining path first by task count when there are no estimates", () => {
    const graph = graphOf({
      short: [],
      long1: [],
      long2: ["long1"],
      long3: ["long2"],
      mid1: [],
      mid2: ["mid1"],
    });
    expect(startedIds(run(graph, {}, { maxParallel: 2 }))).toEqual(["long1", "mid1"]);
  });

  it("keeps file order among equally long paths", () => {
    const graph = graphOf({ p: [], q: [], r: [] });
    expect(startedIds(run(graph, {}, { maxParallel: 2 }))).toEqual(["p", "q"]);
  });

  it("gives the first start attempt 1 and does not start running or finished tasks again", () => {
    const graph = tree();
    const first = run(graph);
    expect(first.start).toEqual([
      { id: "a", attempt: 1, retry: false },
      { id: "e", attempt: 1, retry: false },
    ]);
    // Once those starts are recorded (the session machine's advance), nothing starts again.
    const again = run(graph, {
      a: { status: "running", attempts: 1 },
      e: { status: "running", attempts: 1 },
    });
    expect(again.start).toEqual([]);
    expect(again.finished).toBeNull();
  });
});

describe("reconcile: failures and retries", () => {
  it("retries a failed task with attempt + 1 while it has retries left", () => {
    const graph = tree({ a: 2 });
    const failedOnce = { a: { status: "failed", attempts: 1, reason: "boom" } } as const;
    const decision = run(graph, failedOnce);
    expect(decision.start).toContainEqual({ id: "a", attempt: 2, retry: true });
    expect(decision.skip).toEqual([]);
    const failedTwice = { a: { status: "failed", attempts: 2 } } as const;
    expect(run(graph, failedTwice).start).toContainEqual({ id: "a", attempt: 3, retry: true });
    const failedThrice = { a: { status: "failed", attempts: 3 } } as const;
    expect(startedIds(run(graph, failedThrice))).toEqual(["e"]);
  });

  it("a final failure skips exactly the tasks downstream of it, naming the failed task", () => {
    const graph = tree();
    const decision = run(graph, {
      a: { status: "failed", attempts: 1 },
      e: { status: "running", attempts: 1 },
    });
    expect(decision.start).toEqual([]);
    expect(decision.skip).toEqual([
      { id: "b", reason: 'dependency "a" failed' },
      { id: "c", reason: 'dependency "b" was skipped because "a" failed' },
      { id: "d", reason: 'dependency "a" failed' },
    ]);
    expect(decision.finished).toBeNull();
  });

  it("does not skip a dependent while the failed dependency still has a retry", () => {
    const graph = tree({ a: 1 });
    const decision = run(graph, { a: { status: "failed", attempts: 1 } });
    expect(decision.skip).toEqual([]);
    expect(decision.start).toContainEqual({ id: "a", attempt: 2, retry: true });
  });

  it("canRetry agrees with reconcile: retries left, budget not spent, no cancel", () => {
    const graph = tree({ a: 1 });
    const args = (tasks: TaskObservations, budgetUsd?: number, cancelRequested = false) => ({
      graph,
      tasks,
      id: "a",
      budgetUsd,
      cancelRequested,
    });
    const failedOnce = { a: { status: "failed", attempts: 1, costUsd: 1 } } as const;
    expect(canRetry(args(failedOnce))).toBe(true);
    expect(canRetry(args(failedOnce, 1.01))).toBe(true);
    expect(canRetry(args(failedOnce, 1))).toBe(false);
    expect(canRetry(args(failedOnce, undefined, true))).toBe(false);
    expect(canRetry(args({ a: { status: "failed", attempts: 2 } }))).toBe(false);
    expect(canRetry(args({ a: { status: "running", attempts: 1 } }))).toBe(false);
    expect(canRetry({ ...args(failedOnce), id: "nobody" })).toBe(false);
    // The same answer as the decision: a retryable failure starts again, a final one skips.
    expect(startedIds(run(graph, failedOnce, { maxParallel: 3, budgetUsd: 1.01 }))).toContain("a");
    expect(startedIds(run(graph, failedOnce, { maxParallel: 3, budgetUsd: 1 }))).not.toContain("a");
  });

  it("independent branches go on after a failure", () => {
    const graph = graphOf({ a: [], b: ["a"], c: [], d: ["c"] });
    const decision = run(graph, {
      a: { status: "failed", attempts: 1 },
      c: { status: "succeeded", attempts: 1 },
    });
    expect(startedIds(decision)).toEqual(["d"]);
    expect(decision.skip.map((s) => s.id)).toEqual(["b"]);
  });

  it("names the root cause when a dependent of a cancelled task is skipped", () => {
    const graph = graphOf({ a: [], b: ["a"], c: ["b"] });
    const decision = run(graph, { a: { status: "cancelled", attempts: 1 } });
    expect(decision.skip).toEqual([
      { id: "b", reason: 'dependency "a" was cancelled' },
      { id: "c", reason: 'dependency "b" was skipped because "a" was cancelled' },
    ]);
  });
});

describe("reconcile: budget", () => {
  it("starts nothing once the budget is reached and skips pending tasks with the budget reason", () => {
    const graph = graphOf({ a: [], b: ["a"], c: [], d: [] });
    const tasks = {
      a: { status: "succeeded", attempts: 1, costUsd: 3 },
      c: { status: "running", attempts: 1, costUsd: 0 },
      d: { status: "succeeded", attempts: 1, costUsd: 2.5 },
    } as const;
    const decision = run(graph, tasks, { maxParallel: 4, budgetUsd: 5 });
    expect(decision.start).toEqual([]);
    expect(decision.skip).toEqual([
      { id: "b", reason: "the session budget of $5.00 was reached ($5.50 spent)" },
    ]);
    // c still runs, so the session is not over yet.
    expect(decision.finished).toBeNull();
  });

  it("does not retry once the budget is reached: the failure is final", () => {
    const graph = graphOf({ a: [], b: ["a"] }, { retries: { a: 3 } });
    const decision = run(
      graph,
      { a: { status: "failed", attempts: 1, costUsd: 10 } },
      { maxParallel: 2, budgetUsd: 10 },
    );
    expect(decision.start).toEqual([]);
    expect(decision.skip).toEqual([{ id: "b", reason: 'dependency "a" failed' }]);
    expect(decision.finished?.conclusion).toBe("failure");
  });

  it("says a dependent was skipped, not failed, when its dependency was skipped for the budget", () => {
    // Regression: the reason used the dependency's *observed* status (pending), which read "failed".
    const graph = graphOf({ a: [], b: ["a"], c: ["b"], x: [] });
    const decision = run(
      graph,
      { x: { status: "succeeded", attempts: 1, costUsd: 5 } },
      { maxParallel: 2, budgetUsd: 5 },
    );
    expect(decision.skip).toEqual([
      { id: "a", reason: "the session budget of $5.00 was reached ($5.00 spent)" },
      { id: "b", reason: 'dependency "a" was skipped' },
      { id: "c", reason: 'dependency "b" was skipped because "a" was skipped' },
    ]);
    expect(decision.finished?.summary).toBe(
      "1 of 4 tasks succeeded, 3 skipped; the session budget of $5.00 was reached ($5.00 spent)",
    );
  });

  it("starts tasks while spending is under the budget", () => {
    const graph = graphOf({ a: [], b: [] });
    const decision = run(
      graph,
      { a: { status: "succeeded", attempts: 1, costUsd: 4.99 } },
      { maxParallel: 2, budgetUsd: 5 },
    );
    expect(startedIds(decision)).toEqual(["b"]);
  });
});

describe("reconcile: cancel", () => {
  it("cancels running and pending tasks, leaves finished ones, and concludes cancelled", () => {
    const graph = graphOf({ a: [], b: ["a"], c: [], d: [], e: ["d"] }, { retries: { d: 2 } });
    const tasks = {
      a: { status: "succeeded", attempts: 1 },
      b: { status: "running", attempts: 1 },
      d: { status: "failed", attempts: 1 },
    } as const;
    const decision = run(graph, tasks, { maxParallel: 3 }, true);
    expect(decision.start).toEqual([]);
    // The failed d is not retried; waiting tasks are cancelled, not skipped, even below a failure.
    expect(decision.skip).toEqual([]);
    expect(decision.cancel).toEqual([
      { id: "b", wasRunning: true },
      { id: "c", wasRunning: false },
      { id: "e", wasRunning: false },
    ]);
    expect(decision.finished?.conclusion).toBe("cancelled");
    expect(decision.finished?.counts).toEqual({
      pending: 0,
      running: 0,
      succeeded: 1,
      failed: 1,
      skipped: 0,
      cancelled: 3,
      needs_input: 0,
    });
    // What the cancels do to the state: session-machine.test.ts ("advance cancels …").
  });
});

describe("reconcile: finishing", () => {
  it("reports success with a summary once every task succeeded", () => {
    const graph = graphOf({ a: [], b: ["a"] });
    const done = {
      a: { status: "succeeded", attempts: 1 },
      b: { status: "succeeded", attempts: 2 },
    } as const;
    const decision = run(graph, done);
    expect(decision.finished).toEqual({
      conclusion: "success",
      summary: "2 of 2 tasks succeeded",
      counts: { pending: 0, running: 0, succeeded: 2, failed: 0, skipped: 0, cancelled: 0, needs_input: 0 },
    });
  });

  it("reports failure naming the failed tasks, with the skips", () => {
    const graph = tree();
    const tasks = {
      a: { status: "failed", attempts: 1 },
      e: { status: "succeeded", attempts: 1 },
    } as const;
    const decision = run(graph, tasks);
    expect(decision.finished?.conclusion).toBe("failure");
    expect(decision.finished?.summary).toBe("1 of 5 tasks succeeded, 1 failed (a), 3 skipped");
  });

  it("lists at most five failed tasks in the summary", () => {
    const spec = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`t${i}`, []]));
    const tasks = Object.fromEntries(
      Array.from({ length: 7 }, (_, i) => [`t${i}`, { status: "failed", attempts: 1 } as const]),
    );
    expect(run(graphOf(spec), tasks).finished?.summary).toBe(
      "0 of 7 tasks succeeded, 7 failed (t0, t1, t2, t3, t4, … 2 more)",
    );
  });

  it("is not finished while something runs or can start", () => {
    const graph = graphOf({ a: [], b: [] });
    expect(
      run(graph, { a: { status: "running", attempts: 1 }, b: { status: "failed", attempts: 1 } }).finished,
    ).toBeNull();
    expect(run(graph, { a: { status: "succeeded", attempts: 1 } }).finished).toBeNull();
  });

  it("does not mutate its input", () => {
    const graph = tree({ a: 1 });
    const tasks: TaskObservations = {
      a: { status: "failed", attempts: 1 },
      e: { status: "running", attempts: 1 },
    };
    const snapshot = structuredClone(tasks);
    run(graph, tasks, { maxParallel: 3 }, true);
    run(graph, tasks);
    expect(tasks).toEqual(snapshot);
  });
});

describe("reconcile: after a retry", () => {
  it("a retried task's dependent that is blocked by another failure is skipped again", () => {
    const graph = graphOf({ a: [], b: [], c: ["a", "b"] });
    // The state right after retrying a (session-machine.test.ts checks the retry itself produces it).
    const decision = run(graph, {
      a: { status: "pending", attempts: 1 },
      b: { status: "failed", attempts: 1 },
      c: { status: "pending", attempts: 0 },
    });
    expect(decision.start).toEqual([{ id: "a", attempt: 2, retry: true }]);
    expect(decision.skip).toEqual([{ id: "c", reason: 'dependency "b" failed' }]);
  });

  it("starts a retried task again with the next attempt and un-skipped dependents wait for it", () => {
    const graph = tree();
    const decision = run(graph, {
      a: { status: "pending", attempts: 1, costUsd: 2 },
      b: { status: "pending", attempts: 0 },
      c: { status: "pending", attempts: 0 },
      d: { status: "pending", attempts: 0 },
      e: { status: "succeeded", attempts: 1 },
    });
    expect(decision.start).toEqual([{ id: "a", attempt: 2, retry: true }]);
    expect(decision.skip).toEqual([]);
  });
});
