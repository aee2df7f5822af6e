import nock from "nock";
import { describe, expect, it } from "vitest";
import { github, installationToken, useOfflineNock } from "../support/nock-github.js";
import { existingSession, serveSession } from "../support/nock-session.js";
import { APP_ID, createTestProbot } from "../support/test-probot.js";
import { examplePayload, forRepository, type Payload } from "../support/webhook-examples.js";

const FULL = "acme/widgets";
const INSTALLATION = 32;
const TASKS = {
  tasks: [
    { id: "api", prompt: "Build it" },
    { id: "web", prompt: "Use it", dependencies: ["api"] },
  ],
};

useOfflineNock();

function checkRunEvent(
  action: "requested_action" | "rerequested",
  checkRun: { id: number; external_id: string; appId?: number },
  identifier?: string,
): Payload {
  const payload = forRepository(examplePayload("check_run", action), {
    owner: "acme",
    repo: "widgets",
    installationId: INSTALLATION,
  });
  payload.check_run.id = checkRun.id;
  payload.check_run.external_id = checkRun.external_id;
  payload.check_run.app = { ...payload.check_run.app, id: checkRun.appId ?? APP_ID };
  if (identifier !== undefined) payload.requested_action = { identifier };
  return payload;
}

/** A session whose `api` task failed on attempt 1 and whose `web` was skipped. */
function failedSession() {
  return existingSession({
    repo: FULL,
    checkRunId: 5001,
    tasksJson: TASKS,
    tasks: {
      api: { status: "failed", attempts: 1, reason: "tests failed", startedAt: "2026-01-05T09:01:00.000Z" },
      web: { status: "skipped", attempts: 0, reason: "`api` failed" },
    },
  });
}

/** Retrying `api` dispatches attempt 2 (the dispatch is the first write). */
function expectRetryDispatch(scope: nock.Scope, dispatches: Array<Record<string, string>>): void {
  scope.post(`/repos/${FULL}/actions/workflows/orchestrator-task.yml/dispatches`).reply(200, (_uri, body) => {
    dispatches.push((body as { inputs: Record<string, string> }).inputs);
    return { workflow_run_id: 9002, run_url: "https://api.github.com/x", html_url: "https://github.com/x" };
  });
}

describe("check_run buttons and re-runs", () => {
  it("`retry_failed` on the summary check run dispatches the failed task's next attempt", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    const session = failedSession();
    serveSession(scope, FULL, session, TASKS);
    const dispatches: Array<Record<string, string>> = [];
    expectRetryDispatch(scope, dispatches);

    await receive(
      "check_run",
      checkRunEvent("requested_action", { id: 5001, external_id: "orchestrator-session" }, "retry_failed"),
    );

    expect(scope.pendingMocks()).toEqual([]);
    expect(dispatches).toEqual([
      expect.objectContaining({ task_id: "api", attempt: "2", session_id: session.sessionId }),
    ]);
  });

  it("`rerequested` on a task's check run retries that task", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    const session = failedSession();
    serveSession(scope, FULL, session, TASKS);
    const dispatches: Array<Record<string, string>> = [];
    expectRetryDispatch(scope, dispatches);

    await receive(
      "check_run",
      checkRunEvent("rerequested", { id: 6100, external_id: `${session.sessionId}|api|1` }),
    );

    expect(scope.pendingMocks()).toEqual([]);
    expect(dispatches.map((inputs) => `${inputs.task_id}#${inputs.attempt}`)).toEqual(["api#2"]);
  });

  it("`cancel` marks the session cancelled in its record", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    const session = existingSession({
      repo: FULL,
      checkRunId: 5001,
      tasksJson: TASKS,
      tasks: {},
    });
    serveSession(scope, FULL, session, TASKS);
    // Nothing was running: the session ends at once and leaves the active index.
    scope.delete(`/repos/${FULL}/git/refs/orchestrator%2Factive%2F5001`).reply(204);

    await receive(
      "check_run",
      checkRunEvent("requested_action", { id: 5001, external_id: "orchestrator-session" }, "cancel"),
    );

    expect(scope.pendingMocks()).toEqual([]);
    expect(session.patches.at(-1)).toMatchObject({ status: "completed", conclusion: "cancelled" });
  });

  it("ignores check runs of other Apps and check runs that are not the orchestrator's, with no API call", async () => {
    const { receive } = await createTestProbot();
    // The recorded payload as GitHub sent it: another App's check run.
    const foreign = forRepository(examplePayload("check_run", "requested_action"), {
      owner: "acme",
      repo: "widgets",
      installationId: INSTALLATION,
    });
    await receive("check_run", foreign);
    await receive("check_run", checkRunEvent("rerequested", { id: 1, external_id: "", appId: APP_ID }));
    await receive(
      "check_run",
      checkRunEvent("requested_action", { id: 1, external_id: "acme:other-repo:5|api|1" }, "retry"),
    );
    expect(nock.pendingMocks()).toEqual([]);
  });
});
