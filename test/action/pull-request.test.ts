import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { renderResultBlock, type TaskResult } from "../../src/core/task-result-block.js";
import { ActionFailure } from "../../action/src/action-failure.js";
import { upsertPullRequest } from "../../action/src/pull-request.js";

const API = "https://api.github.test";
const repository = { owner: "acme", repo: "widgets" };
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const client = new Octokit({ baseUrl: API, auth: "token", log: quiet });
const failed: TaskResult = {
  version: 1,
  session_id: "acme:widgets:1",
  task_id: "a",
  attempt: 1,
  conclusion: "failure",
  branch: "orchestrator/a",
};

function pull(overrides: Record<string, unknown> = {}) {
  return {
    number: 7,
    html_url: "https://github.test/acme/widgets/pull/7",
    draft: false,
    body: "old body",
    base: { ref: "main" },
    head: { ref: "orchestrator/a" },
    node_id: "PR_node7",
    ...overrides,
  };
}

const options = (draft: boolean, logs: string[] = []) => ({
  client,
  repository,
  branch: "orchestrator/a",
  base: "main",
  title: "Task a",
  renderBody: (existing: string) => `new body (was: ${existing || "nothing"})`,
  draft,
  graphqlUrl: `${API}/graphql`,
  log: (message: string) => logs.push(message),
});

const list = (scope: nock.Scope, answer: unknown[]) =>
  scope
    .get("/repos/acme/widgets/pulls")
    .query({ head: "acme:orchestrator/a", state: "open", per_page: "10" })
    .reply(200, answer);

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("upsertPullRequest", () => {
  it("creates the PR when none is open for the branch", async () => {
    const scope = nock(API);
    list(scope, []);
    scope
      .post(
        "/repos/acme/widgets/pulls",
        (body) =>
          body.head === "orchestrator/a" &&
          body.base === "main" &&
          body.draft === false &&
          body.body === "new body (was: nothing)",
      )
      .reply(201, pull());
    expect(await upsertPullRequest(options(false))).toEqual({
      number: 7,
      url: pull().html_url,
      created: true,
    });
    scope.done();
  });

  it("updates body and base of the open PR instead of opening a second one", async () => {
    const scope = nock(API);
    list(scope, [pull({ base: { ref: "orchestrator/old-dep" } })]);
    scope
      .patch("/repos/acme/widgets/pulls/7", { body: "new body (was: old body)", base: "main" })
      .reply(200, pull());
    expect(await upsertPullRequest(options(false))).toMatchObject({ number: 7, created: false });
    scope.done();
  });

  it("reads 'already exists' on create (a race) as: find it and update it", async () => {
    const scope = nock(API);
    list(scope, []);
    scope.post("/repos/acme/widgets/pulls").reply(422, {
      message: "Validation Failed",
      errors: [
        {
          resource: "PullRequest",
          code: "custom",
          message: "A pull request already exists for acme:orchestrator/a.",
        },
      ],
    });
    list(scope, [pull()]);
    scope.patch("/repos/acme/widgets/pulls/7").reply(200, pull());
    expect(await upsertPullRequest(options(false))).toMatchObject({ number: 7, created: false });
    scope.done();
  });

  it("falls back to a normal PR where drafts are not available", async () => {
    const logs: string[] = [];
    const scope = nock(API);
    list(scope, []);
    scope
      .post("/repos/acme/widgets/pulls", (body) => body.draft === true)
      .reply(422, {
        message: "Validation Failed",
        errors: [
          {
            resource: "PullRequest",
            code: "custom",
            message: "Draft pull requests are not supported in this repository.",
          },
        ],
      });
    scope.post("/repos/acme/widgets/pulls", (body) => body.draft === false).reply(201, pull());
    expect(await upsertPullRequest(options(true, logs))).toMatchObject({ number: 7, created: true });
    expect(logs.join("\n")).toContain("Draft pull requests are not available");
    scope.done();
  });

  it("marks ready a draft it opened for a failed attempt, once the task succeeds", async () => {
    const scope = nock(API);
    list(scope, [pull({ draft: true, body: `x\n${renderResultBlock(failed)}` })]);
    scope.patch("/repos/acme/widgets/pulls/7").reply(200, pull());
    scope
      .post(
        "/graphql",
        (body) => body.variables.id === "PR_node7" && body.query.includes("markPullRequestReadyForReview"),
      )
      .reply(200, { data: {} });
    await upsertPullRequest(options(false));
    scope.done();
  });

  it("leaves alone a draft someone else made (no failure result block in it)", async () => {
    const scope = nock(API);
    list(scope, [pull({ draft: true, body: "work in progress by a human" })]);
    scope.patch("/repos/acme/widgets/pulls/7").reply(200, pull());
    await upsertPullRequest(options(false));
    scope.done();
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("turns an API error into a pr_api_error saying the work is pushed", async () => {
    const scope = nock(API);
    list(scope, []);
    scope.post("/repos/acme/widgets/pulls").reply(422, {
      message: "Validation Failed",
      errors: [{ resource: "PullRequest", field: "base", code: "invalid" }],
    });
    const error = await upsertPullRequest(options(false)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ActionFailure);
    expect((error as ActionFailure).kind).toBe("pr_api_error");
    expect((error as ActionFailure).message).toMatch(
      /^Could not open or update the pull request for orchestrator\/a → main: GitHub answered 422: Validation Failed; .*"field":"base".*\. The work is pushed to orchestrator\/a/,
    );
    scope.done();
  });
});
