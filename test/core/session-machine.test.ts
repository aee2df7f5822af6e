import { describe, expect, it } from "vitest";
import type { TaskObservation } from "../../src/core/reconcile.js";
import {
  step,
  stepAll,
  type SessionEvent,
  type SessionLimits,
  type SessionMachine,
} from "../../src/core/session-machine.js";
import type { SessionState } from "../../src/core/session-state.js";
import { graphFromTasks, type TaskGraph } from "../../src/core/task-graph.js";
import { graphOf, makeTask } from "../support/random-dag.js";

/**
 * The session machine, event by event. "transition table" has one test per row of the table in
 * the header of src/core/session-machine.ts, named `event | from | to | actions` so a reader can
 * match them; the other groups are the rules behind the rows (results, retries, merges, costs).
 */

const machineOf = (graph: TaskGraph, limits: SessionLimits = { maxParallel: 3 }): SessionMachine => ({
  graph,
  limits,
});

const stateOf = (
  tasks: Record<string, TaskObservation>,
  flags: Omit<SessionState, "tasks"> = {},
): SessionState => ({ tasks, ...flags });

// a → b → c, a → d; e independent.
const tree = (retries: Record<string, number> = {}) =>
  graphOf({ a: [], b: ["a"], c: ["b"], d: ["a"], e: [] }, { retries });

const ENDED = { conclusion: "failure", summary: "0 of 5 tasks succeeded" } as const;

/** Steps and checks the input state was left alone (the machine is pure). */
function stepPure(machine: SessionMachine, state: SessionState, event: SessionEvent) {
  const before = structuredClone(state);
  const result = step(machine, state, event);
  expect(state).toEqual(before);
  expect(step(machine, structuredClone(before), event)).toEqual(result);
  return result;
}

describe("transition table", () => {
  it("advance | pending, ready, a slot free | running · n+1 | start", () => {
    const graph = tree();
    const { state, actions } = stepPure(machineOf(graph, { maxParallel: 1 }), stateOf({}), {
      type: "advance",
    });
    // One slot: the longest remaining path (a) first; e stays pending.
    expect(state).toEqual(stateOf({ a: { status: "running", attempts: 1 } }));
    expect(actions).toEqual([{ type: "start", id: "a", attempt: 1, retry: false }]);
  });

  it("advance | failed, retries and budget left | running · n+1 | start (retry)", () => {
    const graph = graphOf({ a: [], b: ["a"] }, { retries: { a: 1 } });
    const before = stateOf({ a: { status: "failed", attempts: 1, reason: "boom", costUsd: 0.5 } });
    const { state, actions } = stepPure(machineOf(graph, { maxParallel: 2, budgetUsd: 1 }), before, {
      type: "advance",
    });
    // The reason goes, the cost stays; b waits for the retry instead of being skipped. The
    // attempt may spend what the budget has left ($1 − $0.50).
    expect(state).toEqual(stateOf({ a: { status: "running", attempts: 2, costUsd: 0.5, grantUsd: 0.5 } }));
    expect(actions).toEqual([{ type: "start", id: "a", attempt: 2, retry: true }]);
  });

  it("advance | pending, a budget | running · n+1, its grant: its cap, or its share of what is left | start", () => {
    const graph = graphOf({ a: [], b: [], c: [], d: [] }, { maxBudgetUsd: { a: 1 } });
    const machine = machineOf(graph, { maxParallel: 3, budgetUsd: 10 });
    const before = stateOf({ d: { status: "succeeded", attempts: 1, costUsd: 1 } });
    const { state, actions } = stepPure(machine, before, { type: "advance" });
    // $9 left for three starts: a's cap is $1, so b and c share the other $8.
    expect(state.tasks).toMatchObject({
      a: { status: "running", grantUsd: 1 },
      b: { status: "running", grantUsd: 4 },
      c: { status: "running", grantUsd: 4 },
    });
    expect(actions.map((action) => action.type)).toEqual(["start", "start", "start"]);
  });

  it("advance | pending, the budget left is held by running attempts | pending | — (starts when one ends)", () => {
    const graph = graphOf({ a: [], b: [], c: [] });
    const machine = machineOf(graph, { maxParallel: 2, budgetUsd: 2 });
    const before = stateOf({
      a: { status: "running", attempts: 1, grantUsd: 2 },
      c: { status: "succeeded", attempts: 1 },
    });
    const held = stepPure(machine, before, { type: "advance" });
    expect(held.actions).toEqual([]);
    expect(held.state).toEqual(before);
    // a ends having spent $0.50 of its $2: b may spend the $1.50 left.
    const ended = stepPure(machine, held.state, {
      type: "attempt_ended",
      id: "a",
      attempt: 1,
      succeeded: true,
      costUsd: 0.5,
    });
    const next = stepPure(machine, ended.state, { type: "advance" });
    expect(next.state.tasks.a).toEqual({ status: "succeeded", attempts: 1, costUsd: 0.5 });
    expect(next.state.tasks.b).toEqual({ status: "running", attempts: 1, grantUsd: 1.5 });
  });

  it("advance | pending, a dependency did not succeed | skipped (why) | skipped", () => {
    const graph = tree();
    const before = stateOf({
      a: { status: "failed", attempts: 1, reason: "boom" },
      e: { status: "running", attempts: 1 },
    });
    const { state, actions } = stepPure(machineOf(graph), before, { type: "advance" });
    expect(state.tasks).toEqual({
      ...before.tasks,
      b: { status: "skipped", attempts: 0, reason: 'dependency "a" failed' },
      c: { status: "skipped", attempts: 0, reason: 'dependency "b" was skipped because "a" failed' },
      d: { status: "skipped", attempts: 0, reason: 'dependency "a" failed' },
    });
    expect(actions).toEqual([
      { type: "skipped", id: "b", reason: 'dependency "a" failed' },
      { type: "skipped", id: "c", reason: 'dependency "b" was skipped because "a" failed' },
      { type: "skipped", id: "d", reason: 'dependency "a" failed' },
    ]);
    expect(state.outcome).toBeUndefined();
  });

  it("advance | pending, the budget is spent | skipped (why) | skipped", () => {
    const graph = graphOf({ a: [], b: [], c: [] });
    const before = stateOf({
      a: { status: "succeeded", attempts: 1, costUsd: 2 },
      b: { status: "running", attempts: 1 },
    });
    const { state, actions } = stepPure(machineOf(graph, { maxParallel: 3, budgetUsd: 2 }), before, {
      type: "advance",
    });
    const reason = "the session budget of $2.00 was reached ($2.00 spent)";
    expect(state.tasks.c).toEqual({ status: "skipped", attempts: 0, reason });
    expect(state.tasks.b).toEqual({ status: "running", attempts: 1 });
    expect(actions).toEqual([{ type: "skipped", id: "c", reason }]);
  });

  it("advance | pending, dependencies not merged | pending | waiting", () => {
    const graph = graphFromTasks([makeTask("a"), { ...makeTask("b", ["a"]), base: "merged" }]);
    const before = stateOf({ a: { status: "succeeded", attempts: 1 } });
    const { state, actions } = stepPure(machineOf(graph), before, { type: "advance" });
    expect(state).toEqual(before);
    expect(actions).toEqual([{ type: "waiting", id: "b", unmerged: ["a"] }]);
  });

  it("advance | pending or running, cancel requested | cancelled | stop (if it ran), forget", () => {
    const graph = graphOf({ a: [], b: ["a"], c: [], d: [], e: ["d"] }, { retries: { d: 2 } });
    const before = stateOf(
      {
        a: { status: "succeeded", attempts: 1 },
        b: { status: "running", attempts: 1, costUsd: 0.25 },
        d: { status: "failed", attempts: 1, reason: "boom" },
      },
      { cancelRequested: true },
    );
    const { state, actions } = stepPure(machineOf(graph), before, { type: "advance" });
    const cancelled = "the session was cancelled";
    expect(state.tasks).toEqual({
      a: { status: "succeeded", attempts: 1 },
      b: { status: "cancelled", attempts: 1, reason: cancelled, costUsd: 0.25 },
      c: { status: "cancelled", attempts: 0, reason: cancelled },
      // A failed task stays failed (it is not retried); its waiting dependent is cancelled.
      d: { status: "failed", attempts: 1, reason: "boom" },
      e: { status: "cancelled", attempts: 0, reason: cancelled },
    });
    // The running one is stopped (its run's facts are still needed for that), the others forgotten.
    expect(actions.slice(0, 3)).toEqual([
      { type: "stop", id: "b", attempt: 1 },
      { type: "forget", id: "c" },
      { type: "forget", id: "e" },
    ]);
    expect(actions[3]).toMatchObject({ type: "finished", outcome: { conclusion: "cancelled" } });
    expect(actions).toHaveLength(4);
    expect(state.cancelRequested).toBe(true);
  });

  it("advance | nothing runs, nothing can start | session ended | finished", () => {
    const graph = graphOf({ a: [], b: ["a"] });
    const before = stateOf({
      a: { status: "succeeded", attempts: 1 },
      b: { status: "succeeded", attempts: 2 },
    });
    const { state, actions } = stepPure(machineOf(graph), before, { type: "advance" });
    const outcome = { conclusion: "success", summary: "2 of 2 tasks succeeded" } as const;
    expect(state).toEqual({ ...before, outcome });
    expect(actions).toEqual([
      {
        type: "finished",
        outcome: {
          ...outcome,
          counts: {
            pending: 0,
            running: 0,
            succeeded: 2,
            failed: 0,
            skipped: 0,
            cancelled: 0,
            needs_input: 0,
          },
        },
      },
    ]);
    // The stored outcome is the record's shape: no counts.
    expect(state.outcome).not.toHaveProperty("counts");
  });

  it("run_seen n | pending · < n | running · n | forget", () => {
    const graph = tree();
    const before = stateOf({ a: { status: "pending", attempts: 1, costUsd: 1 } });
    const { state, actions } = stepPure(machineOf(graph), before, {
      type: "run_seen",
      id: "a",
      attempt: 2,
      active: true,
    });
    expect(state).toEqual(stateOf({ a: { status: "running", attempts: 2, costUsd: 1 } }));
    expect(actions).toEqual([{ type: "forget", id: "a" }]);
    // A never-started task (no entry) is pending · 0.
    const fresh = stepPure(machineOf(graph), stateOf({}), {
      type: "run_seen",
      id: "e",
      attempt: 1,
      active: false,
    });
    expect(fresh.state.tasks.e).toEqual({ status: "running", attempts: 1 });
    expect(fresh.actions).toEqual([{ type: "forget", id: "e" }]);
  });

  it("run_seen n | pending · < n, cancel requested | cancelled · n | forget (+ stop if active)", () => {
    const graph = tree();
    const before = stateOf({}, { cancelRequested: true });
    const cancelled = { status: "cancelled", attempts: 1, reason: "the session was cancelled" } as const;
    const active = stepPure(machineOf(graph), before, {
      type: "run_seen",
      id: "a",
      attempt: 1,
      active: true,
    });
    expect(active.state).toEqual(stateOf({ a: cancelled }, { cancelRequested: true }));
    expect(active.actions).toEqual([
      { type: "forget", id: "a" },
      { type: "stop", id: "a", attempt: 1 },
    ]);
    const over = stepPure(machineOf(graph), before, { type: "run_seen", id: "a", attempt: 1, active: false });
    expect(over.state).toEqual(active.state);
    expect(over.actions).toEqual([{ type: "forget", id: "a" }]);
  });

  it("run_seen n | another run of n known, still active | unchanged | stop (that run)", () => {
    const graph = tree();
    for (const task of [
      { status: "running", attempts: 1 },
      { status: "succeeded", attempts: 1 },
      { status: "failed", attempts: 1, reason: "x" },
    ] as const) {
      const before = stateOf({ a: task });
      const active = stepPure(machineOf(graph), before, {
        type: "run_seen",
        id: "a",
        attempt: 1,
        active: true,
        duplicate: true,
      });
      expect(active.state).toEqual(before);
      expect(active.actions).toEqual([{ type: "stop", id: "a", attempt: 1 }]);
      const over = stepPure(machineOf(graph), before, {
        type: "run_seen",
        id: "a",
        attempt: 1,
        active: false,
        duplicate: true,
      });
      expect(over).toEqual({ state: before, actions: [] });
    }
  });

  it("run_seen n | cancelled · n, run still active | cancelled · n | stop", () => {
    const graph = tree();
    const before = stateOf({ a: { status: "cancelled", attempts: 2, reason: "the session was cancelled" } });
    const active = stepPure(machineOf(graph), before, {
      type: "run_seen",
      id: "a",
      attempt: 2,
      active: true,
    });
    expect(active.state).toEqual(before);
    expect(active.actions).toEqual([{ type: "stop", id: "a", attempt: 2 }]);
    // A run that is over, or an older attempt's run, needs nothing.
    for (const event of [
      { type: "run_seen", id: "a", attempt: 2, active: false },
      { type: "run_seen", id: "a", attempt: 1, active: true },
    ] as const) {
      expect(stepPure(machineOf(graph), before, event)).toEqual({ state: before, actions: [] });
    }
  });

  it("attempt_ended n | running · n | succeeded / failed, cost += | ended", () => {
    const graph = tree({ a: 1 });
    const before = stateOf({ a: { status: "running", attempts: 1, costUsd: 1 } });
    const ok = stepPure(machineOf(graph), before, {
      type: "attempt_ended",
      id: "a",
      attempt: 1,
      succeeded: true,
      costUsd: 0.5,
    });
    expect(ok.state.tasks.a).toEqual({ status: "succeeded", attempts: 1, costUsd: 1.5 });
    expect(ok.actions).toEqual([{ type: "ended", id: "a", attempt: 1, succeeded: true, willRetry: false }]);
    const failed = stepPure(machineOf(graph), before, {
      type: "attempt_ended",
      id: "a",
      attempt: 1,
      succeeded: false,
      reason: "tests failed",
      costUsd: 0.25,
    });
    expect(failed.state.tasks.a).toEqual({
      status: "failed",
      attempts: 1,
      reason: "tests failed",
      costUsd: 1.25,
    });
    expect(failed.actions).toEqual([
      { type: "ended", id: "a", attempt: 1, succeeded: false, willRetry: true },
    ]);
  });

  it("dispatch_failed n | running · n | failed (why) | ended", () => {
    const graph = tree();
    const before = stateOf({ a: { status: "running", attempts: 1, costUsd: 0.5 } });
    const { state, actions } = stepPure(machineOf(graph), before, {
      type: "dispatch_failed",
      id: "a",
      attempt: 1,
      reason: "the workflow could not be dispatched",
    });
    expect(state.tasks.a).toEqual({
      status: "failed",
      attempts: 1,
      reason: "the workflow could not be dispatched",
      costUsd: 0.5,
    });
    expect(actions).toEqual([{ type: "ended", id: "a", attempt: 1, succeeded: false, willRetry: false }]);
  });

  it("dispatch_withdrawn n | running · n | pending · n-1 | forget", () => {
    const graph = tree();
    const before = stateOf({ a: { status: "running", attempts: 2, costUsd: 0.5 } });
    const { state, actions } = stepPure(machineOf(graph), before, {
      type: "dispatch_withdrawn",
      id: "a",
      attempt: 2,
    });
    expect(state.tasks.a).toEqual({ status: "pending", attempts: 1, costUsd: 0.5 });
    expect(actions).toEqual([{ type: "forget", id: "a" }]);
    // The next advance starts the same attempt number again.
    expect(step(machineOf(graph), state, { type: "advance" }).actions).toContainEqual({
      type: "start",
      id: "a",
      attempt: 2,
      retry: true,
    });
  });

  it("attempt_interrupted n | running · n | pending · n-1, cost += | forget", () => {
    const graph = tree();
    const before = stateOf({ a: { status: "running", attempts: 1, costUsd: 0.5 } });
    const { state, actions } = stepPure(machineOf(graph), before, {
      type: "attempt_interrupted",
      id: "a",
      attempt: 1,
      costUsd: 0.25,
    });
    expect(state.tasks.a).toEqual({ status: "pending", attempts: 0, costUsd: 0.75 });
    expect(actions).toEqual([{ type: "forget", id: "a" }]);
    const restarted = step(machineOf(graph), state, { type: "advance" });
    expect(restarted.actions).toContainEqual({ type: "start", id: "a", attempt: 1, retry: false });
    expect(restarted.state.tasks.a).toEqual({ status: "running", attempts: 1, costUsd: 0.75 });
  });

  it("resume | running · n | pending · n-1 | forget", () => {
    const graph = tree();
    const before = stateOf({
      a: { status: "succeeded", attempts: 1 },
      b: { status: "running", attempts: 2, costUsd: 1 },
      e: { status: "running", attempts: 1 },
    });
    const { state, actions } = stepPure(machineOf(graph), before, { type: "resume" });
    expect(state.tasks).toEqual({
      a: { status: "succeeded", attempts: 1 },
      b: { status: "pending", attempts: 1, costUsd: 1 },
      e: { status: "pending", attempts: 0 },
    });
    expect(actions).toEqual([
      { type: "forget", id: "b" },
      { type: "forget", id: "e" },
    ]);
    // Nothing running: nothing to do.
    expect(stepPure(machineOf(graph), state, { type: "resume" })).toEqual({ state, actions: [] });
  });

  it("merged | succeeded | succeeded, merged | —", () => {
    const graph = tree();
    const before = stateOf({ a: { status: "succeeded", attempts: 1, costUsd: 1 } });
    const { state, actions } = stepPure(machineOf(graph), before, { type: "merged", id: "a" });
    expect(state.tasks.a).toEqual({ status: "succeeded", attempts: 1, costUsd: 1, merged: true });
    expect(actions).toEqual([]);
  });

  it('retry (ids or "failed") | failed (or named cancelled) | pending; dependents pending; reopened | forget, retried', () => {
    const graph = tree();
    const before = stateOf(
      {
        a: { status: "failed", attempts: 1, reason: "boom", costUsd: 2 },
        b: { status: "skipped", attempts: 0, reason: 'dependency "a" failed' },
        c: { status: "skipped", attempts: 0, reason: 'dependency "b" was skipped because "a" failed' },
        d: { status: "cancelled", attempts: 1, reason: "the session was cancelled" },
        e: { status: "succeeded", attempts: 1 },
      },
      { cancelRequested: true, outcome: ENDED },
    );
    const { state, actions } = stepPure(machineOf(graph), before, { type: "retry", tasks: ["a"] });
    expect(state).toEqual(
      stateOf({
        a: { status: "pending", attempts: 1, costUsd: 2 },
        b: { status: "pending", attempts: 0 },
        c: { status: "pending", attempts: 0 },
        d: { status: "pending", attempts: 1 },
        e: { status: "succeeded", attempts: 1 },
      }),
    );
    // The retried task first, then its dependents (in no particular order), then "retried".
    expect(actions[0]).toEqual({ type: "forget", id: "a" });
    expect(actions.slice(1, -1)).toHaveLength(3);
    expect(actions.slice(1, -1)).toEqual(
      expect.arrayContaining([
        { type: "forget", id: "b" },
        { type: "forget", id: "c" },
        { type: "forget", id: "d" },
      ]),
    );
    expect(actions.at(-1)).toEqual({ type: "retried", ids: ["a"] });
  });

  it("cancel | session not ended | cancel requested | — (next advance cancels)", () => {
    const graph = tree();
    const before = stateOf({ a: { status: "running", attempts: 1 } });
    const { state, actions } = stepPure(machineOf(graph), before, { type: "cancel" });
    expect(state).toEqual({ ...before, cancelRequested: true });
    expect(actions).toEqual([]);
    const next = step(machineOf(graph), state, { type: "advance" });
    expect(next.state.tasks.a?.status).toBe("cancelled");
    expect(next.actions[0]).toEqual({ type: "stop", id: "a", attempt: 1 });
    expect(next.state.outcome?.conclusion).toBe("cancelled");
  });

  it("an event for another attempt than the task's current one changes nothing", () => {
    const graph = tree();
    const before = stateOf({
      a: { status: "running", attempts: 2, costUsd: 1 },
      b: { status: "cancelled", attempts: 1, reason: "the session was cancelled" },
      c: { status: "succeeded", attempts: 1 },
      d: { status: "pending", attempts: 1 },
    });
    const stale: SessionEvent[] = [];
    for (const id of ["a", "b", "c", "d", "nobody"]) {
      for (const attempt of [1, 3]) {
        stale.push(
          { type: "attempt_ended", id, attempt, succeeded: true, costUsd: 1 },
          { type: "attempt_ended", id, attempt, succeeded: false, costUsd: 1 },
          { type: "dispatch_failed", id, attempt, reason: "refused" },
          { type: "dispatch_withdrawn", id, attempt },
          { type: "attempt_interrupted", id, attempt, costUsd: 1 },
        );
      }
    }
    // run_seen of an attempt the record already has (or had) is no proof of anything new.
    stale.push(
      { type: "run_seen", id: "a", attempt: 2, active: true },
      { type: "run_seen", id: "a", attempt: 1, active: true },
      { type: "run_seen", id: "c", attempt: 2, active: true },
      { type: "run_seen", id: "d", attempt: 1, active: true },
      { type: "run_seen", id: "nobody", attempt: 1, active: true },
    );
    for (const event of stale) {
      expect(stepPure(machineOf(graph), before, event), JSON.stringify(event)).toEqual({
        state: before,
        actions: [],
      });
    }
  });

  it("once the session has ended only retry and merged apply", () => {
    const graph = tree();
    const before = stateOf(
      {
        a: { status: "failed", attempts: 1, reason: "boom" },
        b: { status: "skipped", attempts: 0, reason: 'dependency "a" failed' },
        c: { status: "skipped", attempts: 0, reason: 'dependency "b" was skipped because "a" failed' },
        d: { status: "skipped", attempts: 0, reason: 'dependency "a" failed' },
        e: { status: "succeeded", attempts: 1 },
      },
      { outcome: ENDED },
    );
    const ignored: SessionEvent[] = [
      { type: "advance" },
      { type: "cancel" },
      { type: "resume" },
      { type: "run_seen", id: "b", attempt: 1, active: false },
      { type: "attempt_ended", id: "a", attempt: 1, succeeded: true },
      { type: "dispatch_failed", id: "a", attempt: 1, reason: "refused" },
      { type: "dispatch_withdrawn", id: "a", attempt: 1 },
      { type: "attempt_interrupted", id: "a", attempt: 1, costUsd: 1 },
    ];
    for (const event of ignored) {
      expect(stepPure(machineOf(graph), before, event), event.type).toEqual({ state: before, actions: [] });
    }
    expect(stepPure(machineOf(graph), before, { type: "merged", id: "e" }).state.tasks.e?.merged).toBe(true);
    const reopened = stepPure(machineOf(graph), before, { type: "retry", tasks: "failed" });
    expect(reopened.state.outcome).toBeUndefined();
    expect(reopened.actions.at(-1)).toEqual({ type: "retried", ids: ["a"] });
  });
});

describe("session machine: recording results", () => {
  it("records the current attempt's result and sums its cost", () => {
    const graph = tree();
    const before = stateOf({ a: { status: "running", attempts: 2, costUsd: 1 } });
    const ended = (succeeded: boolean, costUsd?: number) =>
      step(machineOf(graph), before, {
        type: "attempt_ended",
        id: "a",
        attempt: 2,
        succeeded,
        ...(costUsd === undefined ? {} : { costUsd }),
      }).state.tasks.a;
    expect(ended(true, 0.5)).toEqual({ status: "succeeded", attempts: 2, costUsd: 1.5 });
    expect(ended(false)).toEqual({ status: "failed", attempts: 2, reason: "the task failed", costUsd: 1 });
    // No cost known anywhere: no cost field.
    expect(
      step(machineOf(graph), stateOf({ a: { status: "running", attempts: 1 } }), {
        type: "attempt_ended",
        id: "a",
        attempt: 1,
        succeeded: true,
      }).state.tasks.a,
    ).toEqual({ status: "succeeded", attempts: 1 });
  });

  it("ignores stale attempts and tasks that no longer run", () => {
    const graph = tree();
    const before = stateOf({
      a: { status: "running", attempts: 2 },
      b: { status: "cancelled", attempts: 1, reason: "the session was cancelled" },
      c: { status: "succeeded", attempts: 1 },
    });
    for (const [id, succeeded] of [
      ["a", true],
      ["b", true],
      ["c", false],
      ["nobody", true],
    ] as const) {
      expect(step(machineOf(graph), before, { type: "attempt_ended", id, attempt: 1, succeeded })).toEqual({
        state: before,
        actions: [],
      });
    }
  });

  it("a duplicate report of a recorded result changes nothing, even with another outcome", () => {
    const graph = tree();
    const machine = machineOf(graph);
    const first = stepAll(machine, stateOf({}), [
      { type: "advance" },
      { type: "attempt_ended", id: "a", attempt: 1, succeeded: true, costUsd: 1 },
    ]).state;
    for (const succeeded of [true, false]) {
      expect(
        step(machine, first, { type: "attempt_ended", id: "a", attempt: 1, succeeded, costUsd: 1 }),
      ).toEqual({ state: first, actions: [] });
    }
  });

  it("willRetry says whether the failure is final: retries, budget and cancel", () => {
    const graph = graphOf({ a: [], b: ["a"] }, { retries: { a: 1 } });
    const running = (attempts: number) => stateOf({ a: { status: "running", attempts } });
    const fail = (machine: SessionMachine, state: SessionState, costUsd = 0) =>
      step(machine, state, { type: "attempt_ended", id: "a", attempt: 1, succeeded: false, costUsd });
    const willRetry = (result: ReturnType<typeof step>) =>
      result.actions.find((action) => action.type === "ended")?.willRetry;

    const retried = fail(machineOf(graph), running(1));
    expect(willRetry(retried)).toBe(true);
    expect(step(machineOf(graph), retried.state, { type: "advance" }).actions).toEqual([
      { type: "start", id: "a", attempt: 2, retry: true },
    ]);

    // The failure's own cost spends the budget: final, and the next advance skips b.
    const broke = fail(machineOf(graph, { maxParallel: 2, budgetUsd: 1 }), running(1), 1);
    expect(willRetry(broke)).toBe(false);
    const afterBroke = step(machineOf(graph, { maxParallel: 2, budgetUsd: 1 }), broke.state, {
      type: "advance",
    });
    expect(afterBroke.actions.filter((a) => a.type === "start")).toEqual([]);
    expect(afterBroke.state.tasks.b?.status).toBe("skipped");

    const cancelling = fail(machineOf(graph), { ...running(1), cancelRequested: true });
    expect(willRetry(cancelling)).toBe(false);

    const lastAttempt = step(machineOf(graph), running(2), {
      type: "attempt_ended",
      id: "a",
      attempt: 2,
      succeeded: false,
    });
    expect(willRetry(lastAttempt)).toBe(false);
  });

  it("willRetry holds while all slots are taken: the retry starts once a slot frees", () => {
    // The doc of `ended` says "the next advance starts another attempt"; with every slot taken by
    // a longer path the retry waits one more advance, but it is never dropped.
    const graph = graphOf({ a: [], long1: [], long2: ["long1"], long3: ["long2"] }, { retries: { a: 1 } });
    const machine = machineOf(graph, { maxParallel: 1 });
    const failed = stepAll(machine, stateOf({ a: { status: "running", attempts: 1 } }), [
      { type: "attempt_ended", id: "a", attempt: 1, succeeded: false },
      { type: "advance" },
    ]);
    expect(failed.actions).toEqual([
      { type: "ended", id: "a", attempt: 1, succeeded: false, willRetry: true },
      { type: "start", id: "long1", attempt: 1, retry: false },
    ]);
    expect(failed.state.tasks.a?.status).toBe("failed");
    const later = stepAll(machine, failed.state, [
      { type: "attempt_ended", id: "long1", attempt: 1, succeeded: true },
      { type: "advance" },
    ]);
    // long2 (two tasks left on its path) still outranks a, which waits.
    expect(later.actions.at(-1)).toEqual({ type: "start", id: "long2", attempt: 1, retry: false });
    // Then a and long3 are equally long: file order, a first.
    const last = stepAll(machine, later.state, [
      { type: "attempt_ended", id: "long2", attempt: 1, succeeded: true },
      { type: "advance" },
    ]);
    expect(last.actions.at(-1)).toEqual({ type: "start", id: "a", attempt: 2, retry: true });
  });

  it("counts what every attempt cost: ended, failed, interrupted, across retries", () => {
    const graph = graphOf({ a: [] }, { retries: { a: 2 } });
    const machine = machineOf(graph);
    const { state } = stepAll(machine, stateOf({}), [
      { type: "advance" },
      { type: "attempt_interrupted", id: "a", attempt: 1, costUsd: 0.25 },
      { type: "advance" },
      { type: "attempt_ended", id: "a", attempt: 1, succeeded: false, costUsd: 0.5 },
      { type: "advance" },
      { type: "resume" },
      { type: "advance" },
      { type: "attempt_ended", id: "a", attempt: 2, succeeded: false, costUsd: 1 },
      { type: "advance" },
      { type: "attempt_ended", id: "a", attempt: 3, succeeded: true, costUsd: 2 },
    ]);
    expect(state.tasks.a).toEqual({ status: "succeeded", attempts: 3, costUsd: 3.75 });
  });
});

describe("session machine: retry", () => {
  it("puts a failed task back to pending and un-skips its dependents; the next advance retries it", () => {
    const graph = tree();
    const machine = machineOf(graph);
    const failedRun = stepAll(
      machine,
      stateOf({
        a: { status: "failed", attempts: 1, reason: "boom", costUsd: 2 },
        e: { status: "succeeded", attempts: 1 },
      }),
      [{ type: "advance" }],
    );
    expect(failedRun.state.tasks.b?.status).toBe("skipped");
    expect(failedRun.state.outcome?.conclusion).toBe("failure");
    const retried = step(machine, failedRun.state, { type: "retry", tasks: ["a"] });
    expect(retried.actions.at(-1)).toEqual({ type: "retried", ids: ["a"] });
    expect(retried.state.tasks.a).toEqual({ status: "pending", attempts: 1, costUsd: 2 });
    for (const id of ["b", "c", "d"]) expect(retried.state.tasks[id]?.status).toBe("pending");
    expect(retried.state.tasks.e?.status).toBe("succeeded");
    expect(retried.state.outcome).toBeUndefined();
    const next = step(machine, retried.state, { type: "advance" });
    expect(next.actions).toEqual([{ type: "start", id: "a", attempt: 2, retry: true }]);
  });

  it('"failed" retries every failed task but not cancelled or succeeded ones', () => {
    const graph = graphOf({ a: [], b: [], c: [], d: ["c"] });
    const before = stateOf({
      a: { status: "failed", attempts: 1 },
      b: { status: "cancelled", attempts: 1 },
      c: { status: "failed", attempts: 2 },
      d: { status: "skipped", attempts: 0, reason: 'dependency "c" failed' },
    });
    const { state, actions } = step(machineOf(graph), before, { type: "retry", tasks: "failed" });
    expect(actions.at(-1)).toEqual({ type: "retried", ids: ["a", "c"] });
    expect(state.tasks.b?.status).toBe("cancelled");
    expect(state.tasks.d).toEqual({ status: "pending", attempts: 0 });
    // Named explicitly, a cancelled task can be retried.
    const named = step(machineOf(graph), before, { type: "retry", tasks: ["b"] });
    expect(named.actions).toEqual([
      { type: "forget", id: "b" },
      { type: "retried", ids: ["b"] },
    ]);
    expect(named.state.tasks.b).toEqual({ status: "pending", attempts: 1 });
  });

  it("a retry of nothing retryable changes nothing and does not reopen the session", () => {
    const graph = graphOf({ a: [], b: [] });
    const before = stateOf(
      { a: { status: "succeeded", attempts: 1 }, b: { status: "cancelled", attempts: 0 } },
      { cancelRequested: true, outcome: { conclusion: "cancelled", summary: "…" } },
    );
    for (const tasks of ["failed", ["a"], ["nobody"], []] as const) {
      expect(step(machineOf(graph), before, { type: "retry", tasks })).toEqual({
        state: before,
        actions: [],
      });
    }
  });

  it("a retry lifts a cancel that was asked for but not carried out yet", () => {
    const graph = graphOf({ a: [], b: [] });
    const { state } = stepAll(
      machineOf(graph),
      stateOf({ a: { status: "failed", attempts: 1 }, b: { status: "running", attempts: 1 } }),
      [{ type: "cancel" }, { type: "retry", tasks: ["a"] }, { type: "advance" }],
    );
    expect(state.cancelRequested).toBeUndefined();
    expect(state.tasks.a).toEqual({ status: "running", attempts: 2 });
    expect(state.tasks.b).toEqual({ status: "running", attempts: 1 });
  });

  it("a retried task's dependent that is blocked by another failure is skipped again", () => {
    const graph = graphOf({ a: [], b: [], c: ["a", "b"] });
    const before = stateOf({
      a: { status: "failed", attempts: 1 },
      b: { status: "failed", attempts: 1 },
      c: { status: "skipped", attempts: 0 },
    });
    const retried = step(machineOf(graph), before, { type: "retry", tasks: ["a"] });
    expect(retried.state.tasks.c).toEqual({ status: "pending", attempts: 0 });
    const { state, actions } = step(machineOf(graph), retried.state, { type: "advance" });
    expect(actions).toEqual([
      { type: "skipped", id: "c", reason: 'dependency "b" failed' },
      { type: "start", id: "a", attempt: 2, retry: true },
    ]);
    expect(state.tasks.c?.status).toBe("skipped");
  });

  it("a late report from the attempt before a retry is stale", () => {
    const graph = graphOf({ a: [] });
    const { state } = stepAll(
      machineOf(graph),
      stateOf({ a: { status: "cancelled", attempts: 1, reason: "the session was cancelled" } }),
      [{ type: "retry", tasks: ["a"] }, { type: "advance" }],
    );
    expect(state.tasks.a).toEqual({ status: "running", attempts: 2 });
    expect(
      step(machineOf(graph), state, { type: "attempt_ended", id: "a", attempt: 1, succeeded: true }),
    ).toEqual({ state, actions: [] });
  });
});

describe("session machine: merged", () => {
  const graph = graphFromTasks([
    makeTask("schema"),
    makeTask("api"),
    { ...makeTask("migrate", ["schema", "api"]), base: "merged" },
  ]);

  it("only marks succeeded tasks as merged", () => {
    for (const status of ["pending", "running", "failed", "skipped", "cancelled"] as const) {
      const before = stateOf({ api: { status, attempts: 1 } });
      expect(step(machineOf(graph), before, { type: "merged", id: "api" })).toEqual({
        state: before,
        actions: [],
      });
    }
    expect(step(machineOf(graph), stateOf({}), { type: "merged", id: "api" }).state).toEqual(stateOf({}));
  });

  it("the last merge starts the waiting task", () => {
    const machine = machineOf(graph);
    const both = stateOf({
      schema: { status: "succeeded", attempts: 1, merged: true },
      api: { status: "succeeded", attempts: 1 },
    });
    expect(step(machine, both, { type: "advance" }).actions).toEqual([
      { type: "waiting", id: "migrate", unmerged: ["api"] },
    ]);
    const { state, actions } = stepAll(machine, both, [{ type: "merged", id: "api" }, { type: "advance" }]);
    expect(actions).toEqual([{ type: "start", id: "migrate", attempt: 1, retry: false }]);
    expect(state.tasks.api).toEqual({ status: "succeeded", attempts: 1, merged: true });
  });
});

describe("session machine: a whole session", () => {
  it("advance twice in a row starts nothing twice", () => {
    const graph = tree();
    const machine = machineOf(graph);
    const first = step(machine, stateOf({}), { type: "advance" });
    expect(first.actions).toEqual([
      { type: "start", id: "a", attempt: 1, retry: false },
      { type: "start", id: "e", attempt: 1, retry: false },
    ]);
    expect(step(machine, first.state, { type: "advance" })).toEqual({ state: first.state, actions: [] });
  });

  it("runs a graph to success through step alone", () => {
    const graph = tree();
    const machine = machineOf(graph, { maxParallel: 2 });
    let state = stateOf({});
    const started: string[] = [];
    for (let round = 0; round < 20 && state.outcome === undefined; round++) {
      const advanced = step(machine, state, { type: "advance" });
      state = advanced.state;
      for (const action of advanced.actions) {
        if (action.type !== "start") continue;
        started.push(action.id);
        state = step(machine, state, {
          type: "attempt_ended",
          id: action.id,
          attempt: action.attempt,
          succeeded: true,
          costUsd: 0.5,
        }).state;
      }
    }
    expect(state.outcome).toEqual({ conclusion: "success", summary: "5 of 5 tasks succeeded" });
    expect([...started].sort()).toEqual(["a", "b", "c", "d", "e"]);
  });
});

describe("session machine: runs the record lost", () => {
  // A start whose save was lost (a crash before the save, another process's save overwriting
  // ours, a run listed only after the next pass): the run exists, the record does not know it.

  it("takes up a lost first start, and the next advance does not start that attempt again", () => {
    const graph = tree();
    const machine = machineOf(graph);
    const started = step(machine, stateOf({}), { type: "advance" });
    expect(started.actions).toContainEqual({ type: "start", id: "a", attempt: 1, retry: false });
    // The save is lost: the record is still empty when the run shows up.
    const seen = step(machine, stateOf({}), { type: "run_seen", id: "a", attempt: 1, active: true });
    const next = step(machine, seen.state, { type: "advance" });
    expect(next.actions).not.toContainEqual(expect.objectContaining({ type: "start", id: "a" }));
  });

  it("takes up a lost retry start (the task is still recorded failed), and does not start it twice", () => {
    const graph = graphOf({ a: [], b: ["a"] }, { retries: { a: 1 } });
    const machine = machineOf(graph);
    const failed = stateOf({ a: { status: "failed", attempts: 1, reason: "boom", costUsd: 1 } });
    const retried = step(machine, failed, { type: "advance" });
    expect(retried.actions).toEqual([{ type: "start", id: "a", attempt: 2, retry: true }]);
    // The save of that advance is lost; attempt 2's run is then seen.
    const seen = step(machine, failed, { type: "run_seen", id: "a", attempt: 2, active: true });
    expect(seen.state.tasks.a).toEqual({ status: "running", attempts: 2, costUsd: 1 });
    expect(seen.actions).toEqual([{ type: "forget", id: "a" }]);
    const next = step(machine, seen.state, { type: "advance" });
    expect(next.actions).not.toContainEqual({ type: "start", id: "a", attempt: 2, retry: true });
  });

  it("stops a lost run of a task the record cancelled before the run was seen", () => {
    // b keeps the session open, so this is not about the ended-session rule.
    const graph = graphOf({ a: [], b: [] });
    const before = stateOf(
      {
        a: { status: "cancelled", attempts: 0, reason: "the session was cancelled" },
        b: { status: "running", attempts: 1 },
      },
      { cancelRequested: true },
    );
    const { actions } = step(machineOf(graph), before, {
      type: "run_seen",
      id: "a",
      attempt: 1,
      active: true,
    });
    expect(actions).toContainEqual({ type: "stop", id: "a", attempt: 1 });
  });

  it("stops a lost run of a task the record skipped for the budget before the run was seen", () => {
    const graph = graphOf({ a: [], b: [] });
    const reason = "the session budget of $1.00 was reached ($1.00 spent)";
    const before = stateOf({
      a: { status: "skipped", attempts: 0, reason },
      b: { status: "running", attempts: 1, costUsd: 1 },
    });
    const { actions } = step(machineOf(graph, { maxParallel: 2, budgetUsd: 1 }), before, {
      type: "run_seen",
      id: "a",
      attempt: 1,
      active: true,
    });
    expect(actions).toContainEqual({ type: "stop", id: "a", attempt: 1 });
  });

  it("stops a lost run that is seen only after a cancel ended the session", () => {
    const graph = graphOf({ a: [] });
    const machine = machineOf(graph);
    // advance starts a#1 (save lost), cancel, advance: a is cancelled unseen and the session ends.
    const ended = stepAll(machine, stateOf({}), [{ type: "cancel" }, { type: "advance" }]);
    expect(ended.state.outcome?.conclusion).toBe("cancelled");
    expect(ended.state.tasks.a).toEqual({
      status: "cancelled",
      attempts: 0,
      reason: "the session was cancelled",
    });
    const { actions } = step(machine, ended.state, { type: "run_seen", id: "a", attempt: 1, active: true });
    expect(actions).toContainEqual({ type: "stop", id: "a", attempt: 1 });
  });
});
