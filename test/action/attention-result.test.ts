import { describe, expect, it } from "vitest";
import { parseResultBlock } from "../../src/core/task-result-block.js";
import { renderPullRequestBody } from "../../action/src/pull-request-body.js";
import { taskResult } from "../../action/src/task-result.js";
import type { TaskRunRequest } from "../../src/core/dispatch-inputs.js";
import type { TaskRunResult } from "../../src/runner/run-task.js";

/**
 * What the Action tells the App about an attempt that needs input or hit a limit: the result
 * block carries the refused tools, the question (the agent's text) and the reset time, and the
 * PR body says what the attempt waits for instead of "failed".
 */

const request: TaskRunRequest = {
  sessionId: "acme:widgets:9",
  taskId: "api",
  attempt: 1,
  tasksFile: "tasks/tasks.json",
  branch: "orchestrator/api",
  baseBranch: "main",
  baseStrategy: "dependencies",
  dependencyBranches: [],
  prBase: "main",
  allowNoChanges: false,
};

const run: TaskRunResult = {
  taskId: "api",
  attempt: 1,
  branch: "orchestrator/api",
  ok: false,
  durationMs: 1_000,
  summary: "I could not run the tests.\n\nShould I add `npm test` <!-- x --> to the allowed tools?",
  deniedTools: ["Bash", "Bash", "WebFetch"],
};

describe("the result block of an attempt that needs input or hit a limit", () => {
  it("carries the refused tools and the question", () => {
    const result = taskResult({
      request,
      run,
      failure: {
        kind: "needs_input",
        message: "Claude needs input (refused: Bash, WebFetch; asked a question)",
      },
      runId: 7,
    });
    expect(result.needs_input).toEqual({
      refused_tools: ["Bash", "WebFetch"],
      question: "Should I add `npm test` <!-- x --> to the allowed tools?",
    });
    // Through the PR body and back: the App reads the same details, and the agent's comment
    // marker inside the question did not end or forge anything.
    const body = renderPullRequestBody({
      content: {
        task: { id: "api", name: "api", prompt: "Build" },
        result,
        dependencies: [],
        changedFiles: [],
      },
    });
    expect(body).toContain("This attempt needs input");
    expect(body).not.toContain("This attempt failed");
    expect(parseResultBlock(body)?.needs_input).toEqual(result.needs_input);
  });

  it("carries the reset time of a limit", () => {
    const result = taskResult({
      request,
      run: { ...run, limitResetsAt: 1_796_146_950_000 },
      failure: { kind: "limited", message: "The model API answered with a usage limit" },
    });
    expect(result.limited).toEqual({ resets_at: 1_796_146_950_000 });
    expect(result.needs_input).toBeUndefined();
  });
});
