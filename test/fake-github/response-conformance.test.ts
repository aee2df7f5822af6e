import { generateKeyPairSync } from "node:crypto";
import { Octokit } from "@octokit/rest";
import { Probot } from "probot";
import { afterEach, describe, expect, it } from "vitest";
import { FakeGitHubState } from "../support/fake-github/state.js";
import { FaultInjector } from "../support/fake-github/faults.js";
import { handleRequest, type RequestPipeline } from "../support/fake-github/handle-request.js";
import { openApiIndex } from "../support/fake-github/openapi-index.js";
import { allRoutes } from "../support/fake-github/routes/all-routes.js";
import { enableStacks } from "../support/fake-github/routes/stacks.js";
import { addReview } from "../support/fake-github/routes/reviews.js";
import { validateSchema } from "../support/fake-github/schema-validator.js";
import { FULL_NAME, OWNER, quietLog, REPO, startFixture, type FakeFixture } from "./fixture.js";

let fixture: FakeFixture | undefined;
afterEach(async () => {
  await fixture?.fake.close();
  fixture = undefined;
});

/** Drives every implemented route once, the way the App and the action use them. */
async function tour(f: FakeFixture): Promise<number> {
  const { fake, app, octokit, headSha } = f;
  const repo = { owner: OWNER, repo: REPO };
  await app.apps.getAuthenticated();
  await app.apps.listInstallations();
  const installation = await app.apps.getRepoInstallation(repo);
  await app.apps.getInstallation({ installation_id: installation.data.id });
  await octokit.repos.get(repo);
  await octokit.repos.getCommit({ ...repo, ref: "main" });
  await octokit.repos.getBranch({ ...repo, branch: "main" });
  await octokit.repos.getContent({ ...repo, path: "tasks/tasks.json", ref: headSha });
  await octokit.repos.getContent({ ...repo, path: ".github", ref: "main" });
  await octokit.git.createRef({ ...repo, ref: "refs/heads/task-a", sha: headSha });
  await octokit.git.getRef({ ...repo, ref: "heads/task-a" });
  await octokit.git.listMatchingRefs({ ...repo, ref: "heads/task" });
  const next = fake.state.commitFiles({ repo: FULL_NAME, branch: "scratch", files: { "x.txt": "x" } });
  await octokit.git.updateRef({ ...repo, ref: "heads/task-a", sha: next, force: true });
  const baseTree = fake.state.requireRepo(FULL_NAME).commits.get(headSha)?.treeSha ?? "";
  const tree = await octokit.git.createTree({
    ...repo,
    base_tree: baseTree,
    tree: [{ path: "tasks/new.json", mode: "100644", type: "blob", content: "{}\n" }],
  });
  await octokit.git.createCommit({ ...repo, message: "Add a file", tree: tree.data.sha, parents: [headSha] });
  const check = await octokit.checks.create({
    ...repo,
    name: "orchestrator: session",
    head_sha: headSha,
    external_id: "session-1",
    status: "in_progress",
    output: { title: "Running", summary: "1 of 2", text: "<!-- {} -->" },
    actions: [{ label: "Cancel", description: "Cancel the session", identifier: "cancel" }],
  });
  await octokit.checks.update({
    ...repo,
    check_run_id: check.data.id,
    conclusion: "success",
    output: {
      title: "Done",
      summary: "2 of 2",
      annotations: [
        { path: "tasks/tasks.json", start_line: 1, end_line: 1, annotation_level: "failure", message: "bad" },
      ],
    },
  });
  await octokit.checks.listAnnotations({ ...repo, check_run_id: check.data.id });
  await octokit.checks.get({ ...repo, check_run_id: check.data.id });
  await octokit.checks.listForRef({ ...repo, ref: headSha, check_name: "orchestrator: session" });
  await octokit.actions.listRepoWorkflows(repo);
  await octokit.actions.getWorkflow({ ...repo, workflow_id: "task.yml" });
  const dispatched = await octokit.actions.createWorkflowDispatch({
    ...repo,
    workflow_id: "task.yml",
    ref: "main",
    inputs: { task: "a" },
    return_run_details: true,
  });
  const runId = (dispatched.data as { workflow_run_id: number }).workflow_run_id;
  await octokit.actions.createWorkflowDispatch({
    ...repo,
    workflow_id: "task.yml",
    ref: "main",
    inputs: { task: "b" },
  });
  await octokit.actions.createWorkflowDispatch({
    ...repo,
    workflow_id: "task.yml",
    ref: "main",
    inputs: { task: "c" },
  });
  const failed = [...fake.state.workflowRuns.values()].at(-1);
  if (failed === undefined) throw new Error("the third dispatch made no run");
  fake.completeRun(failed.id, { conclusion: "failure", failureMessage: "Task c: the tests failed" });
  const jobs = await octokit.actions.listJobsForWorkflowRun({ ...repo, run_id: failed.id, filter: "latest" });
  for (const job of jobs.data.jobs) await octokit.checks.listAnnotations({ ...repo, check_run_id: job.id });
  await octokit.apps.listReposAccessibleToInstallation({ per_page: 10 });
  await octokit.actions.listWorkflowRunsForRepo({ ...repo, per_page: 1 });
  await octokit.actions.listWorkflowRuns({ ...repo, workflow_id: "task.yml" });
  await octokit.actions.getWorkflowRun({ ...repo, run_id: runId });
  await octokit.actions.cancelWorkflowRun({ ...repo, run_id: runId });
  const pull = await octokit.pulls.create({
    ...repo,
    head: "task-a",
    base: "main",
    title: "Task a",
    body: "<!-- result -->",
  });
  await octokit.pulls.list({ ...repo, head: `${OWNER}:task-a`, state: "all" });
  await octokit.pulls.get({ ...repo, pull_number: pull.data.number });
  await octokit.pulls.update({ ...repo, pull_number: pull.data.number, body: "updated" });
  const review = addReview(fake.state, {
    repo: FULL_NAME,
    pullNumber: pull.data.number,
    user: "reviewer",
    body: "Changes, please.",
    comments: [
      { path: "x.txt", line: 1, body: "Here." },
      { path: "old.txt", line: null, body: "Outdated." },
    ],
  });
  await octokit.pulls.listCommentsForReview({ ...repo, pull_number: pull.data.number, review_id: review.id });
  await octokit.pulls.requestReviewers({ ...repo, pull_number: pull.data.number, reviewers: ["reviewer"] });
  const issue = fake.state.addIssue({ repo: FULL_NAME, title: "Orchestrate", user: "alice" });
  const comment = await octokit.issues.createComment({ ...repo, issue_number: issue.number, body: "ack" });
  await octokit.issues.updateComment({ ...repo, comment_id: comment.data.id, body: "done" });
  await octokit.issues.getComment({ ...repo, comment_id: comment.data.id });
  await octokit.issues.listComments({ ...repo, issue_number: issue.number });
  await octokit.reactions.createForIssueComment({ ...repo, comment_id: comment.data.id, content: "rocket" });
  await octokit.reactions.listForIssueComment({ ...repo, comment_id: comment.data.id });
  // Issue graphs: sub-issues and "blocked by" links, made by database id.
  const step = fake.state.addIssue({ repo: FULL_NAME, title: "Step" });
  await octokit.issues.addSubIssue({ ...repo, issue_number: issue.number, sub_issue_id: step.id });
  await octokit.issues.listSubIssues({ ...repo, issue_number: issue.number });
  await octokit.issues.addBlockedByDependency({ ...repo, issue_number: step.number, issue_id: issue.id });
  await octokit.issues.listDependenciesBlockedBy({ ...repo, issue_number: step.number });
  await octokit.issues.listDependenciesBlocking({ ...repo, issue_number: issue.number });
  await octokit.issues.get({ ...repo, issue_number: step.number });
  // An approved plan's sub-issue, created by the App.
  await octokit.issues.create({ ...repo, title: "Planned step", body: "Do the step." });
  fake.state.setPermission(FULL_NAME, "alice", "write");
  await octokit.repos.getCollaboratorPermissionLevel({ ...repo, username: "alice" });
  const delivery = fake.state.addHookDelivery({
    event: "issue_comment",
    payload: { action: "created" },
    statusCode: 500,
  });
  fake.state.addHookDelivery({ event: "ping", payload: {}, statusCode: 200 });
  await app.apps.listWebhookDeliveries({ per_page: 1 });
  await app.apps.getWebhookDelivery({ delivery_id: delivery.id });
  await app.apps.redeliverWebhookDelivery({ delivery_id: delivery.id });
  // Stacked pull requests: a repository without them answers 404; enabled, a stack of three.
  await octokit.request("GET /repos/{owner}/{repo}/stacks", repo).catch(() => undefined);
  enableStacks(fake.state, FULL_NAME);
  // task-a ← task-b ← task-c, one commit each.
  for (const [branch, below] of [
    ["task-b", "task-a"],
    ["task-c", "task-b"],
  ] as const) {
    const { data: base } = await octokit.git.getRef({ ...repo, ref: `heads/${below}` });
    await octokit.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: base.object.sha });
    fake.state.commitFiles({ repo: FULL_NAME, branch, files: { [`${branch}.txt`]: branch } });
  }
  const middle = await octokit.pulls.create({ ...repo, head: "task-b", base: "task-a", title: "Task b" });
  const top = await octokit.pulls.create({ ...repo, head: "task-c", base: "task-b", title: "Task c" });
  const stack = await octokit.request("POST /repos/{owner}/{repo}/stacks", {
    ...repo,
    pull_requests: [pull.data.number, middle.data.number],
  });
  await octokit.request("POST /repos/{owner}/{repo}/stacks/{stack_number}/add", {
    ...repo,
    stack_number: stack.data.number,
    pull_requests: [top.data.number],
  });
  await octokit.request("GET /repos/{owner}/{repo}/stacks", { ...repo, pull_request: top.data.number });
  await octokit.git.deleteRef({ ...repo, ref: "heads/task-a" });
  // Last: once the manifest flow has handed out the App's key, the fake checks JWT signatures.
  await new Octokit({ baseUrl: fake.url, log: quietLog }).apps.createFromManifest({
    code: fake.state.addManifestCode(),
  });
  return runId;
}

describe("fake GitHub answers as GitHub's OpenAPI description says", () => {
  it("produces no violation across a tour of every implemented route", async () => {
    fixture = await startFixture();
    await tour(fixture);
    const { fake } = fixture;
    expect(fake.violations).toEqual([]);
    const visited = new Set(fake.requests.map((r) => r.route));
    expect(Object.keys(allRoutes).filter((route) => !visited.has(route))).toEqual([]);
  });

  it("every recorded response body validates against the operation's response schema", async () => {
    fixture = await startFixture();
    await tour(fixture);
    const spec = fixture.fake.spec;
    const failures = fixture.fake.requests.flatMap((record) => {
      const operation = record.route === undefined ? undefined : spec.operation(record.route);
      const schema = operation?.responses.get(String(record.status));
      if (schema === undefined) return [];
      return validateSchema({ value: record.responseBody, schema, resolveRef: spec.resolveRef }).map(
        (issue) => `${record.route ?? ""} ${record.status} ${issue.path}: ${issue.message}`,
      );
    });
    expect(failures).toEqual([]);
    expect(
      fixture.fake.requests.filter(
        (r) => spec.operation(r.route ?? "")?.responses.get(String(r.status)) !== undefined,
      ).length,
    ).toBeGreaterThanOrEqual(38);
  });

  it.each(["requested", "in_progress", "completed"] as const)(
    "workflow_run.%s payloads match the webhook schema",
    async (action) => {
      fixture = await startFixture();
      const runId = await tour(fixture);
      const { fake } = fixture;
      const other = [...fake.state.workflowRuns.values()].find((run) => run.id !== runId);
      if (other === undefined) throw new Error("the tour dispatches two runs");
      fake.startRun(other.id);
      fake.completeRun(other.id, { conclusion: "success" });
      const payloads = fake.webhooks.filter((w) => w.name === "workflow_run" && w.payload.action === action);
      expect(payloads.length).toBeGreaterThan(0);
      const schema = fake.spec.webhookSchema(`workflow-run-${action.replace("_", "-")}`);
      if (schema === undefined) throw new Error(`no webhook schema for workflow_run.${action}`);
      for (const webhook of payloads) {
        expect(validateSchema({ value: webhook.payload, schema, resolveRef: fake.spec.resolveRef })).toEqual(
          [],
        );
      }
    },
  );

  it("catches a handler that drifts from GitHub's response schema", () => {
    const state = new FakeGitHubState({ now: () => new Date("2025-06-01T00:00:00Z") });
    state.addRepo({ fullName: FULL_NAME });
    const violations: Parameters<RequestPipeline["violate"]>[0][] = [];
    const pipeline: RequestPipeline = {
      spec: openApiIndex(),
      routes: {
        "GET /repos/{owner}/{repo}": () => ({ status: 200, body: { id: "not-a-number", name: REPO } }),
      },
      ctx: { api: "http://127.0.0.1:1/api/v3", web: "http://127.0.0.1:1", state },
      faults: new FaultInjector(),
      behaviour: { rejectReturnRunDetails: false },
      requireAuth: false,
      acceptAnyToken: true,
      emit: () => {},
      record: () => {},
      violate: (violation) => violations.push(violation),
    };
    const response = handleRequest(pipeline, {
      method: "GET",
      url: `/api/v3/repos/${FULL_NAME}`,
      authorization: undefined,
      bodyText: "",
    });
    expect(response.status).toBe(200);
    expect(violations).toHaveLength(1);
    expect(violations[0]?.kind).toBe("response");
    expect(violations[0]?.messages).toContain('/id: "not-a-number" is not of type integer');
  });
});

describe("fake GitHub with Probot", () => {
  it("authenticates a real Probot app (signed JWT → installation token) and serves its webhook handler", async () => {
    fixture = await startFixture();
    const { fake, octokit } = fixture;
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const probot = new Probot({
      appId: fake.state.app.id,
      privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
      baseUrl: fake.url,
      logLevel: "fatal",
    });
    const seen: string[] = [];
    probot.on("workflow_run.completed", async (context) => {
      const run = await context.octokit.rest.actions.getWorkflowRun(
        context.repo({ run_id: context.payload.workflow_run.id }),
      );
      seen.push(`${run.data.id}:${run.data.conclusion ?? ""}`);
    });
    const dispatched = await octokit.actions.createWorkflowDispatch({
      owner: OWNER,
      repo: REPO,
      workflow_id: "task.yml",
      ref: "main",
      inputs: { task: "a" },
      return_run_details: true,
    });
    const runId = (dispatched.data as { workflow_run_id: number }).workflow_run_id;
    const webhook = fake.completeRun(runId, { conclusion: "success" });
    await probot.receive({ id: webhook.id, name: "workflow_run", payload: webhook.payload } as Parameters<
      Probot["receive"]
    >[0]);
    expect(seen).toEqual([`${runId}:success`]);
    const probotRequests = fake.requests.slice(-2).map((r) => `${r.auth} ${r.route ?? ""}`);
    expect(probotRequests).toEqual([
      "jwt POST /app/installations/{installation_id}/access_tokens",
      "installation GET /repos/{owner}/{repo}/actions/runs/{run_id}",
    ]);
    expect(fake.violations).toEqual([]);
  });
});
