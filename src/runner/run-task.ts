import { attemptPrompt, checkpointFeedback } from "../core/attempt-prompt.js";
import type { ResolvedTask } from "../core/task-graph.js";
import type { AgentFailureKind, AgentResult } from "./agent-result.js";
import { commitTaskWork, markAgentCommits } from "./commit-task-work.js";
import type { ContinuedBranch } from "./continue-task-branch.js";
import { prepareTaskBranch, type PrepareTaskBranchOptions } from "./prepare-task-branch.js";
import { pushWork } from "./push-work.js";
import {
  agentTimeLeftMs,
  describeAgent,
  runTaskAgent,
  type AgentDeadline,
  type AgentSetup,
  type AgentSpec,
} from "./task-agent.js";
import type { TaskFailureKind } from "./task-failure.js";
import { writeLog, writeTranscript } from "./task-log.js";
import { agentStageFailure, continuedLine, stageFailure, timedOutFailure } from "./task-run-failure.js";

export type { AgentDeadline, AgentSetup, AgentSpec } from "./task-agent.js";

/**
 * One task, end to end, in a checkout the caller owns (a local worktree, an Actions checkout):
 * prepare the branch from its base, run the agent, commit what it did, and push it if asked.
 * Every way this can go wrong ends as a typed result with a plain-words message, never as a
 * throw, so executors only record outcomes. The local executor and the Action both run this; what
 * they do differently is an option each (`remote`, `push`, `onAgentFailure`, `deadline`), with
 * the local executor's behaviour as the default. Pull requests are the Action's business.
 */

/** The task fields the runner reads: a `ResolvedTask` fits. */
export type RunnableTask = Pick<
  ResolvedTask,
  "id" | "name" | "prompt" | "branch" | "base" | "allowNoChanges" | "timeoutMinutes"
> &
  Partial<Pick<ResolvedTask, "model" | "maxTurns" | "maxBudgetUsd" | "allowedTools" | "resetExisting">>;

/** Pushing needs a remote; without one (the local executor), branches stay local. */
export type RunTaskOptions = RunTaskCommonOptions &
  (
    | { remote?: undefined; push?: false }
    | {
        /** Fetch bases from this remote (the Action). */
        remote: string;
        /**
         * Push the committed branch to `remote`, leased on the tip seen when the branch was prepared,
         * so a retry replaces its previous attempt but never someone else's commits (the Action). A
         * run with no commit (an allowed no-change run) has nothing to push. Default: no push.
         */
        push?: boolean;
      }
  );

interface RunTaskCommonOptions {
  cwd: string;
  /**
   * Environment for the git commands that talk to `remote` (listing, fetching, pushing), and only
   * them: how the Action's credentials reach git without a config file or the agent seeing them.
   */
  remoteEnv?: Record<string, string> | undefined;
  /** Set when `cwd` is made as the branch is prepared (see `PrepareTaskBranchOptions`). */
  newCheckout?: PrepareTaskBranchOptions["newCheckout"];
  task: RunnableTask;
  /** 1 for the first attempt. */
  attempt: number;
  /** Names the session in the agent's environment (ORCHESTRATOR_SESSION_ID). */
  sessionId: string;
  baseBranch: string;
  /** Branches of the task's dependencies, in the tasks file's order. */
  dependencyBranches: readonly string[];
  /** The agent, or how to set it up once the branch is ready (see `AgentSetup`). */
  agent: AgentSpec | AgentSetup;
  /** Identity of merge commits and of the task's commit. */
  author: { name: string; email: string };
  /**
   * What becomes of the work when the agent fails. `"stop"` (default, the local executor): nothing
   * is committed; the worktree keeps what the agent left, and a retry rebuilds the branch anyway.
   * `"keep_partial_work"` (the Action): what it got through is committed and, with `push`, pushed —
   * the runner's checkout is thrown away with the job, and the diff is where a person decides
   * whether to retry or finish by hand. The task still fails with the agent's reason.
   */
  onAgentFailure?: "stop" | "keep_partial_work";
  /** Overrides the task's `timeout_minutes` (tests, benchmarks). */
  timeoutMs?: number;
  /** Stop the agent by this time instead of after the task's `timeout_minutes` (see `AgentDeadline`). */
  deadline?: AgentDeadline;
  /** Time between SIGTERM and SIGKILL when the agent is stopped. */
  killGraceMs?: number;
  /** Stage headers and the agent's output are appended here. */
  logFile?: string;
  /** Aborting stops the agent's process tree; the result is then a `cancelled` failure. */
  signal?: AbortSignal;
  /**
   * Commits this caller recorded as earlier attempts of this task; the branch may be reset or
   * built on past them (see `PrepareTaskBranchOptions`).
   */
  knownAttemptCommits?: readonly string[] | undefined;
  /**
   * Replace the task branch even if it holds commits that are not this task's (`--reset-existing`),
   * keeping its old tip under a ref; the task's own `resetExisting` (`reset_existing`) does too.
   */
  resetExisting?: boolean | undefined;
  /**
   * The task's existing branch is kept and built on (its commits kept) instead of being reset to
   * the base: a follow-up on existing work (review feedback, revise). A branch that does not exist
   * starts from the base; one holding commits that are not this task's is refused as for a reset.
   * Nothing is rebased. Without it, a branch whose tip is this task's checkpoint is continued too.
   */
  continueExisting?: boolean | undefined;
  /**
   * Runs once the agent has exited, before its work is committed and pushed (the Action puts back
   * the git config the agent could have changed, before credentials are handed to git). A throw
   * fails the task at the commit stage, and nothing is pushed.
   */
  afterAgent?: (() => Promise<void>) | undefined;
}

export type TaskRunStage = "prepare" | "agent" | "commit" | "push";

/**
 * `timed_out`: the agent's time ran out and its work so far was kept as a checkpoint
 * (`checkpointSha`), which the next attempt goes on from. A timeout with nothing to keep stays the
 * agent's `timeout`.
 */
export type TaskRunFailureKind = AgentFailureKind | TaskFailureKind | "internal_error" | "timed_out";

export interface TaskRunFailure {
  kind: TaskRunFailureKind;
  /** Where it went wrong. */
  stage: TaskRunStage;
  message: string;
}

export interface TaskRunResult {
  taskId: string;
  attempt: number;
  branch: string;
  ok: boolean;
  failure?: TaskRunFailure;
  /** Where the work starts (set once the branch was prepared). */
  baseSha?: string;
  /** The ref the branch was created from, e.g. `main` or `orchestrator/a`. */
  startPoint?: string;
  /** Set when the attempt went on from the task's existing branch (its tip is `baseSha`), and why. */
  continued?: ContinuedBranch;
  mergedBranches?: string[];
  /** The branch tip after the commit (set once committed). */
  commitSha?: string;
  changedFiles?: string[];
  commits?: number;
  /** True once the remote branch holds `commitSha` (only with `push`). */
  pushed?: boolean;
  /**
   * Set when the agent ran out of time and its work so far was committed as a checkpoint (it is
   * `commitSha`; pushed when `pushed`): the next attempt goes on from it.
   */
  checkpointSha?: string;
  /** The agent's final words. */
  summary?: string;
  costUsd?: number;
  turns?: number;
  deniedTools?: string[];
  /** With a `limited` agent failure: when the limit resets (epoch ms), if the API said. */
  limitResetsAt?: number;
  /** Whole run: prepare, agent, commit and push. */
  durationMs: number;
  agentDurationMs?: number;
}

type Log = (line: string) => Promise<void>;

export async function runTask(options: RunTaskOptions): Promise<TaskRunResult> {
  const startedAt = Date.now();
  const { task, attempt } = options;
  const result: TaskRunResult = { taskId: task.id, attempt, branch: task.branch, ok: false, durationMs: 0 };
  const log: Log = (line) => writeLog(options.logFile, line);
  let prompt = task.prompt;
  const finish = async (failure?: TaskRunFailure): Promise<TaskRunResult> => {
    result.durationMs = Date.now() - startedAt;
    if (failure) {
      result.failure = failure;
      await log(`== failed (${failure.stage}, ${failure.kind}): ${failure.message}`);
    } else result.ok = true;
    await writeTranscript(options.logFile, prompt);
    return result;
  };

  const prepared = await prepareStage({ options, result, log });
  if (prepared.failure) return finish(prepared.failure);

  // An attempt that goes on from a checkpoint is told so, or it would start the task over.
  if (result.continued?.reason === "checkpoint")
    prompt = attemptPrompt(task.prompt, checkpointFeedback(result.continued.checkpointAttempt));
  const agent = await setUpAgent(options.agent);
  if (agent.failure) return finish(agent.failure);
  const agentFailure = await agentStage({
    options,
    task: { ...task, prompt },
    agent: agent.spec,
    result,
    log,
  });
  // First, before any git command runs again in the checkout the agent had (the Action puts back
  // the git config the agent could have changed).
  try {
    await options.afterAgent?.();
  } catch (error) {
    return finish(agentFailure ?? stageFailure("commit", error));
  }
  // Time running out is not the work being wrong: what the agent got through is kept as a
  // checkpoint (and pushed, with `push`) whatever `onAgentFailure` says, for the next attempt to
  // go on from (`continue-task-branch.ts`).
  const checkpoint = agentFailure?.kind === "timeout";
  if (agentFailure && !checkpoint && options.onAgentFailure !== "keep_partial_work") {
    // A cancelled attempt (Ctrl-C, cancel) is settled by its caller, which keeps its work under a
    // ref and names it (src/local/interrupted-attempt.ts); only an attempt that failed is marked.
    if (agentFailure.kind !== "cancelled") await markStoppedWork({ options, result, log });
    return finish(agentFailure);
  }

  const kept = await commitAndPushStages({
    options,
    result,
    log,
    previousSha: prepared.previousSha,
    // A continued checkpoint already holds work: an attempt that only finishes it adds nothing.
    allowNoChanges:
      task.allowNoChanges || agentFailure !== undefined || result.continued?.reason === "checkpoint",
    checkpoint,
  });
  // After an agent failure, the agent's reason is the task's: a problem keeping its partial work
  // would hide why the task failed, so it is only logged.
  if (agentFailure && kept) {
    await log(`== the partial work was not kept (${kept.stage}, ${kept.kind}): ${kept.message}`);
    if (checkpoint && options.onAgentFailure !== "keep_partial_work")
      await markStoppedWork({ options, result, log });
  }
  if (checkpoint && !kept && result.commits !== undefined && result.commits > 0 && result.commitSha)
    return finish(
      timedOutFailure({ options, result, agentMessage: (agentFailure as TaskRunFailure).message }),
    );
  return finish(agentFailure ?? kept);
}

async function prepareStage(args: {
  options: RunTaskOptions;
  result: TaskRunResult;
  log: Log;
}): Promise<{ previousSha: string | null; failure?: undefined } | { failure: TaskRunFailure }> {
  const { options, result, log } = args;
  const { task } = options;
  await log(`== task ${task.id}, attempt ${options.attempt}: preparing branch ${task.branch}`);
  try {
    const prepared = await prepareTaskBranch({
      cwd: options.cwd,
      branch: task.branch,
      baseBranch: options.baseBranch,
      dependencyBranches: options.dependencyBranches,
      strategy: task.base,
      author: options.author,
      taskId: task.id,
      knownAttemptCommits: options.knownAttemptCommits,
      resetExisting: options.resetExisting === true || task.resetExisting === true,
      continueExisting: options.continueExisting,
      ...(options.remote === undefined ? {} : { remote: options.remote }),
      remoteEnv: options.remoteEnv,
      ...(options.newCheckout === undefined ? {} : { newCheckout: options.newCheckout }),
    });
    result.baseSha = prepared.baseSha;
    result.startPoint = prepared.startPoint;
    result.mergedBranches = prepared.mergedBranches;
    for (const old of prepared.replaced ?? [])
      await log(
        `== reset_existing: ${task.branch} ${old.where} held ${old.foreignCommits} commit(s) that were not ` +
          `this task's; its old tip ${old.sha} is kept as ${old.ref}`,
      );
    if (prepared.continued) {
      result.continued = prepared.continued;
      await log(`== ${continuedLine(task.branch, prepared.startPoint, prepared.continued)}`);
    } else {
      if (options.continueExisting === true)
        await log(`== ${task.branch} does not exist yet: nothing to continue, it starts from the base`);
      const merged = prepared.mergedBranches.length > 0 ? ` + ${prepared.mergedBranches.join(" + ")}` : "";
      await log(
        `== branch ${task.branch} starts from ${prepared.startPoint}${merged} at ${prepared.baseSha}`,
      );
    }
    return { previousSha: prepared.previousSha };
  } catch (error) {
    return { failure: stageFailure("prepare", error) };
  }
}

async function setUpAgent(
  agent: AgentSpec | AgentSetup,
): Promise<{ spec: AgentSpec; failure?: undefined } | { failure: TaskRunFailure }> {
  try {
    const setUp = typeof agent === "function" ? await agent() : agent;
    return "failure" in setUp ? { failure: agentStageFailure(setUp.failure) } : { spec: setUp };
  } catch (error) {
    return { failure: stageFailure("agent", error) };
  }
}

/** Runs the agent; its failure, if any. */
async function agentStage(args: {
  options: RunTaskOptions;
  /** The task, with the prompt this attempt runs with. */
  task: RunnableTask;
  agent: AgentSpec;
  result: TaskRunResult;
  log: Log;
}): Promise<TaskRunFailure | undefined> {
  const { options, agent, result, log } = args;
  await log(`== running the agent (${describeAgent(agent)})`);
  const outcome = await runTaskAgent({
    cwd: options.cwd,
    task: args.task,
    attempt: options.attempt,
    sessionId: options.sessionId,
    agent,
    timeoutMs: agentTimeoutMs(options),
    ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  copyAgentFields(result, outcome);
  if (outcome.ok) return undefined;
  return agentStageFailure(
    outcome.failure ?? { kind: "agent_error", message: "The agent reported a failure." },
  );
}

/**
 * After an agent failure that keeps nothing: if the agent committed on the task branch itself,
 * an empty commit of the task's goes on top (the worktree is left as it is), so a retry knows
 * the branch as this task's and may rebuild it. Best effort: a retry refused for lack of it
 * says how to go on, and loses nothing.
 */
async function markStoppedWork(args: {
  options: RunTaskOptions;
  result: TaskRunResult;
  log: Log;
}): Promise<void> {
  const { options, result, log } = args;
  if (result.baseSha === undefined) return;
  try {
    const marked = await markAgentCommits({
      cwd: options.cwd,
      task: { id: options.task.id, name: options.task.name },
      attempt: options.attempt,
      author: options.author,
      baseSha: result.baseSha,
      branch: options.task.branch,
    });
    if (marked !== null)
      await log(`== marked the agent's commits on ${options.task.branch} as this task's: ${marked}`);
  } catch (error) {
    await log(
      `== could not mark the agent's commits: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

async function commitAndPushStages(args: {
  options: RunTaskOptions;
  result: TaskRunResult;
  log: Log;
  previousSha: string | null;
  allowNoChanges: boolean;
  /** Commit as a checkpoint (the agent's time ran out). */
  checkpoint?: boolean;
}): Promise<TaskRunFailure | undefined> {
  const { options, result, log } = args;
  const { task } = options;
  await log(
    `== committing the ${args.checkpoint === true ? "work so far as a checkpoint" : "work"} on ${task.branch}`,
  );
  try {
    const committed = await commitTaskWork({
      cwd: options.cwd,
      task: { id: task.id, name: task.name },
      attempt: options.attempt,
      author: options.author,
      allowNoChanges: args.allowNoChanges,
      baseSha: result.baseSha as string,
      branch: task.branch,
      checkpoint: args.checkpoint,
    });
    result.commitSha = committed.commitSha;
    result.changedFiles = committed.changedFiles;
    result.commits = committed.commits;
    await log(
      `== done: ${committed.commits} commit(s), ${committed.changedFiles.length} file(s) changed, tip ${committed.commitSha}`,
    );
  } catch (error) {
    return stageFailure("commit", error);
  }
  if (!options.push || options.remote === undefined) return undefined;
  if (result.commits === 0) {
    // Nothing new; a continued branch is already on the remote as it is (its tip was fetched there).
    if (result.continued !== undefined && result.commitSha === result.continued.tip) result.pushed = true;
    return undefined;
  }

  await log(`== pushing ${task.branch} to ${options.remote}`);
  try {
    await pushWork({
      cwd: options.cwd,
      remote: options.remote,
      branch: task.branch,
      previousSha: args.previousSha,
      remoteEnv: options.remoteEnv,
    });
    result.pushed = true;
    await log(`== pushed ${task.branch}`);
    return undefined;
  } catch (error) {
    return stageFailure("push", error);
  }
}

function agentTimeoutMs(options: RunTaskOptions): number {
  if (options.timeoutMs !== undefined) return options.timeoutMs;
  if (options.deadline !== undefined) return agentTimeLeftMs({ deadline: options.deadline, now: Date.now() });
  return options.task.timeoutMinutes * 60_000;
}

function copyAgentFields(result: TaskRunResult, agent: AgentResult): void {
  result.agentDurationMs = agent.durationMs;
  if (agent.summary !== undefined) result.summary = agent.summary;
  if (agent.costUsd !== undefined) result.costUsd = agent.costUsd;
  if (agent.turns !== undefined) result.turns = agent.turns;
  if (agent.deniedTools !== undefined && agent.deniedTools.length > 0) result.deniedTools = agent.deniedTools;
  if (agent.limitResetsAt !== undefined) result.limitResetsAt = agent.limitResetsAt;
}
