import nock from "nock";
import { describe, expect, it } from "vitest";
import { COMMAND_HELP } from "../../../src/core/parse-command.js";
import {
  github,
  installationToken,
  permission,
  scriptStartSession,
  useOfflineNock,
} from "../support/nock-github.js";
import { APP_ID, createTestProbot } from "../support/test-probot.js";
import { examplePayload, forRepository, type Payload } from "../support/webhook-examples.js";

const OWNER = "acme";
const REPO = "widgets";
const FULL = `${OWNER}/${REPO}`;
const INSTALLATION = 31;
const COMMENT_ID = 6001;

useOfflineNock();

function comment(body: string, sender: { login: string; type?: string } = { login: "octocat" }): Payload {
  const payload = forRepository(examplePayload("issue_comment", "created"), {
    owner: OWNER,
    repo: REPO,
    installationId: INSTALLATION,
  });
  payload.comment.id = COMMENT_ID;
  payload.comment.body = body;
  payload.comment.user = { ...payload.comment.user, login: sender.login, type: sender.type ?? "User" };
  payload.sender = { ...payload.sender, login: sender.login, type: sender.type ?? "User" };
  payload.issue.number = 12;
  return payload;
}

function reaction(scope: nock.Scope, content: string, status = 201, seen: string[] = []): nock.Scope {
  return scope
    .post(`/repos/${FULL}/issues/comments/${COMMENT_ID}/reactions`, (body: { content: string }) => {
      seen.push(body.content);
      return body.content === content;
    })
    .reply(status, { id: 1, content });
}

function reply(scope: nock.Scope, replies: string[]): nock.Scope {
  return scope.post(`/repos/${FULL}/issues/12/comments`).reply(201, (_uri, body) => {
    replies.push((body as { body: string }).body);
    return { id: 8000 + replies.length };
  });
}

describe("issue_comment commands", () => {
  it("starts a session for a user with write permission: 👀, one dispatch, a status comment", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    permission(scope, FULL, "octocat", "write");
    const reactions: string[] = [];
    reaction(scope, "eyes", 201, reactions);
    const capture = scriptStartSession(scope, {
      repo: FULL,
      tasksJson: {
        tasks: [
          { id: "api", prompt: "Build it" },
          { id: "web", prompt: "Use it", dependencies: ["api"] },
        ],
      },
      issueNumber: 12,
    });

    await receive("issue_comment", comment("Thanks!\n/orchestrate --parallel 2"));

    expect(scope.pendingMocks()).toEqual([]);
    expect(reactions).toEqual(["eyes"]);
    expect(capture.dispatches).toHaveLength(1);
    expect(capture.dispatches[0]?.inputs).toMatchObject({
      task_id: "api",
      attempt: "1",
      session_id: `${OWNER}:${REPO}:5001`,
    });
    expect(capture.comments[0]).toContain("session `acme:widgets:5001`");
  });

  it("counts maintain as write (role_name), though `permission` says write only", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    permission(scope, FULL, "octocat", "maintain");
    reaction(scope, "eyes");
    const replies: string[] = [];
    reply(scope, replies);

    await receive("issue_comment", comment("/orchestrate help"));

    expect(scope.pendingMocks()).toEqual([]);
    expect(replies).toEqual([`@octocat ${COMMAND_HELP}`]);
  });

  it("refuses a read-only user with 😕 and a reply naming the permission; nothing is dispatched", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    permission(scope, FULL, "visitor", "read");
    const reactions: string[] = [];
    reaction(scope, "confused", 201, reactions);
    const replies: string[] = [];
    reply(scope, replies);

    await receive("issue_comment", comment("/orchestrate", { login: "visitor" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(reactions).toEqual(["confused"]);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(
      /^@visitor only people with write, maintain or admin permission on acme\/widgets/,
    );
    expect(replies[0]).toContain("your permission is `read`");
  });

  it("refuses a user who is not a collaborator at all (404)", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    scope.get(`/repos/${FULL}/collaborators/stranger/permission`).reply(404, { message: "Not Found" });
    reaction(scope, "confused");
    const replies: string[] = [];
    reply(scope, replies);

    await receive("issue_comment", comment("/orchestrate cancel", { login: "stranger" }));

    expect(scope.pendingMocks()).toEqual([]);
    expect(replies[0]).toContain("your permission is `none`");
  });

  it("ignores bots, the App's own comments and comments without a command, with no API call", async () => {
    const { receive } = await createTestProbot();
    // No scope: with net connect disabled, any request would make receive() reject.
    await receive("issue_comment", comment("/orchestrate", { login: "renovate[bot]", type: "Bot" }));
    const own = comment("/orchestrate status");
    own.comment.performed_via_github_app = { id: APP_ID, slug: "orchestrator", name: "Orchestrator" };
    await receive("issue_comment", own);
    await receive("issue_comment", comment("Looks good to me. We should orchestrate this later."));
    await receive("issue_comment", comment("/orchestrated already"));
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("a bot the operator allowed by name is heard like a writer (no permission lookup)", async () => {
    const { receive } = await createTestProbot({
      commandPolicy: { allowedBots: ["renovate[bot]"], dispatchRefs: [] },
    });
    const scope = github();
    installationToken(scope, INSTALLATION);
    reaction(scope, "confused");
    const replies: string[] = [];
    reply(scope, replies);

    await receive(
      "issue_comment",
      comment("/orchestrate deploy now", { login: "renovate[bot]", type: "Bot" }),
    );

    expect(scope.pendingMocks()).toEqual([]);
    expect(replies[0]).toContain('unknown command "deploy"');
  });

  it("answers an unknown command with 😕, the problem and the help", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    permission(scope, FULL, "octocat", "admin");
    reaction(scope, "confused");
    const replies: string[] = [];
    reply(scope, replies);

    await receive("issue_comment", comment("/orchestrate deploy now"));

    expect(scope.pendingMocks()).toEqual([]);
    expect(replies[0]).toContain('unknown command "deploy"');
    expect(replies[0]).toContain(COMMAND_HELP);
  });

  it("says why nothing started when the session cannot start (the use-case returns it, the handler replies)", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    permission(scope, FULL, "octocat", "write");
    reaction(scope, "eyes");
    scope
      .get(`/repos/${FULL}`)
      .reply(200, { default_branch: "main", full_name: FULL })
      .get(`/repos/${FULL}/commits/main`)
      .reply(200, { sha: "a".repeat(40) })
      .get(`/repos/${FULL}/contents/plan.json`)
      .query({ ref: "a".repeat(40) })
      .reply(404, { message: "Not Found" });
    reaction(scope, "confused");
    const replies: string[] = [];
    reply(scope, replies);

    await receive("issue_comment", comment("/orchestrate --file plan.json"));

    expect(scope.pendingMocks()).toEqual([]);
    expect(replies).toEqual([
      "### ❌ Orchestrator: nothing was started\n\nno tasks file at `main` (aaaaaaa): looked for `plan.json`",
    ]);
  });

  it("refuses a bad option before any work, naming the option", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    permission(scope, FULL, "octocat", "write");
    reaction(scope, "confused");
    const replies: string[] = [];
    reply(scope, replies);

    await receive("issue_comment", comment("/orchestrate --parallel 65"));

    expect(scope.pendingMocks()).toEqual([]);
    expect(replies[0]).toContain('@octocat --parallel must be a whole number from 1 to 64, got "65"');
  });

  it("does not run a command twice: a 200 for the 👀 reaction means it was already handled", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    permission(scope, FULL, "octocat", "write");
    reaction(scope, "eyes", 200);

    await receive("issue_comment", comment("/orchestrate"));

    expect(scope.pendingMocks()).toEqual([]);
  });

  it("finds no session for status/cancel on an issue without the App's status comment", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    permission(scope, FULL, "octocat", "write");
    reaction(scope, "eyes");
    scope
      .get(`/repos/${FULL}/issues/12/comments`)
      .query({ per_page: "100" })
      .reply(200, [
        // Someone quoting a session id is not the App: not trusted.
        {
          id: 1,
          body: "see session `acme:widgets:77`",
          performed_via_github_app: null,
          user: { login: "octocat" },
        },
      ]);
    reaction(scope, "confused");
    const replies: string[] = [];
    reply(scope, replies);

    await receive("issue_comment", comment("/orchestrate cancel"));

    expect(scope.pendingMocks()).toEqual([]);
    expect(replies[0]).toContain("no orchestrator session was started from this issue");
  });

  it("refuses to act on a session of another repository", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    permission(scope, FULL, "octocat", "write");
    reaction(scope, "eyes");
    reaction(scope, "confused");
    const replies: string[] = [];
    reply(scope, replies);

    await receive("issue_comment", comment("/orchestrate retry failed --session acme:secret-repo:55"));

    expect(scope.pendingMocks()).toEqual([]);
    expect(replies[0]).toContain("`acme:secret-repo:55` is not a session of acme/widgets");
  });

  it("tells the user when a claimed command fails on GitHub's side (no redelivery would help)", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    permission(scope, FULL, "octocat", "write");
    reaction(scope, "eyes");
    scope.get(`/repos/${FULL}`).reply(502, { message: "Server Error" });
    reaction(scope, "confused");
    const replies: string[] = [];
    reply(scope, replies);

    await receive("issue_comment", comment("/orchestrate"));

    expect(scope.pendingMocks()).toEqual([]);
    expect(replies[0]).toContain("the command failed: GitHub answered 502");
  });
});
