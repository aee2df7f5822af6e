import { describe, expect, it } from "vitest";
import { planSessionStart, restartInterrupted } from "../../src/local/plan-session-start.js";
import { STATE_VERSION, type LocalSessionState } from "../../src/local/state-file.js";

function saved(overrides: Partial<LocalSessionState> = {}): LocalSessionState {
  return {
    version: STATE_VERSION,
    sessionId: "local-1",
    tasksFile: "tasks/tasks.json",
    tasksFileSha256: "abc",
    baseBranch: "main",
    maxParallel: 2,
    startedAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:01:00.000Z",
    tasks: {
      a: { status: "succeeded", attempts: 1, costUsd: 0.5 },
      b: { status: "running", attempts: 2, costUsd: 0.25 },
      c: { status: "running", attempts: 1 },
      d: { status: "failed", attempts: 1, reason: "broke" },
    },
    runs: {},
    ...overrides,
  };
}

const base = { tasksFileSha256: "abc", tasksFile: "tasks/tasks.json", stateFile: ".orchestrator/state.json" };

describe("planSessionStart", () => {
  it("starts fresh without a state, or after a finished session", () => {
    expect(planSessionStart({ ...base, existing: null, resume: false })).toEqual({ kind: "fresh" });
    const finished = saved({ finished: { at: "x", conclusion: "failure", summary: "s" } });
    expect(planSessionStart({ ...base, existing: finished, resume: false })).toEqual({ kind: "fresh" });
  });

  it("refuses to overwrite an unfinished session and names both ways out", () => {
    const start = planSessionStart({ ...base, existing: saved(), resume: false });
    expect(start.kind).toBe("refuse");
    if (start.kind !== "refuse") return;
    expect(start.message).toContain("local-1");
    expect(start.message).toContain("1 task succeeded so far");
    expect(start.message).toContain("orchestrator run --resume");
    expect(start.message).toContain("delete .orchestrator/state.json");
  });

  it("resumes: running tasks go back to pending without using up an attempt; cost is kept", () => {
    const start = planSessionStart({ ...base, existing: saved(), resume: true });
    expect(start.kind).toBe("resume");
    if (start.kind !== "resume") return;
    expect(start.state.tasks).toEqual({
      a: { status: "succeeded", attempts: 1, costUsd: 0.5 },
      b: { status: "pending", attempts: 1, costUsd: 0.25 },
      c: { status: "pending", attempts: 0 },
      d: { status: "failed", attempts: 1, reason: "broke" },
    });
  });

  it("refuses to resume a changed file, another base branch, or nothing", () => {
    const changed = planSessionStart({ ...base, tasksFileSha256: "def", existing: saved(), resume: true });
    expect(changed).toMatchObject({ kind: "refuse" });
    expect(changed.kind === "refuse" && changed.message).toContain(
      "has changed since session local-1 started",
    );

    const otherBase = planSessionStart({ ...base, baseBranch: "develop", existing: saved(), resume: true });
    expect(otherBase.kind === "refuse" && otherBase.message).toContain(
      "runs on base branch main, not develop",
    );
    expect(planSessionStart({ ...base, baseBranch: "main", existing: saved(), resume: true }).kind).toBe(
      "resume",
    );

    const none = planSessionStart({ ...base, existing: null, resume: true });
    expect(none.kind === "refuse" && none.message).toContain("no session to resume");
  });

  it("reports a finished session on --resume instead of running it again", () => {
    const finished = saved({ finished: { at: "x", conclusion: "success", summary: "s" } });
    expect(planSessionStart({ ...base, existing: finished, resume: true })).toEqual({
      kind: "finished",
      state: finished,
    });
  });

  it("restartInterrupted leaves finished and waiting tasks alone", () => {
    const tasks = {
      x: { status: "skipped" as const, attempts: 0, reason: "r" },
      y: { status: "pending" as const, attempts: 3 },
    };
    expect(restartInterrupted(tasks)).toEqual(tasks);
  });
});
