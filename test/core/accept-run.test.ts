import { describe, expect, it } from "vitest";
import { acceptRun, type RunExpectation, type RunOrigin } from "../../src/core/accept-run.js";
import { formatRunName } from "../../src/core/dispatch-inputs.js";

const SESSION = "acme:widgets:5001";
const key = { sessionId: SESSION, taskId: "api", attempt: 1 };
const own = { full_name: "acme/widgets" };

/** A run of the task workflow as the App dispatched it. */
const dispatched: RunOrigin = {
  id: 9001,
  display_title: formatRunName(key),
  event: "workflow_dispatch",
  path: ".github/workflows/orchestrator-task.yml",
  repository: own,
  head_repository: own,
};
const expected: RunExpectation = { repository: "acme/widgets", workflowFile: "orchestrator-task.yml" };

function reason(run: RunOrigin, expectation = expected): string {
  const verdict = acceptRun(run, expectation);
  return verdict.accepted ? "accepted" : verdict.reason;
}

describe("which runs are believed to be task attempts", () => {
  it("accepts the task workflow's dispatched run in the session's repository", () => {
    expect(acceptRun(dispatched, expected)).toEqual({ accepted: true, key });
    expect(reason({ ...dispatched, path: ".github/workflows/orchestrator-task.yml@refs/heads/main" })).toBe(
      "accepted",
    );
    expect(reason({ ...dispatched, repository: { full_name: "ACME/Widgets" } })).toBe("accepted");
  });

  it("refuses a fork's pull request titled like an attempt, whatever it is titled", () => {
    const forged: RunOrigin = {
      ...dispatched,
      id: 666,
      event: "pull_request",
      path: ".github/workflows/ci.yml",
      head_repository: { full_name: "mallory/widgets" },
    };
    expect(reason(forged)).toBe("run 666: built from mallory/widgets, not acme/widgets");
    expect(reason({ ...forged, head_repository: own })).toBe(
      'run 666: started by "pull_request", not by workflow_dispatch',
    );
    expect(reason({ ...forged, head_repository: own, event: "workflow_dispatch" })).toBe(
      "run 666: of workflow .github/workflows/ci.yml, not the task workflow",
    );
  });

  it("refuses runs of another repository, or named for another repository's session", () => {
    expect(reason({ ...dispatched, repository: { full_name: "acme/other" } })).toBe(
      "run 9001: of repository acme/other, not acme/widgets",
    );
    expect(reason({ ...dispatched, repository: null })).toBe(
      "run 9001: of repository (unknown), not acme/widgets",
    );
    const elsewhere = formatRunName({ ...key, sessionId: "acme:other:5001" });
    expect(reason({ ...dispatched, display_title: elsewhere })).toBe(
      "run 9001: named for a session of another repository (acme:other:5001)",
    );
    expect(reason(dispatched, { ...expected, sessionId: "acme:widgets:7" })).toBe(
      "run 9001: named for another session (acme:widgets:5001)",
    );
    expect(reason({ ...dispatched, display_title: "CI" })).toBe("run 9001: not named like a task attempt");
  });

  it("once the dispatched run's id is known, another run of the same workflow claiming the attempt is refused", () => {
    const withId = { ...expected, knownRunId: () => 9001 };
    expect(reason(dispatched, withId)).toBe("accepted");
    expect(reason({ ...dispatched, id: 9002 }, withId)).toBe(
      "run 9002: not the run dispatched for api attempt 1 (run 9001)",
    );
  });

  it("a workflow configured by its numeric id is matched by workflow_id", () => {
    const byId = { ...expected, workflowFile: "2823525" };
    expect(reason({ ...dispatched, workflow_id: 2823525 }, byId)).toBe("accepted");
    expect(reason({ ...dispatched, workflow_id: 1 }, byId)).toMatch(/not the task workflow/);
  });
});
