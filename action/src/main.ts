import { join } from "node:path";
import {
  DispatchInputError,
  decodeDispatchInputs,
  type DispatchInputs,
  type TaskRunRequest,
} from "../../src/core/dispatch-inputs.js";
import type { TaskResult } from "../../src/core/task-result-block.js";
import type { AgentResult } from "../../src/runner/agent-result.js";
import { runClaudeAgent } from "../../src/runner/claude-agent.js";
import { commitTaskWork, type CommittedTaskWork } from "../../src/runner/commit-task-work.js";
import { prepareTaskBranch, type PreparedTaskBranch } from "../../src/runner/prepare-task-branch.js";
import { isTaskFailure } from "../../src/runner/task-failure.js";
import { ActionFailure } from "./action-failure.js";
import { agentEnvironment, agentTimeoutMs } from "./agent-environment.js";
import type { GitHubClient, Repository } from "./github-client.js";
import { installClaude, type NpmInstaller } from "./install-claude.js";
import { pullRequestTitle, renderPullRequestBody } from "./pull-request-body.js";
import { findDependencyPullRequests, findOpenPullRequest, upsertPullRequest } from "./pull-request.js";
import { pushWork } from "./push-work.js";
import { readTask, type TaskToRun } from "./read-task.js";

export const REMOTE = "origin";

export interface ActionLog {
  info(message: string): void;
  warning(message: string): void;
}

export interface MainOptions {
  /** The workflow inputs, as dispatched (see `DISPATCH_INPUT_NAMES`). */
  inputs: DispatchInputs;
  /** The checkout (`GITHUB_WORKSPACE`), with `origin` set up by actions/checkout. */
  workspace: string;
  repository: Repository;
  github: GitHubClient;
  graphqlUrl: string;
  author: { name: string; email: string };
  claudeCodeVersion: string;
  toolCacheDir: string;
  /** `RUNNER_TEMP`: the agent's log goes here, outside the checkout. */
  tempDir: string;
  /** The environment the agent inherits; also where `claude` is looked for (PATH). */
  env: NodeJS.ProcessEnv;
  runId?: number;
  runUrl?: string;
  /** When the job started (ms since epoch): the agent's time is what is left of the task's. */
  startedAt: number;
  npm?: NpmInstaller;
  log: ActionLog;
}

export interface Failure {
  kind: string;
  message: string;
}

export interface ActionOutcome {
  conclusion: "success" | "failure";
  failure?: Failure;
  request?: TaskRunRequest;
  task?: TaskToRun;
  /** The machine-readable result; absent only when the inputs were unusable. */
  result?: TaskResult;
  pullRequest?: { number: number; url: string; created: boolean };
  changedFiles: string[];
  agent?: AgentResult;
  agentLog?: string;
}

/** Everything learned so far; a failure at any step still reports what the steps before found. */
interface Progress {
  request?: TaskRunRequest;
  task?: TaskToRun;
  prepared?: PreparedTaskBranch;
  agent?: AgentResult;
  agentLog?: string;
  work?: CommittedTaskWork;
  pushed: boolean;
  pullRequest?: { number: number; url: string; created: boolean };
  failure?: Failure;
}

/** Runs one task: the whole life of one workflow run of the task workflow. */
export async function main(options: MainOptions): Promise<ActionOutcome> {
  const progress: Progress = { pushed: false };
  try {
    // 1. What to run.
    const request = decodeInputs(options.inputs);
    progress.request = request;
    const task = await readTask({ cwd: options.workspace, request, remote: REMOTE });
    progress.task = task;

    // 2. The branch, from its base (DESIGN §3): fetched fresh from origin.
    const prepared = await prepareTaskBranch({
      cwd: options.workspace,
      branch: request.branch,
      baseBranch: request.baseBranch,
      dependencyBranches: request.dependencyBranches,
      strategy: request.baseStrategy,
      remote: REMOTE,
      author: options.author,
      taskId: request.taskId,
    });
    progress.prepared = prepared;
    options.log.info(
      `Branch ${request.branch} starts at ${prepared.startPoint} (${prepared.baseSha.slice(0, 12)}).`,
    );

    // 3. The pinned CLI.
    const claude = await installClaude({
      version: options.claudeCodeVersion,
      toolCacheDir: options.toolCacheDir,
      pathVariable: options.env.PATH,
      ...(options.npm ? { npm: options.npm } : {}),
      log: options.log.info,
    });
    options.log.info(`Claude Code ${claude.version} (${claude.source}): ${claude.path}`);

    // 4. The agent.
    progress.agentLog = join(
      options.tempDir,
      "orchestrator",
      `${safeName(request.taskId)}-attempt-${request.attempt}.log`,
    );
    progress.agent = await runClaudeAgent({
      cwd: options.workspace,
      prompt: task.prompt,
      claudePath: claude.path,
      ...(request.model === undefined ? {} : { model: request.model }),
      ...(request.maxTurns === undefined ? {} : { maxTurns: request.maxTurns }),
      ...(request.maxBudgetUsd === undefined ? {} : { maxBudgetUsd: request.maxBudgetUsd }),
      ...(request.allowedTools === undefined ? {} : { allowedTools: request.allowedTools }),
      timeoutMs: agentTimeoutMs({
        timeoutMinutes: request.timeoutMinutes,
        startedAt: options.startedAt,
        now: Date.now(),
      }),
      env: agentEnvironment(options.env),
      logFile: progress.agentLog,
    });

    // 5. Commit, also after an agent failure: what it got through is pushed, not lost.
    const agentFailure = progress.agent.failure;
    progress.work = await commitTaskWork({
      cwd: options.workspace,
      task: { id: task.id, name: task.name },
      attempt: request.attempt,
      author: options.author,
      allowNoChanges: request.allowNoChanges || agentFailure !== undefined,
      baseSha: prepared.baseSha,
      branch: request.branch,
    });

    // 6. Push.
    if (progress.work.commits > 0) {
      await pushWork({
        cwd: options.workspace,
        remote: REMOTE,
        branch: request.branch,
        previousSha: prepared.previousSha,
      });
      progress.pushed = true;
    }
    if (agentFailure) throw new ActionFailure(agentFailure.kind, agentFailure.message);

    // 7. The pull request (none when an allowed no-change run has nothing to propose).
    if (progress.pushed) progress.pullRequest = await publish({ options, progress, conclusion: "success" });
  } catch (error) {
    progress.failure = toFailure(error);
    await reportFailureOnPullRequest({ options, progress });
  }
  return outcome({ options, progress });
}

function decodeInputs(inputs: DispatchInputs): TaskRunRequest {
  try {
    return decodeDispatchInputs(inputs);
  } catch (error) {
    if (error instanceof DispatchInputError)
      throw new ActionFailure("bad_input", error.message, { cause: error });
    throw error;
  }
}

/**
 * A failed run still leaves its result where the App reads it. Work that was pushed gets a draft
 * PR: the diff is where a person decides whether to retry or finish by hand, and a draft cannot
 * be merged by accident. Without pushed work, only a PR that already exists (an earlier attempt's)
 * is updated, so its result block does not keep claiming an old success.
 */
async function reportFailureOnPullRequest(args: { options: MainOptions; progress: Progress }): Promise<void> {
  const { options, progress } = args;
  const { request, task } = progress;
  if (!request || !task) return;
  try {
    if (progress.pushed) {
      progress.pullRequest = await publish({ options, progress, conclusion: "failure" });
      return;
    }
    const existing = await findOpenPullRequest({
      client: options.github,
      repository: options.repository,
      branch: request.branch,
    });
    if (!existing) return;
    const result = taskResult({ options, progress, conclusion: "failure" });
    const body = renderPullRequestBody({
      existing: existing.body,
      content: { task, result, dependencies: [], changedFiles: [], ...runUrl(options) },
    });
    await options.github.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
      ...options.repository,
      pull_number: existing.number,
      body,
    });
    progress.pullRequest = { number: existing.number, url: existing.url, created: false };
  } catch (error) {
    // The step fails with the task's own reason; the PR problem is secondary, so it is a warning.
    options.log.warning(`Could not record the failure on the pull request: ${toFailure(error).message}`);
  }
}

async function publish(args: {
  options: MainOptions;
  progress: Progress;
  conclusion: "success" | "failure";
}): Promise<{ number: number; url: string; created: boolean }> {
  const { options, progress, conclusion } = args;
  const request = progress.request as TaskRunRequest;
  const task = progress.task as TaskToRun;
  const dependencies = await findDependencyPullRequests({
    client: options.github,
    repository: options.repository,
    branches: request.dependencyBranches,
  }).catch(() => request.dependencyBranches.map((branch) => ({ branch })));
  const result = taskResult({ options, progress, conclusion });
  return upsertPullRequest({
    client: options.github,
    repository: options.repository,
    branch: request.branch,
    base: request.prBase,
    title: pullRequestTitle(task),
    draft: conclusion === "failure",
    graphqlUrl: options.graphqlUrl,
    log: options.log.info,
    renderBody: (existing) =>
      renderPullRequestBody({
        existing,
        content: {
          task,
          result,
          dependencies,
          changedFiles: progress.work?.changedFiles ?? [],
          ...(progress.agent?.summary ? { agentSummary: progress.agent.summary } : {}),
          ...runUrl(options),
        },
      }),
  });
}

function taskResult(args: {
  options: MainOptions;
  progress: Progress;
  conclusion: "success" | "failure";
}): TaskResult {
  const { options, progress, conclusion } = args;
  const request = progress.request as TaskRunRequest;
  const { agent, work, failure } = progress;
  return {
    version: 1,
    session_id: request.sessionId,
    task_id: request.taskId,
    attempt: request.attempt,
    conclusion,
    ...(conclusion === "failure" && failure ? { failure_kind: failure.kind, message: failure.message } : {}),
    branch: request.branch,
    ...(work && progress.pushed ? { commit: work.commitSha } : {}),
    ...(work ? { files_changed: work.changedFiles.length } : {}),
    ...(agent?.costUsd === undefined ? {} : { cost_usd: agent.costUsd }),
    ...(agent?.turns === undefined ? {} : { turns: agent.turns }),
    ...(agent ? { duration_ms: agent.durationMs } : {}),
    ...(options.runId === undefined ? {} : { run_id: options.runId }),
  };
}

function outcome(args: { options: MainOptions; progress: Progress }): ActionOutcome {
  const { options, progress } = args;
  const conclusion = progress.failure ? "failure" : "success";
  return {
    conclusion,
    ...(progress.failure ? { failure: progress.failure } : {}),
    ...(progress.request ? { request: progress.request } : {}),
    ...(progress.task ? { task: progress.task } : {}),
    ...(progress.request ? { result: taskResult({ options, progress, conclusion }) } : {}),
    ...(progress.pullRequest ? { pullRequest: progress.pullRequest } : {}),
    changedFiles: progress.work?.changedFiles ?? [],
    ...(progress.agent ? { agent: progress.agent } : {}),
    ...(progress.agentLog ? { agentLog: progress.agentLog } : {}),
  };
}

/** Typed failures keep their kind; anything else is a bug or an environment problem, said as is. */
function toFailure(error: unknown): Failure {
  if (error instanceof ActionFailure || isTaskFailure(error))
    return { kind: error.kind, message: error.message };
  return { kind: "internal_error", message: error instanceof Error ? error.message : String(error) };
}

function runUrl(options: MainOptions): { runUrl?: string } {
  return options.runUrl ? { runUrl: options.runUrl } : {};
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, "_");
}
