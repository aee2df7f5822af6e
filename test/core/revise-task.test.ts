import { describe, expect, it } from "vitest";
import { boundedFeedback, MAX_FEEDBACK_CHARS, reviseRefusal } from "../../src/core/revise-task.js";
import type { TaskObservation } from "../../src/core/reconcile.js";
import { REVISE_WITHOUT_TEXT, step, stepAll, type SessionMachine } from "../../src/core/session-machine.js";
import type { SessionState } from "../../src/core/session-state.js";
import { graphFromTasks, type TaskGraph } from "../../src/core/task-graph.js";
import { graphOf, makeTask } from "../support/random-dag.js";

/** Review follow-ups in the session machine: `revise`, its refusals, its feedback and its restacks. */

const machineOf = (graph: TaskGraph, budgetUsd?: number): SessionMachine => ({
  graph,
  limits: { maxParallel: 3, budgetUsd },
});

const done = (attempts = 1, extra: Partial<TaskObservation> = {}): TaskObservation => ({
  status: "succeeded",
  attempts,
  ...extra,
});

// a → b → c (all on their dependencies' branches), a → m (base: merged), a → x (base: base_branch).
function chain(retries = 1): TaskGraph {
  const task = (
    id: string,
    deps: string[],
    base: "dependencies" | "merged" | "base_branch" = "dependencies",
  ) => ({
    ...makeTask(id, deps, { retries }),
    base,
  });
  return graphFromTasks([
    task("a", []),
    task("b", ["a"]),
    task("c", ["b"]),
    task("m", ["a"], "merged"),
    task("x", ["a"], "base_branch"),
  ]);
}

const ENDED = { conclusion: "success", summary: "5 of 5 tasks succeeded" } as const;

describe("revise", () => {
  it("revise | succeeded, retries left | pending · n with the feedback, session reopened | revised", () => {
    const graph = chain();
    const before: SessionState = {
      tasks: { a: done(), b: done(), c: done(), m: done(), x: done() },
      outcome: ENDED,
    };
    const { state, actions } = step(machineOf(graph), before, {
      type: "revise",
      id: "a",
      feedback: "  rename it  ",
    });
    expect(state.tasks.a).toEqual({ status: "pending", attempts: 1, feedback: "rename it" });
    expect(state.outcome).toBeUndefined();
    expect(actions).toEqual([{ type: "revised", id: "a", attempt: 2 }]);

    // The next advance starts attempt 2 with the feedback; its end drops it.
    const started = step(machineOf(graph), state, { type: "advance" });
    expect(started.actions).toEqual([
      { type: "start", id: "a", attempt: 2, retry: true, feedback: "rename it" },
    ]);
    expect(started.state.tasks.a).toEqual({ status: "running", attempts: 2, feedback: "rename it" });
    const ended = step(machineOf(graph), started.state, {
      type: "attempt_ended",
      id: "a",
      attempt: 2,
      succeeded: true,
      costUsd: 0.25,
    });
    expect(ended.state.tasks.a).toEqual({ status: "succeeded", attempts: 2, costUsd: 0.25 });
    // b builds on a and c on b: both restacked, in order; m (merged) and x (base_branch) not.
    expect(ended.actions).toEqual([
      { type: "ended", id: "a", attempt: 2, succeeded: true, willRetry: false },
      { type: "restack", id: "b", onto: "a", why: "revised" },
      { type: "restack", id: "c", onto: "b", why: "revised" },
    ]);
    // And the session ends again.
    expect(step(machineOf(graph), ended.state, { type: "advance" }).state.outcome?.conclusion).toBe(
      "success",
    );
  });

  it("keeps the feedback when the revised attempt is interrupted, withdrawn or the executor restarts", () => {
    const graph = chain();
    const running: SessionState = {
      tasks: {
        a: { status: "running", attempts: 2, feedback: "fix" },
        b: done(),
        c: done(),
        m: done(),
        x: done(),
      },
    };
    for (const event of [
      { type: "attempt_interrupted", id: "a", attempt: 2 },
      { type: "dispatch_withdrawn", id: "a", attempt: 2 },
      { type: "resume" },
    ] as const) {
      expect(step(machineOf(graph), running, event).state.tasks.a).toEqual({
        status: "pending",
        attempts: 1,
        feedback: "fix",
      });
    }
    // A failed revised attempt drops it: the next attempt needs a new request.
    const failed = step(machineOf(graph), running, {
      type: "attempt_ended",
      id: "a",
      attempt: 2,
      succeeded: false,
      reason: "tests fail",
    });
    expect(failed.state.tasks.a).toEqual({ status: "failed", attempts: 2, reason: "tests fail" });
    expect(failed.actions).toEqual([
      { type: "ended", id: "a", attempt: 2, succeeded: false, willRetry: false },
    ]);
  });

  it("revise of a failed task puts its skipped dependents back to pending", () => {
    const graph = graphOf({ a: [], b: ["a"] }, { retries: { a: 1 } });
    const before: SessionState = {
      tasks: {
        a: { status: "failed", attempts: 1, reason: "boom" },
        b: { status: "skipped", attempts: 0, reason: 'dependency "a" failed' },
      },
      outcome: { conclusion: "failure", summary: "0 of 2 tasks succeeded" },
    };
    const { state, actions } = step(machineOf(graph), before, { type: "revise", id: "a", feedback: "try x" });
    expect(state.tasks).toEqual({
      a: { status: "pending", attempts: 1, feedback: "try x" },
      b: { status: "pending", attempts: 0 },
    });
    expect(actions).toEqual([
      { type: "forget", id: "b" },
      { type: "revised", id: "a", attempt: 2 },
    ]);
  });

  it("refuses, changing nothing, and says why", () => {
    const graph = chain();
    const base = { a: done(), b: done(), c: done(), m: done(), x: done() };
    const cases: Array<[string, SessionState, string, number | undefined, string]> = [
      ["unknown", { tasks: base }, "zz", undefined, 'there is no task "zz" in this session'],
      [
        "running",
        { tasks: { ...base, a: { status: "running", attempts: 1 } } },
        "a",
        undefined,
        'task "a" is running; revise it once its attempt has ended',
      ],
      ["not run", { tasks: {} }, "a", undefined, 'task "a" has not run yet'],
      [
        "skipped",
        { tasks: { ...base, b: { status: "skipped", attempts: 0, reason: "r" } } },
        "b",
        undefined,
        'task "b" was skipped and has no work to revise',
      ],
      [
        "no retries left",
        { tasks: { ...base, a: done(2) } },
        "a",
        undefined,
        'task "a" has used all its 2 attempts (retries: 1); a revise is another attempt: raise the task\'s `retries` to revise it',
      ],
      [
        "merged",
        { tasks: { ...base, a: done(1, { merged: true }) } },
        "a",
        undefined,
        'task "a"\'s work was merged already; ask for the change in a new task',
      ],
      [
        "budget",
        { tasks: { ...base, a: done(1, { costUsd: 2 }) } },
        "a",
        2,
        "the session budget of $2.00 was reached ($2.00 spent)",
      ],
      [
        "dependent running",
        { tasks: { ...base, c: { status: "running", attempts: 1 } } },
        "a",
        undefined,
        'task "c" is running on this task\'s work; revise once it has ended',
      ],
      [
        "cancelling",
        { tasks: { ...base, b: { status: "running", attempts: 1 } }, cancelRequested: true },
        "x",
        undefined,
        "the session is being cancelled",
      ],
    ];
    for (const [name, state, id, budgetUsd, reason] of cases) {
      const refusal = reviseRefusal({
        graph,
        tasks: state.tasks,
        id,
        budgetUsd,
        cancelling: state.cancelRequested === true && state.outcome === undefined,
      });
      expect(refusal, name).toBe(reason);
      expect(step(machineOf(graph, budgetUsd), state, { type: "revise", id, feedback: "f" }), name).toEqual({
        state,
        actions: [],
      });
    }
    // With the default `retries: 0`, a task's one attempt is all it has.
    const noRetries = chain(0);
    expect(
      reviseRefusal({ graph: noRetries, tasks: base, id: "a", budgetUsd: undefined, cancelling: false }),
    ).toBe(
      'task "a" has used its 1 attempt (retries: 0); a revise is another attempt: raise the task\'s `retries` to revise it',
    );
  });

  it("a cancelled session that ended reopens for a revise", () => {
    const graph = chain();
    const state: SessionState = {
      tasks: { a: done(), b: done(), c: done(), m: done(), x: done() },
      cancelRequested: true,
      outcome: { conclusion: "cancelled", summary: "…" },
    };
    const result = step(machineOf(graph), state, { type: "revise", id: "a", feedback: "f" });
    expect(result.state.cancelRequested).toBeUndefined();
    expect(result.state.outcome).toBeUndefined();
    expect(result.actions).toEqual([{ type: "revised", id: "a", attempt: 2 }]);
  });

  it("counts the revised attempt in the budget: its grant is what is left", () => {
    const graph = chain();
    const state: SessionState = {
      tasks: { a: done(1, { costUsd: 1.5 }), b: done(), c: done(), m: done(), x: done() },
    };
    const { state: after, actions } = stepAll(machineOf(graph, 2), state, [
      { type: "revise", id: "a", feedback: "f" },
      { type: "advance" },
    ]);
    expect(actions.at(-1)).toEqual({ type: "start", id: "a", attempt: 2, retry: true, feedback: "f" });
    expect(after.tasks.a).toMatchObject({ status: "running", grantUsd: 0.5 });
  });

  it("cuts long feedback with a note, and asks a wordless revise to revise", () => {
    const long = "x".repeat(MAX_FEEDBACK_CHARS + 10);
    expect(boundedFeedback(long)).toBe(
      `${"x".repeat(MAX_FEEDBACK_CHARS)}\n\n[feedback cut at ${MAX_FEEDBACK_CHARS} characters]`,
    );
    const graph = chain();
    const state: SessionState = { tasks: { a: done(), b: done(), c: done(), m: done(), x: done() } };
    expect(step(machineOf(graph), state, { type: "revise", id: "a", feedback: "   " }).state.tasks.a).toEqual(
      { status: "pending", attempts: 1, feedback: REVISE_WITHOUT_TEXT },
    );
  });
});

describe("revise beside the other task states", () => {
  const check = (tasks: Record<string, TaskObservation>, id = "a") =>
    reviseRefusal({ graph: chain(), tasks, id, budgetUsd: undefined, cancelling: false });

  it("is refused while a dependent that failed on the task's work is due to run again", () => {
    const tasks = { a: done(), b: { status: "failed" as const, attempts: 1, reason: "tests failed" } };
    expect(check(tasks)).toBe(
      'task "b" ran on this task\'s work and is due to run again; revise once it has ended',
    );
    // Once the dependent's retries are used up, it no longer starts on the old work: the revise goes ahead.
    expect(check({ ...tasks, b: { status: "failed", attempts: 2, reason: "tests failed" } })).toBeNull();
  });

  it("points a task that needs input to an answer", () => {
    expect(check({ a: { status: "needs_input", attempts: 1, reason: "asked a question" } })).toContain(
      "needs input: answer it",
    );
  });

  it("counts only the attempts that count: one that hit a limit leaves a retry for the revise", () => {
    expect(check({ a: done(2) })).toContain("has used all its 2 attempts");
    expect(check({ a: done(2, { uncounted: 1 }) })).toBeNull();
  });
});

describe("restacks follow a revise only", () => {
  it("a first success learnt late (a stale record healed) restacks nothing under it", () => {
    const graph = chain();
    const state: SessionState = { tasks: { a: { status: "running", attempts: 1 }, b: done() } };
    const ended = step(machineOf(graph), state, {
      type: "attempt_ended",
      id: "a",
      attempt: 1,
      succeeded: true,
    });
    expect(ended.actions.filter((action) => action.type === "restack")).toEqual([]);
  });
});
