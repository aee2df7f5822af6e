import { join } from "node:path";
import { attemptPrompt } from "../../src/core/attempt-prompt.js";
import {
  DispatchInputError,
  decodeDispatchInputs,
  type DispatchInputs,
  type TaskRunRequest,
} from "../../src/core/dispatch-inputs.js";
import type { TaskResult } from "../../src/core/task-result-block.js";
import type { RestackOutcome } from "../../src/runner/restack-branch.js";
import { runTask, type TaskRunResult } from "../../src/runner/run-task.js";
import { ActionFailure } from "./action-failure.js";
import { DEFAULT_TIMEOUT_MINUTES, agentDeadline } from "./agent-environment.js";
import { claudeSetup } from "./claude-setup.js";
import { remoteAccess, type RemoteAccess } from "./git-credentials.js";
import type { GitHubClient, Repository } from "./github-client.js";
import type { NpmInstaller } from "./install-claude.js";
import {
  publishPullRequest,
  recordFailureOnPullRequest,
  type PublishedPullRequest,
} from "./publish-pull-request.js";
import { runPlanner } from "./plan.js";
import { readTask, type TaskToRun } from "./read-task.js";
import { runRestack } from "./restack.js";
import { taskResult, type Failure } from "./task-result.js";

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
  /**
   * The job's token for git (fetching and pushing over http): given to the Action's own git
   * commands only, never written to the checkout or shown to the agent (see `remoteAccess`).
   * Undefined: git uses the remote as it is (a local remote in tests).
   */
  gitToken?: string | undefined;
  graphqlUrl: string;
  author: { name: string; email: string };
  claudeCodeVersion: string;
  toolCacheDir: string;
  /** `RUNNER_TEMP`: the task's log goes here, outside the checkout. */
  tempDir: string;
  /** The environment the agent inherits; also where `claude` is looked for (PATH). */
  env: NodeJS.ProcessEnv;
  runId?: number;
  runUrl?: string;
  /** When the job started (ms since epoch): the agent's time is what is left of the task's. */
  startedAt: number;
  /**
   * When the runner's worker process started (ms since epoch; see `workerStartedAt`): the job's
   * clock, which started before this action's steps. Undefined when not known.
   */
  workerStartedAt?: number | undefined;
  npm?: NpmInstaller;
  log: ActionLog;
}

export interface ActionOutcome {
  conclusion: "success" | "failure";
  failure?: Failure;
  request?: TaskRunRequest;
  task?: TaskToRun;
  /** The machine-readable result; absent only when the inputs were unusable. */
  result?: TaskResult;
  pullRequest?: PublishedPullRequest;
  changedFiles: string[];
  /** The task's pipeline (prepare, agent, commit, push), once it ran. */
  run?: TaskRunResult;
  /** The runner's stage lines and Claude Code's output. */
  taskLog?: string;
  /** A restack run's outcome (`mode: "restack"`, restack.ts). */
  restack?: RestackOutcome;
}

/** Runs one task: the whole life of one workflow run of the task workflow. */
export async function main(options: MainOptions): Promise<ActionOutcome> {
  // 1. What to run.
  let request: TaskRunRequest | undefined;
  let task: TaskToRun;
  let remote: RemoteAccess;
  try {
    request = decodeInputs(options.inputs);
    remote = await remoteAccess({
      cwd: options.workspace,
      remote: REMOTE,
      token: options.gitToken,
      log: options.log.warning,
    });
    // A restack run rebases the task's branch and nothing else: no tasks file, no agent (restack.ts).
    if (request.mode === "restack") return await restackOutcome(options, request, remote);
    task = await readTask({ cwd: options.workspace, request, remote: REMOTE, remoteEnv: remote.env });
  } catch (error) {
    return outcome({ options, ...(request ? { request } : {}), failure: toFailure(error) });
  }

  const taskLog = join(
    options.tempDir,
    "orchestrator",
    `${safeName(request.taskId)}-attempt-${request.attempt}.log`,
  );
  // A planner answers with a proposal (action/src/plan.ts): no branch work, no pull request.
  if (request.mode === "plan") {
    const planned = await runPlanner({
      cwd: options.workspace,
      request,
      prompt: attemptPrompt(task.prompt, request.feedback),
      taskName: task.name,
      agent: claudeSetup({ ...options, log: options.log.info }),
      remote: REMOTE,
      remoteEnv: remote.env,
      afterAgent: () => remote.afterAgent(),
      author: options.author,
      deadline: agentDeadline({ timeoutMinutes: request.timeoutMinutes, startedAt: options.startedAt }),
      logFile: taskLog,
      runId: options.runId,
    });
    return outcome({
      options,
      request,
      task,
      run: planned.run,
      taskLog,
      ...(planned.failure ? { failure: planned.failure } : {}),
    });
  }

  // 2. The task's pipeline: the branch from its base fetched fresh from origin (DESIGN §3), the
  // pinned CLI, the agent, a commit — kept and pushed even when the agent fails, as the job's
  // checkout is thrown away — and a push leased on the tip seen at the start.
  const run = await runTask({
    cwd: options.workspace,
    task: {
      id: request.taskId,
      name: task.name,
      prompt: attemptPrompt(task.prompt, request.feedback),
      branch: request.branch,
      base: request.baseStrategy,
      allowNoChanges: request.allowNoChanges,
      timeoutMinutes: request.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES,
      ...(request.model === undefined ? {} : { model: request.model }),
      ...(request.maxTurns === undefined ? {} : { maxTurns: request.maxTurns }),
      ...(request.maxBudgetUsd === undefined ? {} : { maxBudgetUsd: request.maxBudgetUsd }),
      ...(request.allowedTools === undefined ? {} : { allowedTools: request.allowedTools }),
      ...(task.resetExisting === true ? { resetExisting: true } : {}),
    },
    attempt: request.attempt,
    sessionId: request.sessionId,
    baseBranch: request.baseBranch,
    dependencyBranches: request.dependencyBranches,
    agent: claudeSetup({ ...options, log: options.log.info }),
    author: options.author,
    remote: REMOTE,
    remoteEnv: remote.env,
    afterAgent: () => remote.afterAgent(),
    push: true,
    onAgentFailure: "keep_partial_work",
    // Feedback is a follow-up on the task's existing work: its branch is built on, not reset. (A
    // branch whose tip is the task's checkpoint is gone on from anyway, see continue-task-branch.ts.)
    continueExisting: request.feedback !== undefined,
    deadline: agentDeadline({
      timeoutMinutes: request.timeoutMinutes,
      startedAt: options.startedAt,
      workerStartedAt: options.workerStartedAt,
    }),
    logFile: taskLog,
  });

  // 3. The pull request (none when an allowed no-change run has nothing to propose).
  let failure: Failure | undefined = run.failure && { kind: run.failure.kind, message: run.failure.message };
  let pullRequest: PublishedPullRequest | undefined;
  const report = { request, task, run };
  if (!failure && run.pushed) {
    try {
      pullRequest = await publishPullRequest({ context: options, report });
    } catch (error) {
      failure = toFailure(error);
    }
  }
  if (failure)
    pullRequest = await recordFailureOnPullRequest({ context: options, report: { ...report, failure } });
  return outcome({
    options,
    request,
    task,
    run,
    taskLog,
    ...(failure ? { failure } : {}),
    ...(pullRequest ? { pullRequest } : {}),
  });
}

async function restackOutcome(
  options: MainOptions,
  request: TaskRunRequest,
  remote: RemoteAccess,
): Promise<ActionOutcome> {
  const restacked = await runRestack({
    workspace: options.workspace,
    remote: REMOTE,
    remoteEnv: remote.env,
    request,
    author: options.author,
    log: options.log,
  });
  return {
    conclusion: restacked.failure ? "failure" : "success",
    ...(restacked.failure ? { failure: restacked.failure } : {}),
    request,
    changedFiles: [],
    ...(restacked.outcome ? { restack: restacked.outcome } : {}),
  };
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

function outcome(args: {
  options: MainOptions;
  request?: TaskRunRequest;
  task?: TaskToRun;
  run?: TaskRunResult;
  taskLog?: string;
  failure?: Failure;
  pullRequest?: PublishedPullRequest;
}): ActionOutcome {
  const { options, request, run, failure } = args;
  return {
    conclusion: failure ? "failure" : "success",
    ...(failure ? { failure } : {}),
    ...(request ? { request } : {}),
    ...(args.task ? { task: args.task } : {}),
    ...(request
      ? {
          result: taskResult({
            request,
            ...(run ? { run } : {}),
            ...(failure ? { failure } : {}),
            ...(options.runId === undefined ? {} : { runId: options.runId }),
          }),
        }
      : {}),
    ...(args.pullRequest ? { pullRequest: args.pullRequest } : {}),
    changedFiles: run?.changedFiles ?? [],
    ...(run ? { run } : {}),
    ...(args.taskLog ? { taskLog: args.taskLog } : {}),
  };
}

/** Typed failures keep their kind; anything else is a bug or an environment problem, said as is. */
function toFailure(error: unknown): Failure {
  if (error instanceof ActionFailure) return { kind: error.kind, message: error.message };
  return { kind: "internal_error", message: error instanceof Error ? error.message : String(error) };
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, "_");
}
