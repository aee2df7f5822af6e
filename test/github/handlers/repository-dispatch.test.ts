import nock from "nock";
import { describe, expect, it } from "vitest";
import {
  github,
  installationToken,
  permission,
  scriptStartSession,
  useOfflineNock,
} from "../support/nock-github.js";
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
  payload.repository.default_branch = "main";
  payload.client_payload = clientPayload;
  return payload;
}

/** The recorded sender (a person, Codertocat), or the one given. */
function from(payload: Payload, login: string, type: "User" | "Bot" = "User"): Payload {
  payload.sender = { ...payload.sender, login, type };
  return payload;
}

/** The App's log lines that say why a repository_dispatch was refused. */
function refusals(lines: string[]): string[] {
  return lines
    .map((line) => JSON.parse(line) as { msg?: string })
    .map((entry) => entry.msg ?? "")
    .filter((msg) => msg.startsWith("repository_dispatch refused"));
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
    permission(scope, FULL, "Codertocat", "write");
    claim(scope, "d-1", 201);
    // The ref is pinned to the branch (`heads/main`): a tag named "main" cannot stand in for it.
    const capture = scriptStartSession(scope, { repo: FULL, tasksJson: TASKS, commitRef: "heads%2Fmain" });

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
    permission(scope, FULL, "Codertocat", "write");
    claim(scope, "d-2", 422);

    await receive("repository_dispatch", dispatchEvent("orchestrate", {}), "d-2");

    expect(scope.pendingMocks()).toEqual([]);
  });

  it("refuses bad payloads and other event types without an API call", async () => {
    const { receive } = await createTestProbot();
    await receive("repository_dispatch", dispatchEvent("orchestrate", { parallel: 0 }));
    await receive("repository_dispatch", dispatchEvent("orchestrate", { paralel: 2 }));
    // A session of another repository: refused once the sender is known to be allowed.
    const scope = github();
    installationToken(scope, INSTALLATION);
    permission(scope, FULL, "Codertocat", "admin");
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
    permission(scope, FULL, "Codertocat", "maintain");
    scope.get(`/repos/${FULL}/git/matching-refs/orchestrator%2Factive%2F`).reply(200, []);

    await receive("repository_dispatch", dispatchEvent("orchestrate-retry", {}));

    // No running session: refused (logged) after one read.
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("refuses bots — the task workflow's own github-actions[bot] included — before any API call, saying why", async () => {
    const logLines: string[] = [];
    const { receive } = await createTestProbot({ logLines });
    await receive(
      "repository_dispatch",
      from(dispatchEvent("orchestrate", {}), "github-actions[bot]", "Bot"),
    );
    await receive(
      "repository_dispatch",
      from(dispatchEvent("orchestrate-cancel", {}), "renovate[bot]", "Bot"),
    );

    expect(nock.pendingMocks()).toEqual([]);
    expect(refusals(logLines)).toEqual([
      "repository_dispatch refused: github-actions[bot] is a bot, and bots may not command the orchestrator " +
        "(workflow tokens act as github-actions[bot], the agents' own included); allow a bot by name with ORCHESTRATOR_ALLOWED_BOTS",
      expect.stringContaining("renovate[bot] is a bot"),
    ]);
  });

  it("a bot the operator allowed is treated like a person with write access", async () => {
    const { receive } = await createTestProbot({
      commandPolicy: { allowedBots: ["Renovate[bot]"], dispatchRefs: [] },
    });
    const scope = github();
    installationToken(scope, INSTALLATION);
    scope.get(`/repos/${FULL}/git/matching-refs/orchestrator%2Factive%2F`).reply(200, []);
    await receive(
      "repository_dispatch",
      from(dispatchEvent("orchestrate-cancel", {}), "renovate[bot]", "Bot"),
    );
    // No permission lookup: the allow-list is the operator's word; the cancel looked for a session.
    expect(scope.pendingMocks()).toEqual([]);
  });

  it("refuses a person without write access, saying their permission", async () => {
    const logLines: string[] = [];
    const { receive } = await createTestProbot({ logLines });
    const scope = github();
    installationToken(scope, INSTALLATION);
    permission(scope, FULL, "mallory", "triage");
    await receive("repository_dispatch", from(dispatchEvent("orchestrate", {}), "mallory"), "d-3");

    expect(scope.pendingMocks()).toEqual([]); // no claim, no session
    expect(refusals(logLines)).toEqual([
      "repository_dispatch refused: only people with write, maintain or admin permission on acme/widgets can run " +
        "orchestrator commands; the permission of mallory is `triage`",
    ]);
  });

  it("starts only from the default branch unless others are allowed, and never from a task branch", async () => {
    const logLines: string[] = [];
    const { receive } = await createTestProbot({
      logLines,
      commandPolicy: { allowedBots: [], dispatchRefs: ["release/*"] },
    });
    const scope = github();
    installationToken(scope, INSTALLATION);
    permission(scope, FULL, "Codertocat", "write").persist();
    await receive("repository_dispatch", dispatchEvent("orchestrate", { ref: "feature/x" }), "d-4");
    await receive("repository_dispatch", dispatchEvent("orchestrate", { ref: "orchestrator/api" }), "d-5");
    await receive(
      "repository_dispatch",
      dispatchEvent("orchestrate", { ref: "refs/heads/orchestrator/web" }),
      "d-6",
    );
    await receive("repository_dispatch", dispatchEvent("orchestrate", { ref: "a".repeat(40) }), "d-7");
    scope.persist(false);

    expect(refusals(logLines)).toEqual([
      'repository_dispatch refused: ref "feature/x" is not allowed: repository_dispatch starts sessions from "main", "release/*" only ' +
        "(more branches can be allowed with ORCHESTRATOR_DISPATCH_REFS; tags and commits never)",
      'repository_dispatch refused: ref "orchestrator/api" is a task branch: sessions never start from a branch agents push to',
      'repository_dispatch refused: ref "refs/heads/orchestrator/web" is a task branch: sessions never start from a branch agents push to',
      expect.stringContaining(`ref "${"a".repeat(40)}" is not allowed`),
    ]);
  });
});
