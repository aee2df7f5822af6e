import { Octokit } from "@octokit/rest";
import { retry } from "@octokit/plugin-retry";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAppConfig, createSessionRuntime } from "../../../src/github/sessions/index.js";
import { dispatchTask } from "../../../src/github/sessions/dispatch-task.js";
import { readRunResult } from "../../../src/github/sessions/read-run-result.js";
import { SessionQueue } from "../../../src/github/sessions/session-queue.js";

const API = "https://api.github.com";
const repo = { owner: "acme", repo: "widgets" };
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const key = { sessionId: "acme:widgets:77", taskId: "api", attempt: 2 };
const run = { id: 555, status: "completed", html_url: "https://github.com/acme/widgets/actions/runs/555" };

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

function client(): Octokit {
  // The plugin Probot uses: a dispatch must get through it without being retried.
  const RetryingOctokit = Octokit.plugin(retry);
  return new RetryingOctokit({ auth: "token", log: quiet, retry: { retryAfterBaseValue: 1 } });
}

describe("reading a finished run", () => {
  it("takes the failure reason from the failed job's annotation, not GitHub's exit-code note", async () => {
    const scope = nock(API)
      .get("/repos/acme/widgets/pulls")
      .query(true)
      .reply(200, [])
      .get("/repos/acme/widgets/actions/runs/555/jobs")
      .query(true)
      .reply(200, { total_count: 1, jobs: [{ id: 9, name: "task", conclusion: "failure", steps: [] }] })
      .get("/repos/acme/widgets/check-runs/9/annotations")
      .query(true)
      .reply(200, [
        { annotation_level: "failure", message: "Process completed with exit code 1." },
        { annotation_level: "failure", message: "Claude Code is not logged in: set ANTHROPIC_API_KEY" },
      ]);
    const result = await readRunResult({
      client: client(),
      repo,
      run: { ...run, conclusion: "failure" },
      key,
      branch: "orchestrator/api",
      allowNoChanges: false,
      timeoutMinutes: 30,
    });
    expect(result).toMatchObject({
      succeeded: false,
      checkConclusion: "failure",
      reason: `task: Claude Code is not logged in: set ANTHROPIC_API_KEY (${run.html_url})`,
    });
    expect(scope.isDone()).toBe(true);
  });

  it("recognises a job timeout and names the task's limit", async () => {
    nock(API)
      .get("/repos/acme/widgets/pulls")
      .query(true)
      .reply(200, [])
      .get("/repos/acme/widgets/actions/runs/555/jobs")
      .query(true)
      .reply(200, { total_count: 1, jobs: [{ id: 9, name: "task", conclusion: "failure", steps: [] }] })
      .get("/repos/acme/widgets/check-runs/9/annotations")
      .query(true)
      .reply(200, [
        {
          annotation_level: "failure",
          message: "The job running on runner X has exceeded the maximum execution time of 30 minutes.",
        },
      ]);
    const result = await readRunResult({
      client: client(),
      repo,
      run: { ...run, conclusion: "failure" },
      key,
      branch: "orchestrator/api",
      allowNoChanges: false,
      timeoutMinutes: 30,
    });
    expect(result).toMatchObject({
      checkConclusion: "timed_out",
      reason: expect.stringContaining("timeout of 30 minutes"),
    });
  });

  it("shows an attempt the Action stopped at its deadline, with a checkpoint, as timed out", async () => {
    const block = `<!-- orchestrator:result ${JSON.stringify({ version: 1, session_id: key.sessionId, task_id: "api", attempt: key.attempt, conclusion: "failure", failure_kind: "timed_out", message: "Timed out: the work so far is kept as checkpoint 0123456789ab", branch: "orchestrator/api", run_id: run.id })} -->`;
    nock(API)
      .get("/repos/acme/widgets/pulls")
      .query(true)
      .reply(200, [
        {
          number: 4,
          html_url: "https://github.com/acme/widgets/pull/4",
          head: { ref: "orchestrator/api" },
          body: `Draft.\n\n${block}`,
        },
      ]);
    const result = await readRunResult({
      client: client(),
      repo,
      run: { ...run, conclusion: "failure" },
      key,
      branch: "orchestrator/api",
      allowNoChanges: false,
      timeoutMinutes: 30,
    });
    expect(result).toMatchObject({
      checkConclusion: "timed_out",
      reason: expect.stringContaining("checkpoint 0123456789ab"),
    });
  });

  it("uses the PR result block of this very attempt (an older attempt's PR does not count)", async () => {
    const block = (attempt: number, cost: number) =>
      `<!-- orchestrator:result ${JSON.stringify({ version: 1, session_id: key.sessionId, task_id: "api", attempt, conclusion: "success", branch: "orchestrator/api", cost_usd: cost, turns: 7, run_id: run.id })} -->`;
    nock(API)
      .get("/repos/acme/widgets/pulls")
      .query({ head: "acme:orchestrator/api", state: "all", per_page: "30" })
      .reply(200, [
        {
          number: 4,
          html_url: "https://github.com/acme/widgets/pull/4",
          head: { ref: "orchestrator/api" },
          body: block(1, 9),
        },
        {
          number: 5,
          html_url: "https://github.com/acme/widgets/pull/5",
          head: { ref: "orchestrator/api" },
          body: block(2, 0.75),
        },
      ]);
    const result = await readRunResult({
      client: client(),
      repo,
      run: { ...run, conclusion: "success" },
      key,
      branch: "orchestrator/api",
      allowNoChanges: false,
      timeoutMinutes: 30,
    });
    expect(result).toMatchObject({ succeeded: true, prNumber: 5, costUsd: 0.75, turns: 7 });
  });

  it("a successful run without this attempt's result fails loudly (unless no changes are allowed)", async () => {
    nock(API).get("/repos/acme/widgets/pulls").query(true).twice().reply(200, []);
    const args = {
      client: client(),
      repo,
      run: { ...run, conclusion: "success" },
      key,
      branch: "orchestrator/api",
      timeoutMinutes: 30,
    };
    expect(await readRunResult({ ...args, allowNoChanges: false })).toMatchObject({
      succeeded: false,
      reason: expect.stringContaining(
        "no pull request from `orchestrator/api` carries this attempt's result",
      ),
    });
    expect(await readRunResult({ ...args, allowNoChanges: true })).toMatchObject({ succeeded: true });
  });
});

describe("dispatching", () => {
  const request = {
    sessionId: key.sessionId,
    taskId: "api.v2",
    attempt: 1,
    tasksRef: "abc",
    tasksFile: "tasks/tasks.json",
    branch: "orchestrator/api",
    baseBranch: "main",
    baseStrategy: "dependencies" as const,
    dependencyBranches: [],
    prBase: "main",
    allowNoChanges: false,
  };
  const config = createAppConfig({ runLookup: { attempts: 1, delayMs: 0 }, sleep: async () => {} });

  it("dispatches as its first request and never retries a 5xx dispatch, even through the retry plugin", async () => {
    let posts = 0;
    const dispatch = nock(API)
      .post("/repos/acme/widgets/actions/workflows/orchestrator-task.yml/dispatches")
      .times(3)
      .reply(() => {
        posts++;
        return [502, "<html>Bad Gateway</html>"];
      })
      .get("/repos/acme/widgets/actions/workflows/orchestrator-task.yml/runs")
      .query(true)
      .reply(200, { total_count: 0, workflow_runs: [] });
    const outcome = await dispatchTask({
      client: client(),
      repo,
      dispatchRef: "main",
      workflowFile: "orchestrator-task.yml",
      request,
      config,
      runtime: createSessionRuntime(),
    });
    expect(outcome).toMatchObject({
      kind: "uncertain",
      note: expect.stringContaining("GitHub answered 502"),
    });
    expect(posts).toBe(1);
    // The two spare interceptors stay unused: there was no retry.
    expect(nock.pendingMocks()).toHaveLength(1);
    nock.cleanAll();
    void dispatch;
  });
});

describe("the per-session queue", () => {
  it("runs work for one session one at a time, other sessions in parallel", async () => {
    const queue = new SessionQueue();
    const log: string[] = [];
    // `a` ends only once `c` (another session) has ended: if s2 waited behind s1, this would hang
    // and the test time out; if s1 ran `b` beside `a`, b:start would come before a:end.
    let releaseA!: () => void;
    const aMayEnd = new Promise<void>((resolve) => (releaseA = resolve));
    const step = (name: string, wait: Promise<void>, after?: () => void) => async () => {
      log.push(`${name}:start`);
      await wait;
      log.push(`${name}:end`);
      after?.();
    };
    await Promise.all([
      queue.run("s1", step("a", aMayEnd)),
      queue.run("s1", step("b", Promise.resolve())),
      queue.run("s2", step("c", Promise.resolve(), releaseA)),
    ]);
    expect(log.indexOf("a:end")).toBeLessThan(log.indexOf("b:start"));
    expect(log.indexOf("c:end")).toBeLessThan(log.indexOf("a:end"));
    await queue.idle();
    expect(queue.activeKeys).toEqual([]);
  });

  it("a failing job does not block the next one", async () => {
    const queue = new SessionQueue();
    await expect(queue.run("s", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(queue.run("s", async () => 42)).resolves.toBe(42);
  });
});
