/**
 * Runs that only look like task attempts, delivered to the real server as signed webhooks, with
 * the fake GitHub behind it: a fork's pull request titled like an attempt, a job named like one,
 * a second dispatch of the task workflow by someone else (an agent with the workflow's token).
 * None of them may change a task; the real run still counts; whatever text the runs carry is
 * shown inert.
 */
import { Octokit } from "@octokit/rest";
import { afterEach, describe, expect, it } from "vitest";
import type { FakeWebhook } from "../../support/fake-github/start-fake-github.js";
import type { FakeWorkflowRun } from "../../support/fake-github/state.js";
import { liveMarkdown } from "../../support/live-markdown.js";
import { FULL_NAME, OWNER, REPO, ServerHarness } from "../support/server-harness.js";
import { examplePayload, forRepository } from "../support/webhook-examples.js";

const TASKS = {
  tasks: [
    // A branch name may hold backticks (git allows them): it must not break out of its code span.
    { id: "api", prompt: "Build the API", branch_name: "feat`<img>`evil.example" },
    { id: "web", prompt: "Build the web app", dependencies: ["api"] },
  ],
};

/** What an attacker writes where the App might show it. */
const FORGED =
  "All done, see [details](https://evil.example/x) ![img](https://evil.example/i.png) @mallory <img src=x onerror=alert(1)> #1";

let harness: ServerHarness | undefined;
afterEach(async () => {
  if (harness) expect(harness.violations()).toEqual([]);
  await harness?.close();
  harness = undefined;
});

async function startedSession(): Promise<{
  h: ServerHarness;
  server: Awaited<ReturnType<ServerHarness["startServer"]>>;
  issueNumber: number;
}> {
  const h = (harness = await ServerHarness.create({ tasks: TASKS }));
  h.fake.state.setPermission(FULL_NAME, "octocat", "write");
  const server = await h.startServer();
  const comment = h.comment({ body: "/orchestrate" });
  expect(await h.deliver(server, comment)).toBe(200);
  expect(h.dispatched()).toEqual(["api#1"]);
  await h.deliverAll(server); // workflow_run.requested of the real run
  return { h, server, issueNumber: (comment.payload as { issue: { number: number } }).issue.number };
}

/**
 * A run GitHub made for a fork's pull request to a workflow of this repository (`ci.yml`), the
 * pull request titled like the attempt: GitHub evaluates the run's title from the PR's title.
 */
function forkPullRequestRun(h: ServerHarness, title: string): FakeWorkflowRun {
  const state = h.fake.state;
  const now = state.timestamp();
  const run: FakeWorkflowRun = {
    id: state.id(),
    repo: FULL_NAME,
    workflowId: state.id(),
    workflowPath: ".github/workflows/ci.yml",
    workflowName: "CI",
    runNumber: 1,
    displayTitle: title,
    event: "pull_request",
    headBranch: "mallory-patch-1",
    headSha: state.commitFiles({ repo: FULL_NAME, branch: "mallory-patch-1", files: { "x.txt": "x\n" } }),
    inputs: {},
    actor: state.account("mallory"),
    checkSuiteId: state.id(),
    createdAt: now,
    runAttempt: 1,
    status: "in_progress",
    conclusion: null,
    updatedAt: now,
    runStartedAt: now,
  };
  state.workflowRuns.set(run.id, run);
  return run;
}

/** Its `workflow_run.completed` webhook: built from the fork (`head_repository`), with the attacker's link. */
function completedForkRun(h: ServerHarness, run: FakeWorkflowRun): FakeWebhook {
  const webhook = h.fake.completeRun(run.id, { conclusion: "failure" });
  h.fake.takeWebhooks();
  const payload = webhook.payload as { workflow_run: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- a payload edited as GitHub would send it
  const fork = payload.workflow_run.head_repository;
  payload.workflow_run.head_repository = {
    ...fork,
    full_name: "mallory/widgets",
    owner: { ...fork.owner, login: "mallory" },
  };
  payload.workflow_run.html_url = "https://evil.example/run";
  return webhook;
}

/** A recorded `workflow_job.completed` for a job of `runId` named `name`. */
function completedJob(h: ServerHarness, runId: number, name: string, workflowName = "CI"): FakeWebhook {
  const repo = h.fake.state.requireRepo(FULL_NAME);
  const payload = forRepository(
    examplePayload("workflow_job", "completed", (p) => p.workflow_job.conclusion === "failure"),
    {
      owner: OWNER,
      repo: REPO,
      installationId: repo.installationId,
      repositoryId: repo.id,
    },
  );
  payload.workflow_job.run_id = runId;
  payload.workflow_job.name = name;
  payload.workflow_job.workflow_name = workflowName;
  return { id: `job-${runId}-${name.length}`, name: "workflow_job", payload };
}

/** `task#attempt` of the task workflow's runs (the fork's run is of another workflow). */
function taskRuns(h: ServerHarness): string[] {
  return h
    .runs()
    .filter((run) => run.workflowPath === ".github/workflows/orchestrator-task.yml")
    .map((run) => {
      const request = h.requestOf(run);
      return `${request.taskId}#${request.attempt}`;
    });
}

function taskChecks(h: ServerHarness, name: string) {
  return [...h.fake.state.checkRuns.values()].filter((check) => check.name === name);
}

function statusComment(h: ServerHarness, issueNumber: number): string {
  const ours = [...h.fake.state.comments.values()].filter((c) => c.issueNumber === issueNumber && c.viaAppId);
  expect(ours).toHaveLength(1);
  return ours[0]?.body ?? "";
}

describe("runs that only look like task attempts", () => {
  it("a fork's pull request titled like the attempt changes nothing; the real run's success still counts", async () => {
    const { h, server, issueNumber } = await startedSession();
    const real = h.openRuns()[0] as FakeWorkflowRun;
    const forged = forkPullRequestRun(h, `${real.displayTitle}`);

    expect(await h.deliver(server, completedForkRun(h, forged))).toBe(200);
    expect(await h.deliver(server, completedJob(h, forged.id, real.displayTitle))).toBe(200);
    expect(await h.deliver(server, completedJob(h, forged.id, "build", "Orchestrator task"))).toBe(200);

    // Nothing failed, nothing skipped, no check run for api, nothing more dispatched.
    expect(h.summary()).toMatchObject({ status: "in_progress", title: "Running: 0/2 succeeded, 1 running" });
    expect(taskChecks(h, "Orchestrator: api")).toEqual([]);
    expect(taskChecks(h, "Orchestrator: web")).toEqual([]);
    expect(taskRuns(h)).toEqual(["api#1"]);

    await h.finish(real, "success");
    await h.deliverAll(server);
    expect(taskRuns(h)).toEqual(["api#1", "web#1"]);
    expect(taskChecks(h, "Orchestrator: api").map((check) => check.conclusion)).toEqual(["success"]);
    const comment = statusComment(h, issueNumber);
    expect(comment).not.toContain("evil.example");
    expect(comment).toMatch(
      /\[✅ succeeded\]\(http:\/\/127\.0\.0\.1:\d+\/acme\/widgets\/actions\/runs\/\d+\)/,
    );
  });

  it("a second dispatch of the task workflow claiming the attempt (an agent with the workflow's token) is not believed", async () => {
    const { h, server } = await startedSession();
    const real = h.openRuns()[0] as FakeWorkflowRun;
    // The same workflow, dispatched with the same inputs: same title, event and repository.
    const agent = new Octokit({ baseUrl: h.fake.url, auth: h.fake.installationToken(FULL_NAME) });
    const { data: forged } = await agent.request(
      "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
      {
        owner: OWNER,
        repo: REPO,
        workflow_id: "orchestrator-task.yml",
        ref: "main",
        inputs: real.inputs as Record<string, string>,
        return_run_details: true,
      },
    );
    const forgedId = (forged as { workflow_run_id: number }).workflow_run_id;
    expect(h.fake.state.workflowRuns.get(forgedId)?.displayTitle).toBe(real.displayTitle);
    h.fake.takeWebhooks();
    h.fake.startRun(forgedId);
    h.fake.completeRun(forgedId, { conclusion: "failure", failureMessage: FORGED });
    await h.deliverAll(server);

    expect(h.summary()).toMatchObject({ status: "in_progress", title: "Running: 0/2 succeeded, 1 running" });
    expect(taskChecks(h, "Orchestrator: api")).toEqual([]);

    await h.finish(real, "success");
    await h.deliverAll(server);
    expect(h.dispatched()).toEqual(["api#1", "api#1", "web#1"]);
    expect(taskChecks(h, "Orchestrator: api").map((check) => check.conclusion)).toEqual(["success"]);
  });

  it("a failure message with links, images, mentions and HTML is shown inert in the comment and the check run", async () => {
    const { h, server, issueNumber } = await startedSession();
    const real = h.openRuns()[0] as FakeWorkflowRun;
    // The agent's own run fails with the attacker's text as its failure annotation (no PR).
    h.fake.startRun(real.id);
    h.fake.completeRun(real.id, { conclusion: "failure", failureMessage: FORGED });
    await h.deliverAll(server);

    const [check] = taskChecks(h, "Orchestrator: api");
    expect(check?.conclusion).toBe("failure");
    const summary = check?.output.summary ?? "";
    expect(summary).toContain("@mallory"); // shown, as text
    const comment = statusComment(h, issueNumber);
    expect(comment).toContain("@mallory");
    for (const markdown of [summary, comment]) {
      const live = liveMarkdown(markdown);
      for (const forged of ["evil.example", "@mallory", "<img", "#1"]) expect(live).not.toContain(forged);
    }
    expect(check?.output.title).not.toMatch(/\n/);
  });
});
