import { describe, expect, it } from "vitest";
import {
  acceptRestackRun,
  acceptRun,
  type RunExpectation,
  type RunOrigin,
} from "../../src/core/accept-run.js";
import { formatRunName } from "../../src/core/dispatch-inputs.js";

const SESSION = "acme:widgets:5001";
const key = { sessionId: SESSION, taskId: "api", attempt: 2 };
const own = { full_name: "acme/widgets" };
const restackRun: RunOrigin = {
  id: 9002,
  display_title: formatRunName({ ...key, mode: "restack" }),
  event: "workflow_dispatch",
  path: ".github/workflows/orchestrator-task.yml",
  repository: own,
  head_repository: own,
};
const expected: RunExpectation = {
  repository: "acme/widgets",
  workflowFile: "orchestrator-task.yml",
  sessionId: SESSION,
  // The attempt's own run is known: a restack run must not count as its duplicate either.
  knownRunId: () => 9001,
};

describe("restack runs are never task attempts", () => {
  it("refuses a restack run as an attempt, naming the attempt it restacks (not a duplicate)", () => {
    const verdict = acceptRun(restackRun, expected);
    expect(verdict).toEqual({
      accepted: false,
      reason: "run 9002: a restack run of api attempt 2 (its branch rebased, no agent), not a task attempt",
      restackOf: key,
    });
  });

  it("believes a restack run by the same rule as an attempt, and nothing else as one", () => {
    expect(acceptRestackRun(restackRun, expected)).toEqual({ accepted: true, key });
    const attemptRun = { ...restackRun, display_title: formatRunName(key) };
    expect(acceptRestackRun(attemptRun, expected)).toEqual({
      accepted: false,
      reason: "run 9002: not a restack run",
    });
    // A fork's pull request named like a restack run is nothing at all.
    const forged = {
      ...restackRun,
      event: "pull_request",
      head_repository: { full_name: "mallory/widgets" },
    };
    expect(acceptRestackRun(forged, expected).accepted).toBe(false);
    expect(acceptRun(forged, expected)).toEqual({
      accepted: false,
      reason: "run 9002: built from mallory/widgets, not acme/widgets",
    });
  });
});
