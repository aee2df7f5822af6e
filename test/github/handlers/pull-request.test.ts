import nock from "nock";
import { describe, expect, it } from "vitest";
import { renderResultBlock } from "../../../src/core/task-result-block.js";
import { github, installationToken, useOfflineNock } from "../support/nock-github.js";
import { existingSession, serveSession } from "../support/nock-session.js";
import { createTestProbot } from "../support/test-probot.js";
import { examplePayload, forRepository, type Payload } from "../support/webhook-examples.js";

const FULL = "acme/widgets";
const INSTALLATION = 33;
const TASKS = {
  tasks: [
    { id: "schema", prompt: "Design the schema" },
    { id: "migrate", prompt: "Write the migration", dependencies: ["schema"], base: "merged" },
  ],
};
const target = { owner: "acme", repo: "widgets", installationId: INSTALLATION };

useOfflineNock();

/** `schema` succeeded with PR #7; `migrate` waits for that PR to be merged. */
function waitingSession() {
  return existingSession({
    repo: FULL,
    checkRunId: 5001,
    tasksJson: TASKS,
    tasks: {
      schema: {
        status: "succeeded",
        attempts: 1,
        prNumber: 7,
        prUrl: `https://github.com/${FULL}/pull/7`,
        startedAt: "2026-01-05T09:01:00.000Z",
        endedAt: "2026-01-05T09:05:00.000Z",
      },
      migrate: {
        status: "pending",
        attempts: 0,
        note: "waiting for the pull request of schema to be merged",
      },
    },
  });
}

/** A recorded `pull_request.closed` payload: PR #7 with `body`, merged or not. */
function closedPull(args: { body: string | null; merged: boolean }): Payload {
  const payload = forRepository(examplePayload("pull_request", "closed"), target);
  payload.number = 7;
  payload.pull_request.number = 7;
  payload.pull_request.body = args.body;
  payload.pull_request.merged = args.merged;
  payload.pull_request.merged_at = args.merged ? "2026-01-05T10:00:00Z" : null;
  return payload;
}

function resultBlock(sessionId: string): string {
  return `Work of schema.\n\n${renderResultBlock({
    version: 1,
    session_id: sessionId,
    task_id: "schema",
    attempt: 1,
    conclusion: "success",
    branch: "orchestrator/schema",
  })}\n`;
}

describe("pull_request.closed", () => {
  it("drops unmerged pull requests, pull requests without our block, and other repositories' sessions without an API call", async () => {
    const { receive } = await createTestProbot();
    const session = waitingSession();
    await receive("pull_request", closedPull({ body: resultBlock(session.sessionId), merged: false }));
    // As recorded: someone's pull request, merged, with an ordinary description.
    const ordinary = forRepository(examplePayload("pull_request", "closed"), target);
    ordinary.pull_request.merged = true;
    await receive("pull_request", ordinary);
    await receive("pull_request", closedPull({ body: null, merged: true }));
    await receive("pull_request", closedPull({ body: resultBlock("acme:other:5001"), merged: true }));
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("a merged task pull request wakes its session, which starts the task waiting for the merge", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    const session = waitingSession();
    serveSession(scope, FULL, session, TASKS);
    const dispatches: Array<{ inputs: Record<string, string> }> = [];
    // No read of PR #7: the webhook says it merged, and the record names it as schema's pull request.
    scope
      .post(`/repos/${FULL}/actions/workflows/orchestrator-task.yml/dispatches`)
      .reply(200, (_uri, body) => {
        dispatches.push(body as (typeof dispatches)[number]);
        return {
          workflow_run_id: 9002,
          run_url: `https://api.github.com/repos/${FULL}/actions/runs/9002`,
          html_url: `https://github.com/${FULL}/actions/runs/9002`,
        };
      })
      .post(`/repos/${FULL}/check-runs`)
      .reply(201, (_uri, body) => ({ id: 7002, ...(body as object) }));

    await receive("pull_request", closedPull({ body: resultBlock(session.sessionId), merged: true }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(dispatches.map((d) => [d.inputs.task_id, d.inputs.base_strategy, d.inputs.pr_base])).toEqual([
      ["migrate", "merged", "main"],
    ]);
    expect(session.patches.at(-1)).toMatchObject({ status: "in_progress" });
  });
});
