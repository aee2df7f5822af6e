import { describe, expect, it } from "vitest";
import { SessionInPlace, step, type SessionMachine } from "../../src/core/session-machine.js";
import type { SessionState } from "../../src/core/session-state.js";
import {
  DEFAULT_LIMIT_BACKOFF_MS,
  finalQuestion,
  limitResumeAt,
  MIN_LIMIT_WAIT_MS,
  refusedToolList,
  resetTimeInMessage,
} from "../../src/core/task-attention.js";
import { graphOf } from "../support/random-dag.js";

/** The two states beyond "failed": needs input and limited (rules in src/core/task-attention.ts). */

// a → b; c independent. One retry each.
const machine: SessionMachine = {
  graph: graphOf({ a: [], b: ["a"], c: [] }, { retries: { a: 1, b: 1, c: 1 } }),
  limits: { maxParallel: 3 },
};

const running: SessionState = {
  tasks: { a: { status: "running", attempts: 1 }, c: { status: "running", attempts: 1 } },
};

describe("needs input", () => {
  it("waits for a person: dependents are not skipped, the attempt is not counted", () => {
    const ended = step(machine, running, {
      type: "attempt_ended",
      id: "a",
      attempt: 1,
      succeeded: false,
      outcome: "needs_input",
      reason: "Claude needs input: it was refused Bash, and changed nothing.",
      costUsd: 0.5,
    });
    expect(ended.state.tasks.a).toEqual({
      status: "needs_input",
      attempts: 1,
      uncounted: 1,
      reason: "Claude needs input: it was refused Bash, and changed nothing.",
      costUsd: 0.5,
    });
    expect(ended.actions).toEqual([{ type: "needs_input", id: "a", attempt: 1 }]);
    const advanced = step(machine, ended.state, { type: "advance" });
    expect(advanced.actions).toEqual([]);
    expect(advanced.state.tasks.b).toBeUndefined();
  });

  it("ends the session as action_required once nothing else can go on, and an answer reopens it", () => {
    let state: SessionState = {
      tasks: {
        a: { status: "needs_input", attempts: 1, uncounted: 1, reason: "asked" },
        c: { status: "succeeded", attempts: 1 },
      },
    };
    const ended = step(machine, state, { type: "advance" });
    expect(ended.state.outcome).toEqual({
      conclusion: "action_required",
      summary: "1 of 3 tasks succeeded, 1 need input (a), 1 waiting on them",
    });
    state = ended.state;
    const answered = step(machine, state, { type: "answer", id: "a", text: "  Use SQLite.  " });
    expect(answered.state.outcome).toBeUndefined();
    expect(answered.state.tasks.a).toEqual({
      status: "pending",
      attempts: 1,
      uncounted: 1,
      feedback: "Use SQLite.",
    });
    expect(answered.actions).toEqual([
      { type: "forget", id: "a" },
      { type: "input_given", id: "a", how: "answer" },
    ]);
    const started = step(machine, answered.state, { type: "advance" });
    expect(started.actions).toEqual([
      { type: "start", id: "a", attempt: 2, retry: true, feedback: "Use SQLite." },
    ]);
    // The answer stays with the running attempt (the adapter sends it as `feedback`), then goes.
    expect(started.state.tasks.a?.feedback).toBe("Use SQLite.");
    const done = step(machine, started.state, {
      type: "attempt_ended",
      id: "a",
      attempt: 2,
      succeeded: false,
    });
    expect(done.state.tasks.a?.feedback).toBeUndefined();
    // Two attempts, one uncounted: the one retry is still there.
    expect(done.actions).toEqual([{ type: "ended", id: "a", attempt: 2, succeeded: false, willRetry: true }]);
  });

  it("allow_and_retry adds the tools for every later attempt; an empty answer does nothing", () => {
    const state: SessionState = {
      tasks: { a: { status: "needs_input", attempts: 1, uncounted: 1, reason: "x" } },
    };
    const allowed = step(machine, state, {
      type: "allow_and_retry",
      id: "a",
      tools: ["Bash", "Bash", " WebFetch "],
    });
    expect(allowed.state.tasks.a).toMatchObject({ status: "pending", allowedTools: ["Bash", "WebFetch"] });
    const started = step(machine, allowed.state, { type: "advance" });
    const ended = step(machine, started.state, {
      type: "attempt_ended",
      id: "a",
      attempt: 2,
      succeeded: true,
    });
    expect(ended.state.tasks.a?.allowedTools).toEqual(["Bash", "WebFetch"]);
    expect(step(machine, state, { type: "answer", id: "a", text: "   " }).actions).toEqual([]);
    // Only a task that needs input takes an answer.
    expect(step(machine, ended.state, { type: "answer", id: "a", text: "more" }).actions).toEqual([]);
  });

  it("a cancel cancels a task that needs input", () => {
    const state: SessionState = {
      tasks: {
        a: { status: "needs_input", attempts: 1, reason: "x" },
        c: { status: "succeeded", attempts: 1 },
      },
      cancelRequested: true,
    };
    const cancelled = step(machine, state, { type: "advance" });
    expect(cancelled.state.tasks.a?.status).toBe("cancelled");
    expect(cancelled.state.outcome?.conclusion).toBe("cancelled");
  });
});

describe("limited", () => {
  const limited = step(machine, running, {
    type: "attempt_ended",
    id: "a",
    attempt: 1,
    succeeded: false,
    outcome: "limited",
    resumeAt: 10_000,
    costUsd: 0.1,
  });

  it("goes back to waiting until resumeAt, without counting the attempt", () => {
    expect(limited.state.tasks.a).toEqual({
      status: "pending",
      attempts: 1,
      uncounted: 1,
      resumeAt: 10_000,
      costUsd: 0.1,
    });
    expect(limited.actions).toEqual([{ type: "limited", id: "a", attempt: 1, resumeAt: 10_000 }]);
  });

  it("starts again only once now >= resumeAt, and the session stays open meanwhile", () => {
    const cDone = step(machine, limited.state, {
      type: "attempt_ended",
      id: "c",
      attempt: 1,
      succeeded: true,
    });
    for (const now of [undefined, 9_999]) {
      const early = step(machine, cDone.state, { type: "advance", now });
      expect(early.actions).toEqual([]);
      expect(early.state.outcome).toBeUndefined();
      // The in-place machine (the frontier) decides the same and says when to wake.
      const inPlace = new SessionInPlace(machine, structuredClone(cDone.state));
      expect(inPlace.decide(now).resumeAt).toBe(10_000);
    }
    const due = step(machine, cDone.state, { type: "advance", now: 10_000 });
    expect(due.actions).toEqual([{ type: "start", id: "a", attempt: 2, retry: true }]);
    expect(due.state.tasks.a).toEqual({ status: "running", attempts: 2, uncounted: 1, costUsd: 0.1 });
  });
});

describe("task-attention rules", () => {
  it("finalQuestion: only a last paragraph ending with a question mark", () => {
    expect(finalQuestion("Done.\n\nShould I also update the docs?")).toBe("Should I also update the docs?");
    expect(finalQuestion("Which one: *A* or *B?*")).toBe("Which one: *A* or *B?*");
    expect(finalQuestion("Why? Because.\n\nAll done.")).toBeUndefined();
    expect(finalQuestion("")).toBeUndefined();
    expect(finalQuestion(undefined)).toBeUndefined();
    expect(finalQuestion(`${"x".repeat(3000)}?`)?.length).toBe(2000);
  });

  it("refusedToolList: unique, trimmed, bounded", () => {
    expect(refusedToolList(["Bash", " Bash ", "", "WebFetch"])).toEqual(["Bash", "WebFetch"]);
    expect(refusedToolList(Array.from({ length: 30 }, (_, i) => `T${i}`))).toHaveLength(20);
  });

  it("limitResumeAt: the reset when ahead and believable, else the default wait", () => {
    expect(limitResumeAt({ now: 1_000, resetsAt: 61_000 })).toBe(61_000);
    // A reset that just passed: the limit is over, after a short pause.
    expect(limitResumeAt({ now: 1_000, resetsAt: 500 })).toBe(1_000 + MIN_LIMIT_WAIT_MS);
    expect(limitResumeAt({ now: 1_000 })).toBe(1_000 + DEFAULT_LIMIT_BACKOFF_MS);
    expect(limitResumeAt({ now: 0, resetsAt: 30 * 24 * 3600_000 })).toBe(DEFAULT_LIMIT_BACKOFF_MS);
  });

  it("resetTimeInMessage: an epoch after the bar, or a UTC clock time (the next one)", () => {
    const now = Date.UTC(2026, 11, 1, 16, 0);
    expect(resetTimeInMessage("Claude AI usage limit reached|1796146950", now)).toBe(1796146950_000);
    expect(resetTimeInMessage("You've hit your 5-hour limit · resets 5:42pm (UTC)", now)).toBe(
      Date.UTC(2026, 11, 1, 17, 42),
    );
    expect(resetTimeInMessage("resets 3pm (UTC)", now)).toBe(Date.UTC(2026, 11, 2, 15, 0));
    expect(resetTimeInMessage("resets 5:42pm (Europe/Paris)", now)).toBeUndefined();
  });
});
