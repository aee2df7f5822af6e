import { describe, expect, it } from "vitest";
import { step } from "../../src/core/session-machine.js";
import { buildTaskGraph } from "../../src/core/task-graph.js";
import { planSessionStart } from "../../src/local/plan-session-start.js";
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
      e: { status: "skipped", attempts: 0, reason: 'dependency "d" failed' },
    },
    taskDigests: { a: "da", b: "db", c: "dc", d: "dd", e: "de" },
    runs: {},
    ...overrides,
  };
}

const digests = { a: "da", b: "db", c: "dc", d: "dd", e: "de" };
const base = {
  tasksFileSha256: "abc",
  taskDigests: digests,
  tasksFile: "tasks/tasks.json",
  stateFile: ".orchestrator/state.json",
};

describe("planSessionStart", () => {
  it("starts fresh without a state, or after a finished session", () => {
    expect(planSessionStart({ ...base, existing: null, resume: false })).toEqual({ kind: "fresh" });
    const finished = saved({ outcome: { conclusion: "failure", summary: "s" }, finishedAt: "x" });
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
    // The state goes on as saved; the session machine's `resume` restarts what was running.
    expect(start.state).toEqual(saved());
    const graph = buildTaskGraph({
      tasks: ["a", "b", "c", "d", "e"].map((id) => ({ id, prompt: `do ${id}` })),
    });
    const resumed = step({ graph, limits: { maxParallel: 1 } }, start.state, { type: "resume" });
    expect(resumed.state.tasks).toEqual({
      a: { status: "succeeded", attempts: 1, costUsd: 0.5 },
      b: { status: "pending", attempts: 1, costUsd: 0.25 },
      c: { status: "pending", attempts: 0 },
      d: { status: "failed", attempts: 1, reason: "broke" },
      e: { status: "skipped", attempts: 0, reason: 'dependency "d" failed' },
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
    const finished = saved({ outcome: { conclusion: "success", summary: "s" }, finishedAt: "x" });
    expect(planSessionStart({ ...base, existing: finished, resume: true })).toEqual({
      kind: "finished",
      state: finished,
    });
  });
});

describe("planSessionStart with --retry", () => {
  const finished = () => saved({ outcome: { conclusion: "failure", summary: "s" }, finishedAt: "x" });

  it("retries failed or named tasks of the last session, finished or not", () => {
    expect(planSessionStart({ ...base, existing: finished(), resume: false, retry: "failed" })).toEqual({
      kind: "retry",
      state: finished(),
      tasks: "failed",
      changed: [],
    });
    const named = planSessionStart({ ...base, existing: saved(), resume: false, retry: ["d"] });
    expect(named).toMatchObject({ kind: "retry", tasks: ["d"], changed: [] });
  });

  it("allows edits to tasks that did not succeed and names them", () => {
    const edited = planSessionStart({
      ...base,
      tasksFileSha256: "new",
      taskDigests: { ...digests, d: "d2", e: "e2" },
      existing: finished(),
      resume: false,
      retry: "failed",
    });
    expect(edited).toMatchObject({ kind: "retry", changed: ["d", "e"] });
  });

  it("refuses a changed succeeded task, added or removed tasks, and says the way out", () => {
    const changedDone = planSessionStart({
      ...base,
      tasksFileSha256: "new",
      taskDigests: { ...digests, a: "a2" },
      existing: finished(),
      resume: false,
      retry: "failed",
    });
    expect(changedDone.kind === "refuse" && changedDone.message).toBe(
      'Task "a" succeeded in session local-1 and changed since; a retry never runs a succeeded task again, ' +
        "so its work would no longer match the file. Restore its definition to retry the others, or delete " +
        ".orchestrator/state.json and run without --retry to start a new session.",
    );
    const added = planSessionStart({
      ...base,
      tasksFileSha256: "new",
      taskDigests: { ...digests, f: "df" },
      existing: finished(),
      resume: false,
      retry: "failed",
    });
    expect(added.kind === "refuse" && added.message).toContain("changed (added f)");
    const legacy = planSessionStart({
      ...base,
      tasksFileSha256: "new",
      existing: { ...finished(), taskDigests: undefined },
      resume: false,
      retry: "failed",
    });
    expect(legacy.kind === "refuse" && legacy.message).toContain("does not record which tasks");
  });

  it("refuses what cannot be retried, with the reason", () => {
    const message = (retry: readonly string[] | "failed", existing = finished()) => {
      const start = planSessionStart({ ...base, existing, resume: false, retry });
      return start.kind === "refuse" ? start.message : start.kind;
    };
    expect(message(["a"])).toBe(
      'Task "a" succeeded in session local-1; only failed or cancelled tasks can be retried.',
    );
    expect(message(["e"])).toBe(
      'Task "e" was skipped in session local-1 (dependency "d" failed): retry the task it waits for instead; ' +
        "only failed or cancelled tasks can be retried.",
    );
    expect(message(["dd"])).toBe('There is no task "dd" in session local-1 (did you mean "d"?).');
    const noFailures = saved({ tasks: { a: { status: "succeeded", attempts: 1 } } });
    expect(message("failed", noFailures)).toContain("No task failed in session local-1: nothing to retry.");
    const none = planSessionStart({ ...base, existing: null, resume: false, retry: "failed" });
    expect(none.kind === "refuse" && none.message).toContain("There is no session to retry");
  });
});
