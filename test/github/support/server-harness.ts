/**
 * The App's real HTTP server on 127.0.0.1 against the fake GitHub: Probot authenticates with a
 * real key (signed JWT → installation token), webhooks arrive signed over HTTP, and the fake
 * plays GitHub Actions and the task Action (runs complete, PRs carry the result block).
 */
import { formatPlanResult, PLAN_RESULT_FILE, type PlanResult } from "../../../src/core/plan-result.js";
import { createHmac } from "node:crypto";
import { Octokit } from "@octokit/rest";
import type { ProbotOctokit } from "probot";
import {
  decodeDispatchInputs,
  type DispatchInputs,
  type TaskRunRequest,
} from "../../../src/core/dispatch-inputs.js";
import { renderResultBlock } from "../../../src/core/task-result-block.js";
import { loadServerConfig, type ServerConfig } from "../../../src/github/config.js";
import { startServer, type OrchestratorServer } from "../../../src/github/server.js";
import type { AppConfig } from "../../../src/github/sessions/index.js";
import {
  startFakeGitHub,
  type FakeGitHub,
  type FakeGitHubOptions,
  type FakeWebhook,
} from "../../support/fake-github/start-fake-github.js";
import type { FakeWorkflowRun } from "../../support/fake-github/state.js";
import { TASK_WORKFLOW } from "../../support/simulated-session.js";
import { QuietOctokit, testPrivateKey } from "./test-probot.js";
import { examplePayload, forRepository } from "./webhook-examples.js";

export const OWNER = "acme";
export const REPO = "widgets";
export const FULL_NAME = `${OWNER}/${REPO}`;
export const SECRET = "webhook-secret-for-tests";
/** The harness's own requests (the simulated Action) carry this user agent; the App's do not. */
export const HARNESS_USER_AGENT = "orchestrator-test-harness";
export const API_TOKEN = "api-token-for-the-server-tests-0123456789";

export function signature(body: string, secret = SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export class ServerHarness {
  readonly servers: OrchestratorServer[] = [];
  private readonly quietAction: Octokit;

  private constructor(readonly fake: FakeGitHub) {
    this.quietAction = new Octokit({ baseUrl: fake.url, userAgent: HARNESS_USER_AGENT });
    this.quietAction.hook.before("request", (options) => {
      options.headers = { ...options.headers, authorization: `token ${fake.installationToken(FULL_NAME)}` };
    });
  }

  static async create(args: {
    tasks: object;
    files?: Record<string, string>;
    /** Options of the fake (e.g. a GitHub Enterprise Server `flavor`). */
    fake?: FakeGitHubOptions;
  }): Promise<ServerHarness> {
    const fake = await startFakeGitHub(args.fake);
    fake.state.addRepo({
      fullName: FULL_NAME,
      files: {
        ".github/workflows/orchestrator-task.yml": TASK_WORKFLOW,
        "tasks/tasks.json": `${JSON.stringify(args.tasks, null, 2)}\n`,
        ...args.files,
      },
    });
    return new ServerHarness(fake);
  }

  /** A repository with exactly `files` on its default branch (none: a bare repository). */
  static async withFiles(files: Record<string, string>): Promise<ServerHarness> {
    const fake = await startFakeGitHub();
    fake.state.addRepo({ fullName: FULL_NAME, files });
    return new ServerHarness(fake);
  }

  /** The environment a server for this fake runs with. */
  configEnv(env: Record<string, string> = {}): Record<string, string> {
    return {
      APP_ID: String(this.fake.state.app.id),
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: this.fake.origin.replace("http://", ""),
      GHE_PROTOCOL: "http",
      PORT: "0",
      HOST: "127.0.0.1",
      ORCHESTRATOR_AUTH_TOKEN: API_TOKEN,
      ORCHESTRATOR_DEFAULT_REPO: FULL_NAME,
      ORCHESTRATOR_SWEEP_MINUTES: "0",
      ORCHESTRATOR_SWEEP_REPOS: FULL_NAME,
      ORCHESTRATOR_STATUS_COMMENT_SECONDS: "0",
      LOG_LEVEL: "silent",
      ...env,
    };
  }

  /** The server's settings as the environment gives them (through the real config loader). */
  config(env: Record<string, string> = {}): ServerConfig {
    return loadServerConfig({
      env: this.configEnv(env),
      readFile: () => {
        throw new Error("no files in tests");
      },
    });
  }

  async startServer(
    options: {
      env?: Record<string, string>;
      Octokit?: typeof ProbotOctokit | undefined;
      appConfig?: Partial<AppConfig>;
    } = {},
  ): Promise<OrchestratorServer> {
    const server = await startServer({
      config: this.config(options.env),
      // `Octokit: undefined` asks for Probot's own (retries and throttling on).
      ...("Octokit" in options
        ? options.Octokit === undefined
          ? {}
          : { Octokit: options.Octokit }
        : { Octokit: QuietOctokit }),
      appConfig: {
        sleep: async () => {},
        runLookup: { attempts: 2, delayMs: 0 },
        // A job event reads its run at once (tests see its effect when the delivery is done).
        jobEventGraceMs: 0,
        ...options.appConfig,
      },
      sweepAtStart: false,
    });
    this.servers.push(server);
    return server;
  }

  async close(): Promise<void> {
    for (const server of this.servers) await server.close({ graceMs: 2_000 });
    await this.fake.close();
  }

  /**
   * POSTs a webhook the way GitHub does (signed with the secret); returns the HTTP status once
   * the server is done with it (it answers first and works after).
   */
  async deliver(
    server: OrchestratorServer,
    webhook: { id: string; name: string; payload: object },
    secret = SECRET,
  ): Promise<number> {
    const status = await this.post(server, webhook, secret);
    await server.idle();
    return status;
  }

  /** POSTs a webhook and returns its HTTP status as soon as the server answers. */
  async post(
    server: OrchestratorServer,
    webhook: { id: string; name: string; payload: object },
    secret = SECRET,
  ): Promise<number> {
    const body = JSON.stringify(webhook.payload);
    const response = await fetch(`${server.url}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": webhook.name,
        "x-github-delivery": webhook.id,
        "x-hub-signature-256": signature(body, secret),
        "user-agent": "GitHub-Hookshot/test",
      },
      body,
    });
    await response.text();
    return response.status;
  }

  /** Delivers every webhook the fake has produced since the last call, in order. */
  async deliverAll(servers: OrchestratorServer | OrchestratorServer[]): Promise<FakeWebhook[]> {
    const targets = Array.isArray(servers) ? servers : [servers];
    const webhooks = this.fake.takeWebhooks();
    for (const webhook of webhooks) {
      const statuses = await Promise.all(targets.map((server) => this.deliver(server, webhook)));
      for (const status of statuses) {
        if (status !== 200) throw new Error(`${webhook.name} ${webhook.id} answered ${status}`);
      }
    }
    return webhooks;
  }

  /** A human's comment on an issue, as the `issue_comment.created` webhook GitHub would send. */
  comment(args: { body: string; login?: string; issueNumber?: number }): {
    id: string;
    name: string;
    payload: object;
  } {
    const state = this.fake.state;
    const repo = state.requireRepo(FULL_NAME);
    const issueNumber =
      args.issueNumber ?? state.addIssue({ repo: FULL_NAME, title: "Build the widgets" }).number;
    const login = args.login ?? "octocat";
    const user = state.account(login);
    const id = state.id();
    state.comments.set(id, {
      id,
      repo: FULL_NAME,
      issueNumber,
      user,
      createdAt: state.timestamp(),
      viaAppId: undefined,
      body: args.body,
      updatedAt: state.timestamp(),
    });
    const payload = forRepository(examplePayload("issue_comment", "created"), {
      owner: OWNER,
      repo: REPO,
      installationId: repo.installationId,
      repositoryId: repo.id,
    });
    payload.issue.number = issueNumber;
    payload.comment.id = id;
    payload.comment.body = args.body;
    payload.comment.user = { ...payload.comment.user, login, type: "User" };
    payload.sender = { ...payload.sender, login, type: "User" };
    return { id: `comment-${id}`, name: "issue_comment", payload };
  }

  /** A recorded webhook payload of `name`/`action` moved to this fake's repository and installation. */
  recorded(name: Parameters<typeof examplePayload>[0], action: string) {
    const repo = this.fake.state.requireRepo(FULL_NAME);
    return forRepository(examplePayload(name, action), {
      owner: OWNER,
      repo: REPO,
      installationId: repo.installationId,
      repositoryId: repo.id,
    });
  }

  /** `workflow_job.completed` of the run's one job, named like the run as the task workflow names it. */
  jobCompleted(run: FakeWorkflowRun): FakeWebhook {
    const payload = this.recorded("workflow_job", "completed");
    payload.workflow_job = {
      ...payload.workflow_job,
      run_id: run.id,
      name: run.displayTitle,
      workflow_name: "Orchestrator task",
      status: "completed",
      conclusion: "success",
    };
    return { id: `job-${run.id}`, name: "workflow_job", payload };
  }

  runs(): FakeWorkflowRun[] {
    return [...this.fake.state.workflowRuns.values()].sort((a, b) => a.id - b.id);
  }

  requestOf(run: FakeWorkflowRun): TaskRunRequest {
    return decodeDispatchInputs(run.inputs as DispatchInputs);
  }

  openRuns(): FakeWorkflowRun[] {
    return this.runs().filter((run) => run.status !== "completed");
  }

  /** `task#attempt` of every dispatched run, in order. */
  dispatched(): string[] {
    return this.runs().map((run) => {
      const request = this.requestOf(run);
      return `${request.taskId}#${request.attempt}`;
    });
  }

  /**
   * Plays the task Action (a commit, the PR with its result block; a failed agent leaves a draft
   * PR saying why) and completes the run.
   */
  async finish(
    run: FakeWorkflowRun,
    conclusion: "success" | "failure" = "success",
    /** Called when the job is done but the run not yet completed (where GitHub sends `workflow_job.completed`). */
    jobDone?: () => Promise<void>,
  ): Promise<void> {
    const request = this.requestOf(run);
    const succeeded = conclusion === "success";
    this.fake.state.commitFiles({
      repo: FULL_NAME,
      branch: request.branch,
      files: { [`work/${request.taskId}.txt`]: `${run.id}\n` },
    });
    const result = renderResultBlock({
      version: 1,
      session_id: request.sessionId,
      task_id: request.taskId,
      attempt: request.attempt,
      conclusion,
      ...(succeeded ? {} : { failure_kind: "agent_error" as const, message: "the tests failed" }),
      branch: request.branch,
      cost_usd: 0.25,
      turns: 3,
      duration_ms: 60_000,
      run_id: run.id,
    });
    const body = `Work of ${request.taskId}.\n\n${result}\n`;
    const { data: open } = await this.quietAction.request("GET /repos/{owner}/{repo}/pulls", {
      owner: OWNER,
      repo: REPO,
      head: `${OWNER}:${request.branch}`,
      state: "open",
    });
    if (open[0]) {
      await this.quietAction.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
        owner: OWNER,
        repo: REPO,
        pull_number: open[0].number,
        body,
      });
    } else {
      await this.quietAction.request("POST /repos/{owner}/{repo}/pulls", {
        owner: OWNER,
        repo: REPO,
        head: request.branch,
        base: request.prBase,
        title: `Task ${request.taskId}`,
        body,
        draft: !succeeded,
      });
    }
    if (run.status === "queued") this.fake.startRun(run.id);
    await jobDone?.();
    this.fake.completeRun(run.id, { conclusion });
  }

  /**
   * Plays the Action's planner mode: its proposal pushed as `orchestrator-plan.json` to the
   * planner's branch (naming this run unless `result` says otherwise), then completes the run.
   */
  finishPlan(run: FakeWorkflowRun, proposal: unknown, result: Partial<PlanResult> = {}): void {
    const request = this.requestOf(run);
    const file: PlanResult = {
      version: 1,
      session_id: request.sessionId,
      task_id: request.taskId,
      attempt: request.attempt,
      run_id: run.id,
      cost_usd: 0.4,
      turns: 5,
      duration_ms: 30_000,
      proposal,
      ...result,
    };
    this.fake.state.commitFiles({
      repo: FULL_NAME,
      branch: request.branch,
      files: { [PLAN_RESULT_FILE]: formatPlanResult(file) },
    });
    if (run.status === "queued") this.fake.startRun(run.id);
    this.fake.completeRun(run.id, { conclusion: "success" });
  }

  summary(): { status: string; conclusion: string | null; title: string | null } {
    const summary = [...this.fake.state.checkRuns.values()].find((check) => check.name === "Orchestrator");
    if (!summary) throw new Error("no summary check run");
    return { status: summary.status, conclusion: summary.conclusion, title: summary.output.title };
  }

  violations(): string[] {
    return this.fake.violations.map((v) => `${v.kind} ${v.method} ${v.path}: ${v.messages.join("; ")}`);
  }
}

/** Polls until `check` holds (for work that continues after a webhook was answered). */
// A safety net only: every wait is for a request, a webhook or a state (20 s was tight at load 40).
export async function waitFor(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
