/**
 * Whole sessions of the GitHub App against the fake GitHub: a harness that plays GitHub Actions
 * and the task Action around the App's use-cases, and `runSimulatedSession`, which runs an
 * N-task session to the end and returns the App's API request counts (the benchmark reuses it).
 *
 * The App gets its own Octokit whose requests are counted; what the simulated Action does
 * (commit, open the PR with its result block) goes through another client and is not counted.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Octokit } from "@octokit/rest";
import type { ProbotOctokit } from "probot";
import {
  decodeDispatchInputs,
  type DispatchInputs,
  type TaskRunRequest,
} from "../../src/core/dispatch-inputs.js";
import { renderResultBlock, type TaskResult } from "../../src/core/task-result-block.js";
import type { TasksFile } from "../../src/core/tasks-schema.js";
import {
  createAppConfig,
  createSessionRuntime,
  startSession,
  wakeSession,
  type AppConfig,
  type SessionRuntime,
  type SessionStatus,
  type SessionTrigger,
  type StartSessionOptions,
  type StartSessionResult,
  type WorkflowRunLike,
} from "../../src/github/sessions/index.js";
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from "./fake-github/start-fake-github.js";
import type { FakeWorkflowRun } from "./fake-github/state.js";

export const OWNER = "acme";
export const REPO = "widgets";
export const FULL_NAME = `${OWNER}/${REPO}`;
export const WORKFLOW_FILE = "orchestrator-task.yml";

/** The real task workflow of this repository: dispatch inputs are checked against its declaration. */
export const TASK_WORKFLOW = readFileSync(
  fileURLToPath(new URL("../../.github/workflows/orchestrator-task.yml", import.meta.url)),
  "utf8",
);

const quietLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** A settable clock shared by the fake and the App, so run durations and throttles are realistic. */
export class VirtualClock {
  private ms: number;
  constructor(start = Date.parse("2026-01-05T09:00:00Z")) {
    this.ms = start;
  }
  now = (): Date => new Date(this.ms);
  advance(minutes: number): void {
    this.ms += Math.round(minutes * 60_000);
  }
}

export interface RequestTally {
  reads: number;
  writes: number;
  /** `METHOD route` → count, e.g. `POST /repos/{owner}/{repo}/git/refs`. */
  byRoute: Record<string, number>;
}

export function emptyTally(): RequestTally {
  return { reads: 0, writes: 0, byRoute: {} };
}

/**
 * An Octokit for the App: a fresh installation token per request (the clock moves), every request
 * counted. `OctokitClass`: the App's own (Probot's with its retry policy) instead of a bare one.
 */
export function appClient(
  fake: FakeGitHub,
  tally: RequestTally,
  OctokitClass?: typeof ProbotOctokit,
): Octokit {
  const octokit = OctokitClass
    ? (new OctokitClass({
        baseUrl: fake.url,
        log: quietLog,
        authStrategy: () =>
          Object.assign(async () => ({ type: "unauthenticated" }), {
            hook: (request: Octokit["request"], route: string, parameters?: Record<string, unknown>) =>
              request(route, parameters),
          }),
      }) as unknown as Octokit)
    : new Octokit({ baseUrl: fake.url, log: quietLog });
  octokit.hook.wrap("request", async (request, options) => {
    options.headers = { ...options.headers, authorization: `token ${fake.installationToken(FULL_NAME)}` };
    const method = String(options.method).toUpperCase();
    if (method === "GET") tally.reads++;
    else tally.writes++;
    const route = `${method} ${String(options.url)}`;
    tally.byRoute[route] = (tally.byRoute[route] ?? 0) + 1;
    return request(options);
  });
  return octokit;
}

export interface TaskOutcome {
  conclusion?: "success" | "failure" | "timed_out" | "cancelled";
  costUsd?: number;
  /** For failures: the message the Action puts in the PR's result block (none: no PR at all). */
  message?: string;
  /** Open (or update) the PR with the result block, as the Action does. Default true. */
  openPr?: boolean;
  /** For failures: the failed job's annotation (the Action's `core.setFailed` message). */
  failureMessage?: string;
}

export class SessionHarness {
  readonly tally = emptyTally();
  readonly client: Octokit;
  readonly actionClient: Octokit;
  runtime: SessionRuntime = createSessionRuntime();
  readonly config: AppConfig;
  sessionId = "";

  private constructor(
    readonly fake: FakeGitHub,
    readonly clock: VirtualClock,
    config: Partial<AppConfig>,
    OctokitClass?: typeof ProbotOctokit,
  ) {
    this.client = appClient(fake, this.tally, OctokitClass);
    this.actionClient = new Octokit({ baseUrl: fake.url, log: quietLog });
    this.actionClient.hook.before("request", (options) => {
      options.headers = { ...options.headers, authorization: `token ${fake.installationToken(FULL_NAME)}` };
    });
    this.config = createAppConfig({
      workflowFile: WORKFLOW_FILE,
      now: clock.now,
      sleep: async () => {},
      runLookup: { attempts: 2, delayMs: 0 },
      ...config,
    });
  }

  static async create(args: {
    tasks?: TasksFile | string;
    tasksPath?: string;
    files?: Record<string, string>;
    fake?: FakeGitHubOptions;
    config?: Partial<AppConfig>;
    /** The App's Octokit class (default: a bare Octokit, no retries). */
    Octokit?: typeof ProbotOctokit;
  }): Promise<SessionHarness> {
    const clock = new VirtualClock();
    const fake = await startFakeGitHub({ now: clock.now, ...args.fake });
    const files: Record<string, string> = {
      [`.github/workflows/${WORKFLOW_FILE}`]: TASK_WORKFLOW,
      ...args.files,
    };
    if (args.tasks !== undefined) {
      files[args.tasksPath ?? "tasks/tasks.json"] =
        typeof args.tasks === "string" ? args.tasks : `${JSON.stringify(args.tasks, null, 2)}\n`;
    }
    fake.state.addRepo({ fullName: FULL_NAME, files });
    return new SessionHarness(fake, clock, args.config ?? {}, args.Octokit);
  }

  async close(): Promise<void> {
    await this.fake.close();
  }

  /** "Restart" the App: every cache and queue is gone; only GitHub remembers. */
  restart(): void {
    this.runtime = createSessionRuntime();
  }

  async start(
    options: StartSessionOptions = {},
    trigger: SessionTrigger = { kind: "api", actor: "octocat" },
  ): Promise<StartSessionResult> {
    const result = await startSession({
      client: this.client,
      repo: { owner: OWNER, repo: REPO },
      options,
      trigger,
      config: this.config,
      runtime: this.runtime,
    });
    if (result.sessionId) this.sessionId = result.sessionId;
    return result;
  }

  async wake(run?: WorkflowRunLike, runtime = this.runtime): Promise<SessionStatus | null> {
    const woken = await wakeSession({
      client: this.client,
      sessionId: this.sessionId,
      ...(run ? { run } : {}),
      config: this.config,
      runtime,
    });
    return woken?.status ?? null;
  }

  /** Runs dispatched by the App (the fake's state), oldest first. */
  runs(): FakeWorkflowRun[] {
    return [...this.fake.state.workflowRuns.values()].sort((a, b) => a.id - b.id);
  }

  /** Runs not yet completed, with their decoded dispatch inputs. */
  openRuns(): Array<{ run: FakeWorkflowRun; request: TaskRunRequest }> {
    return this.runs()
      .filter((run) => run.status !== "completed")
      .map((run) => ({ run, request: this.requestOf(run) }));
  }

  requestOf(run: FakeWorkflowRun): TaskRunRequest {
    return decodeDispatchInputs(run.inputs as DispatchInputs);
  }

  runFor(taskId: string, attempt = 1): FakeWorkflowRun {
    const run = this.runs().find((item) => {
      const request = this.requestOf(item);
      return request.taskId === taskId && request.attempt === attempt;
    });
    if (!run) throw new Error(`no run was dispatched for ${taskId} attempt ${attempt}`);
    return run;
  }

  dispatchCount(taskId?: string, attempt?: number): number {
    return this.runs().filter((run) => {
      const request = this.requestOf(run);
      return (
        (taskId === undefined || request.taskId === taskId) &&
        (attempt === undefined || request.attempt === attempt)
      );
    }).length;
  }

  /**
   * Plays the Action for a run (commit on the task branch, PR with the result block) and GitHub
   * completing it. Returns the `workflow_run.completed` payload's run, to deliver (or not).
   */
  async finish(run: FakeWorkflowRun, outcome: TaskOutcome = {}): Promise<WorkflowRunLike> {
    const request = this.requestOf(run);
    const conclusion = outcome.conclusion ?? "success";
    const succeeded = conclusion === "success";
    if (outcome.openPr !== false && (succeeded || outcome.message !== undefined)) {
      await this.openPullRequest(request, {
        version: 1,
        session_id: request.sessionId,
        task_id: request.taskId,
        attempt: request.attempt,
        conclusion: succeeded ? "success" : "failure",
        ...(outcome.message !== undefined && !succeeded
          ? { failure_kind: "agent_error", message: outcome.message }
          : {}),
        branch: request.branch,
        cost_usd: outcome.costUsd ?? 0.25,
        turns: 3,
        duration_ms: 120_000,
        run_id: run.id,
      });
    }
    if (run.status === "queued") this.fake.startRun(run.id);
    const webhook = this.fake.completeRun(run.id, {
      conclusion,
      ...(outcome.failureMessage === undefined ? {} : { failureMessage: outcome.failureMessage }),
    });
    return (webhook.payload as { workflow_run: WorkflowRunLike }).workflow_run;
  }

  private async openPullRequest(request: TaskRunRequest, result: TaskResult): Promise<void> {
    this.fake.state.commitFiles({
      repo: FULL_NAME,
      branch: request.branch,
      files: { [`work/${request.taskId}.txt`]: `attempt ${request.attempt}\n` },
    });
    const body = `Work of task ${request.taskId}.\n\n${renderResultBlock(result)}\n`;
    const { data: open } = await this.actionClient.request("GET /repos/{owner}/{repo}/pulls", {
      owner: OWNER,
      repo: REPO,
      head: `${OWNER}:${request.branch}`,
      state: "open",
    });
    const existing = open[0];
    if (existing) {
      await this.actionClient.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
        owner: OWNER,
        repo: REPO,
        pull_number: existing.number,
        body,
      });
      return;
    }
    await this.actionClient.request("POST /repos/{owner}/{repo}/pulls", {
      owner: OWNER,
      repo: REPO,
      head: request.branch,
      base: request.prBase,
      title: `Task ${request.taskId}`,
      body,
      draft: result.conclusion === "failure",
    });
  }

  /** Check runs on the session's commit, by name (latest last). */
  checkRuns(name?: string): Array<{
    id: number;
    name: string;
    conclusion: string | null;
    externalId: string;
    title: string | null;
    summary: string | null;
    detailsUrl: string | null;
    actions: string[];
  }> {
    return [...this.fake.state.checkRuns.values()]
      .filter((check) => name === undefined || check.name === name)
      .sort((a, b) => a.id - b.id)
      .map((check) => ({
        id: check.id,
        name: check.name,
        conclusion: check.conclusion,
        externalId: check.externalId,
        title: check.output.title,
        summary: check.output.summary,
        detailsUrl: check.detailsUrl,
        actions: check.actions.map((action) => action.identifier),
      }));
  }

  /** Contract violations the fake saw (requests GitHub would reject, unimplemented routes, ...). */
  violations(): string[] {
    return this.fake.violations.map((v) => `${v.kind} ${v.method} ${v.path}: ${v.messages.join("; ")}`);
  }
}

export interface SimulatedSessionResult {
  tasks: number;
  requests: RequestTally;
  perTask: { reads: number; writes: number };
  status: SessionStatus;
  dispatches: number;
  violations: string[];
  /** Virtual minutes from start to end. */
  makespanMinutes: number;
}

/** A layered DAG: `width` tasks per layer, each depending on one or two tasks of the layer above. */
export function layeredTasks(count: number, width = 5): TasksFile {
  const tasks: TasksFile["tasks"] = [];
  for (let i = 0; i < count; i++) {
    const layer = Math.floor(i / width);
    const dependencies: string[] = [];
    if (layer > 0) {
      const above = (layer - 1) * width;
      dependencies.push(`t${above + (i % width)}`);
      if (i % 3 === 0) dependencies.push(`t${above + ((i + 1) % width)}`);
    }
    tasks.push({
      id: `t${i}`,
      prompt: `Do part ${i} of the work.`,
      dependencies,
      estimate_minutes: 5 + (i % 4),
    });
  }
  return { tasks };
}

/**
 * Runs an N-task session to its end through the App's use-cases: every run takes its task's
 * `estimate_minutes` of virtual time and succeeds; each completion is delivered as a webhook.
 */
export async function runSimulatedSession(
  args: { tasks?: number; parallel?: number; tasksFile?: TasksFile; config?: Partial<AppConfig> } = {},
): Promise<SimulatedSessionResult> {
  const file = args.tasksFile ?? layeredTasks(args.tasks ?? 50);
  const harness = await SessionHarness.create({
    tasks: file,
    ...(args.config ? { config: args.config } : {}),
  });
  try {
    const issue = harness.fake.state.addIssue({ repo: FULL_NAME, title: "Run the tasks" });
    const started = await harness.start(
      { parallel: args.parallel ?? 5 },
      { kind: "comment", actor: "octocat", issueNumber: issue.number, commentId: 1 },
    );
    if (!started.ok) throw new Error(`the session did not start: ${started.error.message}`);
    const estimates = new Map(file.tasks.map((task) => [task.id, task.estimate_minutes ?? 1]));
    const startClock = harness.clock.now().getTime();
    const ends = new Map<number, number>();
    let status: SessionStatus | null = started.status;
    for (let guard = 0; guard < file.tasks.length * 4 && status?.state === "running"; guard++) {
      const open = harness.openRuns();
      if (open.length === 0)
        throw new Error(
          `the session is running but no run is open: ${JSON.stringify(status.tasks.filter((t) => t.status !== "pending" && t.status !== "succeeded"))}`,
        );
      for (const { run, request } of open) {
        if (!ends.has(run.id))
          ends.set(run.id, harness.clock.now().getTime() + (estimates.get(request.taskId) ?? 1) * 60_000);
      }
      const next = open.reduce((a, b) => ((ends.get(a.run.id) ?? 0) <= (ends.get(b.run.id) ?? 0) ? a : b));
      const wait = (ends.get(next.run.id) ?? 0) - harness.clock.now().getTime();
      if (wait > 0) harness.clock.advance(wait / 60_000);
      const completed = await harness.finish(next.run, { costUsd: 0.1 });
      status = await harness.wake(completed);
    }
    if (!status || status.state !== "completed") throw new Error("the simulated session did not end");
    const tasks = file.tasks.length;
    return {
      tasks,
      requests: harness.tally,
      perTask: { reads: harness.tally.reads / tasks, writes: harness.tally.writes / tasks },
      status,
      dispatches: harness.dispatchCount(),
      violations: harness.violations(),
      makespanMinutes: (harness.clock.now().getTime() - startClock) / 60_000,
    };
  } finally {
    await harness.close();
  }
}
