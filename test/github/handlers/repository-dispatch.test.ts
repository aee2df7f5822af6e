import nock from "nock";
import { describe, expect, it } from "vitest";
import { github, installationToken, scriptStartSession, useOfflineNock } from "../support/nock-github.js";
import { createTestProbot } from "../support/test-probot.js";
import { examplePayload, forRepository, type Payload } from "../support/webhook-examples.js";

const FULL = "acme/widgets";
const INSTALLATION = 34;
const TASKS = {
  tasks: [
    { id: "api", prompt: "Build it" },
    { id: "web", prompt: "Use it", dependencies: ["api"] },
    { id: "docs", prompt: "Write it" },
  ],
};

useOfflineNock();

function dispatchEvent(eventType: string, clientPayload: Record<string, unknown>): Payload {
  const payload = forRepository(examplePayload("repository_dispatch", undefined), {
    owner: "acme",
    repo: "widgets",
    installationId: INSTALLATION,
  });
  payload.action = eventType;
  payload.branch = "main";
  payload.client_payload = clientPayload;
  return payload;
}

function claim(scope: nock.Scope, delivery: string, status: number): nock.Scope {
  return scope
    .get(`/repos/${FULL}/git/ref/heads%2Fmain`)
    .reply(200, { ref: "refs/heads/main", object: { sha: "a".repeat(40), type: "commit" } })
    .post(
      `/repos/${FULL}/git/refs`,
      (body: { ref: string }) => body.ref === `refs/orchestrator/triggers/dispatch-${delivery}`,
    )
    .reply(
      status,
      status === 201
        ? { ref: "x", object: { sha: "a".repeat(40) } }
        : { message: "Reference already exists" },
    );
}

describe("repository_dispatch", () => {
  it("`orchestrate` starts a session with the payload's options (strings accepted, as phones send them)", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    claim(scope, "d-1", 201);
    const capture = scriptStartSession(scope, { repo: FULL, tasksJson: TASKS });

    await receive(
      "repository_dispatch",
      dispatchEvent("orchestrate", { file: "tasks/tasks.json", parallel: "1", only: "web" }),
      "d-1",
    );

    expect(scope.pendingMocks()).toEqual([]);
    // --only web runs web and what it needs: api first; docs is not part of the session.
    expect(capture.dispatches.map((d) => d.inputs.task_id)).toEqual(["api"]);
  });

  it("a redelivered `orchestrate` (its claim exists) starts nothing", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    claim(scope, "d-2", 422);

    await receive("repository_dispatch", dispatchEvent("orchestrate", {}), "d-2");

    expect(scope.pendingMocks()).toEqual([]);
  });

  it("refuses bad payloads and other event types without an API call", async () => {
    const { receive } = await createTestProbot();
    await receive("repository_dispatch", dispatchEvent("orchestrate", { parallel: 0 }));
    await receive("repository_dispatch", dispatchEvent("orchestrate", { paralel: 2 }));
    await receive(
      "repository_dispatch",
      dispatchEvent("orchestrate-cancel", { session_id: "acme:elsewhere:5" }),
    );
    await receive(
      "repository_dispatch",
      dispatchEvent("orchestrate-retry", { session_id: "acme:widgets:5", tasks: [] }),
    );
    // The recorded event as GitHub sent it: someone else's event type.
    await receive(
      "repository_dispatch",
      forRepository(examplePayload("repository_dispatch", undefined), {
        owner: "acme",
        repo: "widgets",
        installationId: INSTALLATION,
      }),
    );
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("`orchestrate-retry` without a session id acts on the newest running session", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    scope.get(`/repos/${FULL}/git/matching-refs/orchestrator%2Factive%2F`).reply(200, []);

    await receive("repository_dispatch", dispatchEvent("orchestrate-retry", {}));

    // No running session: refused (logged) after one read.
    expect(scope.pendingMocks()).toEqual([]);
  });
});
