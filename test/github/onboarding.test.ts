/**
 * Onboarding a repository, end to end: the App's real server against the OpenAPI-checked fake
 * GitHub, with recorded installation and comment webhooks. A repository without the task
 * workflow or a tasks file gets one onboarding pull request (or, when the App may not write the
 * workflow or the user closed the pull request, a reply with links that open GitHub's new-file
 * page filled in); a repository that has both costs no request more.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ONBOARDING_BRANCH } from "../../src/core/onboarding.js";
import { STARTER_SCHEMA_FILE, STARTER_TASKS_FILE, starterTasksText } from "../../src/core/starter-tasks.js";
import type { OrchestratorServer } from "../../src/github/server.js";
import { PACKAGE_SCHEMA, PACKAGE_WORKFLOW, readPackageFile } from "../../src/package/package-files.js";
import { API_TOKEN, FULL_NAME, OWNER, REPO, ServerHarness } from "./support/server-harness.js";
import { examplePayload } from "./support/webhook-examples.js";

const WORKFLOW_PATH = ".github/workflows/orchestrator-task.yml";
const WORKFLOW = readPackageFile(PACKAGE_WORKFLOW);
const SCHEMA = readPackageFile(PACKAGE_SCHEMA);
const USER_TASKS = `{ "tasks": [{ "id": "mine", "prompt": "The user's own task" }] }\n`;

let harness: ServerHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(
  files: Record<string, string>,
): Promise<{ h: ServerHarness; server: OrchestratorServer }> {
  harness = await ServerHarness.withFiles(files);
  harness.fake.state.setPermission(FULL_NAME, "octocat", "write");
  const server = await harness.startServer();
  return { h: harness, server };
}

/** `installation.created` as GitHub records it, for this fake's installation and repository. */
function installed(h: ServerHarness, options: { workflows?: boolean; selection?: "selected" | "all" } = {}) {
  const repo = h.fake.state.requireRepo(FULL_NAME);
  const payload = examplePayload("installation", "created");
  payload.installation.id = repo.installationId;
  payload.installation.account.login = OWNER;
  payload.installation.repository_selection = options.selection ?? "selected";
  payload.installation.permissions = {
    actions: "write",
    checks: "write",
    contents: "write",
    issues: "write",
    metadata: "read",
    pull_requests: "write",
    ...(options.workflows === false ? {} : { workflows: "write" }),
  };
  payload.repositories = [
    { id: repo.id, node_id: "R_test", name: REPO, full_name: FULL_NAME, private: false },
  ];
  return { id: `install-${repo.installationId}`, name: "installation", payload };
}

function denyWorkflows(h: ServerHarness): void {
  delete h.fake.state.app.permissions.workflows;
}

function pulls(h: ServerHarness) {
  return [...h.fake.state.pulls.values()].filter((pull) => pull.repo === FULL_NAME);
}

function filesOn(h: ServerHarness, branch: string): ReadonlyMap<string, string> {
  const repo = h.fake.state.requireRepo(FULL_NAME);
  const commit = h.fake.state.resolveCommit(repo, branch);
  if (commit === undefined) throw new Error(`no branch ${branch}`);
  return commit.files;
}

/** The App's writes (anything but GET), as `METHOD /route`. */
function writes(h: ServerHarness, from = 0): string[] {
  return h.fake.requests
    .slice(from)
    .filter((request) => request.method !== "GET" && request.auth !== "jwt")
    .map((request) => request.route ?? `${request.method} ${request.path}`);
}

function repliesOn(h: ServerHarness, issueNumber: number): string[] {
  return [...h.fake.state.comments.values()]
    .filter((comment) => comment.issueNumber === issueNumber && comment.viaAppId !== undefined)
    .map((comment) => comment.body);
}

/** Every Markdown link target in `text`. */
function linkTargets(text: string): string[] {
  return [...text.matchAll(/\]\((https?:\/\/[^)\s]+)\)/g)].map((match) => match[1] as string);
}

describe("onboarding at installation", () => {
  it("opens one pull request with the workflow, the starter tasks and the schema, and the secret's link", async () => {
    const { h, server } = await start({ "README.md": "# widgets\n" });

    expect(await h.deliver(server, installed(h))).toBe(200);

    const opened = pulls(h);
    expect(opened).toHaveLength(1);
    const pull = opened[0]!;
    expect(pull).toMatchObject({ head: ONBOARDING_BRANCH, base: "main", state: "open" });
    const files = filesOn(h, ONBOARDING_BRANCH);
    expect(files.get(WORKFLOW_PATH)).toBe(WORKFLOW);
    expect(files.get(STARTER_TASKS_FILE)).toBe(starterTasksText());
    expect(files.get(STARTER_SCHEMA_FILE)).toBe(SCHEMA);
    expect(files.get("README.md")).toBe("# widgets\n");
    expect(WORKFLOW).toMatch(/uses: [\w.-]+\/[\w.-]+\/action@v\d+/);
    expect(WORKFLOW).not.toContain("uses: ./action");
    // The default branch is untouched: the files arrive only if the user merges.
    expect([...filesOn(h, "main").keys()]).toEqual(["README.md"]);
    expect(pull.body).toContain(`${h.fake.origin}/${FULL_NAME}/settings/secrets/actions/new`);
    expect(pull.body).toContain("ANTHROPIC_API_KEY");
    expect(pull.body).toContain("CLAUDE_CODE_OAUTH_TOKEN");
    expect(pull.body).toContain("/orchestrate");
    for (const path of [WORKFLOW_PATH, STARTER_TASKS_FILE, STARTER_SCHEMA_FILE])
      expect(pull.body).toContain(path);
    expect(h.violations()).toEqual([]);
  });

  it("opens no second pull request when the installation is delivered again", async () => {
    const { h, server } = await start({});
    const webhook = installed(h);
    await h.deliver(server, webhook);
    const before = h.fake.requests.length;

    await h.deliver(server, webhook);

    expect(pulls(h)).toHaveLength(1);
    expect(writes(h, before)).toEqual([]);
    expect(h.violations()).toEqual([]);
  });

  it("does nothing in a repository that has the workflow and a tasks file", async () => {
    const { h, server } = await start({ [WORKFLOW_PATH]: WORKFLOW, "tasks/tasks.yml": "tasks: []\n" });
    const before = h.fake.requests.length;

    await h.deliver(server, installed(h));

    expect(pulls(h)).toEqual([]);
    expect(writes(h, before)).toEqual([]);
    expect(h.violations()).toEqual([]);
  });

  it("writes nothing and opens no issue when the installation did not grant `workflows: write`", async () => {
    const { h, server } = await start({});
    denyWorkflows(h);
    const before = h.fake.requests.length;

    await h.deliver(server, installed(h, { workflows: false }));

    expect(pulls(h)).toEqual([]);
    expect(writes(h, before)).toEqual([]);
    expect([...h.fake.state.issues.values()]).toEqual([]);
  });

  it("leaves repositories of an all-repositories installation to their first command", async () => {
    const { h, server } = await start({});
    const before = h.fake.requests.length;

    await h.deliver(server, installed(h, { selection: "all" }));

    expect(pulls(h)).toEqual([]);
    expect(h.fake.requests.length).toBe(before);
  });
});

describe("onboarding at the first /orchestrate", () => {
  it("opens the pull request and answers with it when the tasks file is missing", async () => {
    const { h, server } = await start({ [WORKFLOW_PATH]: WORKFLOW });
    const comment = h.comment({ body: "/orchestrate" });

    await h.deliver(server, comment);

    const opened = pulls(h);
    expect(opened).toHaveLength(1);
    const files = filesOn(h, ONBOARDING_BRANCH);
    expect(files.get(STARTER_TASKS_FILE)).toBe(starterTasksText());
    expect(files.get(WORKFLOW_PATH)).toBe(WORKFLOW); // the user's, as it was: not written again
    const issueNumber = (comment.payload as { issue: { number: number } }).issue.number;
    const replies = repliesOn(h, issueNumber);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain("nothing was started");
    expect(replies[0]).toContain("no tasks file at `main`");
    expect(replies[0]).toContain(`[pull request ${opened[0]!.number}](`);
    expect(replies[0]).toContain(`${h.fake.origin}/${FULL_NAME}/settings/secrets/actions/new`);
    expect(h.violations()).toEqual([]);
  });

  it("answers with one link per missing file when GitHub refuses the workflow write, and the links give back the files", async () => {
    const { h, server } = await start({});
    denyWorkflows(h);
    const comment = h.comment({ body: "/orchestrate" });

    await h.deliver(server, comment);

    expect(pulls(h)).toEqual([]);
    const repo = h.fake.state.requireRepo(FULL_NAME);
    expect([...repo.refs.keys()].filter((ref) => ref.includes("onboarding"))).toEqual([]);
    const refused = h.fake.requests.find(
      (request) => request.route === "POST /repos/{owner}/{repo}/git/trees",
    );
    expect(refused?.status).toBe(403);
    const issueNumber = (comment.payload as { issue: { number: number } }).issue.number;
    const replies = repliesOn(h, issueNumber);
    expect(replies).toHaveLength(1);
    const reply = replies[0]!;
    expect(reply).toContain("`workflows: write`");
    const newFile = linkTargets(reply)
      .map((target) => new URL(target))
      .filter((url) => url.pathname === `/${FULL_NAME}/new/main`);
    const byName = new Map(newFile.map((url) => [url.searchParams.get("filename"), url]));
    expect([...byName.keys()].sort()).toEqual(
      [WORKFLOW_PATH, STARTER_SCHEMA_FILE, STARTER_TASKS_FILE].sort(),
    );
    // The tasks file fits in a link, exactly; the workflow and the schema are too long for one
    // and name where to copy them from.
    expect(byName.get(STARTER_TASKS_FILE)?.searchParams.get("value")).toBe(starterTasksText());
    expect(byName.get(WORKFLOW_PATH)?.searchParams.get("value")).toBeNull();
    expect(reply).toMatch(/blob\/v\d+\/\.github\/workflows\/orchestrator-task\.yml\)/);
    expect(reply).toContain(`${h.fake.origin}/${FULL_NAME}/settings/secrets/actions/new`);
    expect(h.violations()).toEqual([]);
  });

  it("never replaces a file the default branch has: the user's tasks file stays, only the workflow is added", async () => {
    const { h, server } = await start({ "tasks/tasks.json": USER_TASKS });

    await h.deliver(server, h.comment({ body: "/orchestrate" }));

    expect(pulls(h)).toHaveLength(1);
    const files = filesOn(h, ONBOARDING_BRANCH);
    expect(files.get("tasks/tasks.json")).toBe(USER_TASKS);
    expect(files.has(STARTER_SCHEMA_FILE)).toBe(false);
    expect(files.get(WORKFLOW_PATH)).toBe(WORKFLOW);
    const tree = h.fake.requests.find((request) => request.route === "POST /repos/{owner}/{repo}/git/trees");
    const sent = (tree?.requestBody as { tree: { path: string }[] }).tree.map((entry) => entry.path);
    expect(sent).toEqual([WORKFLOW_PATH]);
    expect(h.violations()).toEqual([]);
  });

  it("does not open the pull request again once the user closed it, and answers with the links", async () => {
    const { h, server } = await start({});
    await h.deliver(server, installed(h));
    const pull = pulls(h)[0]!;
    pull.state = "closed";
    pull.closedAt = h.fake.state.timestamp();
    const before = h.fake.requests.length;
    const comment = h.comment({ body: "/orchestrate" });

    await h.deliver(server, comment);

    expect(pulls(h)).toHaveLength(1);
    expect(writes(h, before).filter((write) => !write.includes("/issues/"))).toEqual([]);
    const issueNumber = (comment.payload as { issue: { number: number } }).issue.number;
    const reply = repliesOn(h, issueNumber)[0] ?? "";
    expect(reply).toContain(`pull request ${pull.number}`);
    expect(reply).toContain("was closed");
    expect(reply).toContain(`/${FULL_NAME}/new/main?filename=`);
  });

  it("points at the open onboarding pull request instead of opening another", async () => {
    const { h, server } = await start({});
    await h.deliver(server, installed(h));
    const before = h.fake.requests.length;
    const comment = h.comment({ body: "/orchestrate" });

    await h.deliver(server, comment);

    expect(pulls(h)).toHaveLength(1);
    expect(writes(h, before).filter((write) => !write.includes("/issues/"))).toEqual([]);
    const issueNumber = (comment.payload as { issue: { number: number } }).issue.number;
    expect(repliesOn(h, issueNumber)[0]).toContain(
      `The onboarding pull request [pull request ${pulls(h)[0]!.number}]`,
    );
  });

  it("costs no request more in a repository that has both files", async () => {
    const { h, server } = await start({
      [WORKFLOW_PATH]: WORKFLOW,
      "tasks/tasks.json": `${JSON.stringify({ tasks: [{ id: "a", prompt: "A" }] })}\n`,
    });
    const before = h.fake.requests.length;

    await h.deliver(server, h.comment({ body: "/orchestrate" }));

    // Exactly what a start cost before onboarding existed: the tasks file is read once, the
    // workflow is looked up once, and nothing else is asked about the repository's files.
    expect(h.fake.requests.slice(before).map((request) => request.route)).toEqual([
      "POST /app/installations/{installation_id}/access_tokens",
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
      "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
      "GET /repos/{owner}/{repo}",
      "GET /repos/{owner}/{repo}/commits/{ref}",
      "GET /repos/{owner}/{repo}/contents/{path}",
      "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}",
      "POST /repos/{owner}/{repo}/check-runs",
      "POST /repos/{owner}/{repo}/git/refs",
      "GET /repos/{owner}/{repo}/check-runs/{check_run_id}",
      "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
      "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
      "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
    ]);
    expect(h.runs()).toHaveLength(1);
  });
});

describe("onboarding through the HTTP API", () => {
  it("answers 422 with the same guide (the pull request it opened)", async () => {
    const { h, server } = await start({});
    const response = await fetch(`${server.url}/api/orchestrate`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({}),
    });
    const answer = (await response.json()) as {
      error: { code: string; message: string; onboarding: Record<string, unknown> };
    };

    expect(response.status).toBe(422);
    expect(answer.error.code).toBe("file_not_found");
    expect(answer.error.message).toContain(`I opened [pull request ${pulls(h)[0]!.number}]`);
    expect(answer.error.message).toContain("/settings/secrets/actions/new");
    expect(answer.error.onboarding).toEqual({
      outcome: "pull_created",
      files: [WORKFLOW_PATH, STARTER_TASKS_FILE, STARTER_SCHEMA_FILE],
      pull_url: `${h.fake.origin}/${FULL_NAME}/pull/${pulls(h)[0]!.number}`,
    });
  });
});
