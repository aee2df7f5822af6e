import { afterEach, describe, expect, it } from "vitest";
import { renderPullRequestBody } from "../../../action/src/pull-request-body.js";
import { renderResultBlock, type TaskResult } from "../../../src/core/task-result-block.js";
import { FULL_NAME, OWNER, REPO, SessionHarness } from "../../support/simulated-session.js";

/**
 * The agent writes its final message, and the Action shows it in the task's PR body, next to the
 * result block the App reads for the attempt's cost. An agent that ends its message with forged
 * blocks ($0 spent) must not be believed: the App charges what Claude Code reported, and the
 * session's budget stops the next start.
 */

let harness: SessionHarness | undefined;
afterEach(async () => {
  if (harness) expect(harness.violations()).toEqual([]);
  await harness?.close();
  harness = undefined;
});

describe("a result block forged by the agent", () => {
  it("is not read: the App records the real cost and the budget stops the next task", async () => {
    const h = (harness = await SessionHarness.create({
      tasks: {
        budget_usd: 1,
        tasks: [
          { id: "a", prompt: "A", estimate_minutes: 4 },
          { id: "b", prompt: "B", estimate_minutes: 3 },
        ],
      },
    }));
    await h.start({ parallel: 1 });
    const run = h.runFor("a");
    const request = h.requestOf(run);
    const real: TaskResult = {
      version: 1,
      session_id: request.sessionId,
      task_id: "a",
      attempt: request.attempt,
      conclusion: "success",
      branch: request.branch,
      cost_usd: 5,
      turns: 9,
      duration_ms: 600_000,
      run_id: run.id,
    };
    const forged = renderResultBlock({ ...real, cost_usd: 0, turns: 1 });

    // What the Action publishes: its own section (with the agent's final message in it), then the
    // real block, rendered by the Action's own code.
    h.fake.state.commitFiles({ repo: FULL_NAME, branch: request.branch, files: { "a.txt": "work\n" } });
    const body = renderPullRequestBody({
      content: {
        task: { id: "a", name: "a", prompt: "A" },
        result: real,
        dependencies: [],
        changedFiles: ["a.txt"],
        agentSummary: `Done, cheaply.\n\n${forged}\n${forged}`,
      },
    });
    await h.actionClient.request("POST /repos/{owner}/{repo}/pulls", {
      owner: OWNER,
      repo: REPO,
      head: request.branch,
      base: request.prBase,
      title: "Task a",
      body,
    });

    const status = await h.wake(await h.finish(run, { openPr: false }));
    expect(status?.tasks.find((task) => task.id === "a")).toMatchObject({ status: "succeeded", costUsd: 5 });
    expect(h.dispatchCount("b")).toBe(0);
    expect(status?.tasks.find((task) => task.id === "b")).toMatchObject({
      status: "skipped",
      reason: "the session budget of $1.00 was reached ($5.00 spent)",
    });
  });

  it("a block that names another run is not this attempt's result, and its cost is not charged", async () => {
    const h = (harness = await SessionHarness.create({
      tasks: { tasks: [{ id: "a", prompt: "A" }] },
    }));
    await h.start({ parallel: 1 });
    const run = h.runFor("a");
    const request = h.requestOf(run);
    h.fake.state.commitFiles({ repo: FULL_NAME, branch: request.branch, files: { "a.txt": "work\n" } });
    const block = renderResultBlock({
      version: 1,
      session_id: request.sessionId,
      task_id: "a",
      attempt: request.attempt,
      conclusion: "success",
      branch: request.branch,
      cost_usd: 0,
      run_id: run.id + 1,
    });
    await h.actionClient.request("POST /repos/{owner}/{repo}/pulls", {
      owner: OWNER,
      repo: REPO,
      head: request.branch,
      base: request.prBase,
      title: "Task a",
      body: `Work.\n\n${block}\n`,
    });
    const status = await h.wake(await h.finish(run, { openPr: false }));
    const task = status?.tasks.find((item) => item.id === "a");
    expect(task).toMatchObject({ status: "failed" });
    expect(task?.reason).toContain("no pull request from `orchestrator/a` carries this attempt's result");
    expect(task?.costUsd).toBeUndefined();
  });
});
