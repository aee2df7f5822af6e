import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { ResolvedTask } from "../core/task-graph.js";
import type { AgentFailureKind, AgentResult } from "./agent-result.js";
import { runClaudeAgent } from "./claude-agent.js";
import type { PermissionMode } from "./claude-agent-args.js";
import { runCommandAgent } from "./command-agent.js";
import { commitTaskWork } from "./commit-task-work.js";
import { prepareTaskBranch, type PrepareTaskBranchOptions } from "./prepare-task-branch.js";
import { isTaskFailure, type TaskFailureKind } from "./task-failure.js";

/**
 * One task, end to end, in a checkout the caller owns (a local worktree, an Actions checkout):
 * prepare the branch from its base, run the agent, commit what it did. Every way this can go
 * wrong ends as a typed result with a plain-words message, never as a throw, so executors only
 * record outcomes. Pushing and pull requests are the caller's business (the Action pushes; the
 * local executor keeps branches local).
 */

/** The task fields the runner reads: a `ResolvedTask` fits. */
export type RunnableTask = Pick<
  ResolvedTask,
  "id" | "name" | "prompt" | "branch" | "base" | "allowNoChanges" | "timeoutMinutes"
> &
  Partial<Pick<ResolvedTask, "model" | "maxTurns" | "maxBudgetUsd" | "allowedTools">>;

/** Which agent does the work. */
export type AgentSpec =
  | {
      kind: "claude";
      /** Defaults to `claude` on PATH. */
      claudePath?: string;
      permissionMode?: PermissionMode;
      /** Added to the agent's environment (e.g. ANTHROPIC_BASE_URL). */
      env?: NodeJS.ProcessEnv;
    }
  | {
      kind: "command";
      /** argv; the prompt goes to stdin, exit 0 means success. */
      command: readonly string[];
      env?: NodeJS.ProcessEnv;
    };

export interface RunTaskOptions {
  cwd: string;
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
  agent: AgentSpec;
  /** Identity of merge commits and of the task's commit. */
  author: { name: string; email: string };
  /** Fetch bases from this remote (the Action); undefined: local branches (the local executor). */
  remote?: string;
  /** Overrides the task's `timeout_minutes` (tests, benchmarks). */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when the agent is stopped. */
  killGraceMs?: number;
  /** Stage headers and the agent's output are appended here. */
  logFile?: string;
  /** Aborting stops the agent's process tree; the result is then a `cancelled` failure. */
  signal?: AbortSignal;
}

export type TaskRunStage = "prepare" | "agent" | "commit";

export type TaskRunFailureKind = AgentFailureKind | TaskFailureKind | "internal_error";

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
  mergedBranches?: string[];
  /** The branch tip after the commit (set on success). */
  commitSha?: string;
  changedFiles?: string[];
  commits?: number;
  /** The agent's final words. */
  summary?: string;
  costUsd?: number;
  turns?: number;
  deniedTools?: string[];
  /** Whole run: prepare, agent and commit. */
  durationMs: number;
  agentDurationMs?: number;
}

export async function runTask(options: RunTaskOptions): Promise<TaskRunResult> {
  const startedAt = Date.now();
  const { task, attempt } = options;
  const result: TaskRunResult = { taskId: task.id, attempt, branch: task.branch, ok: false, durationMs: 0 };
  const finish = (failure?: TaskRunFailure): TaskRunResult => {
    result.durationMs = Date.now() - startedAt;
    if (failure) result.failure = failure;
    else result.ok = true;
    return result;
  };
  const log = (line: string) => writeLog(options.logFile, line);

  await log(`== task ${task.id}, attempt ${attempt}: preparing branch ${task.branch}`);
  try {
    const prepared = await prepareTaskBranch({
      cwd: options.cwd,
      branch: task.branch,
      baseBranch: options.baseBranch,
      dependencyBranches: options.dependencyBranches,
      strategy: task.base,
      author: options.author,
      taskId: task.id,
      ...(options.remote === undefined ? {} : { remote: options.remote }),
      ...(options.newCheckout === undefined ? {} : { newCheckout: options.newCheckout }),
    });
    result.baseSha = prepared.baseSha;
    result.startPoint = prepared.startPoint;
    result.mergedBranches = prepared.mergedBranches;
    const merged = prepared.mergedBranches.length > 0 ? ` + ${prepared.mergedBranches.join(" + ")}` : "";
    await log(`== branch ${task.branch} starts from ${prepared.startPoint}${merged} at ${prepared.baseSha}`);
  } catch (error) {
    return finish(await logged(log, stageFailure("prepare", error)));
  }

  await log(`== running the agent (${describeAgent(options.agent)})`);
  const agent = await runAgent(options);
  copyAgentFields(result, agent);
  if (!agent.ok) {
    const failure = agent.failure ?? { kind: "agent_error", message: "The agent reported a failure." };
    return finish(await logged(log, { stage: "agent", kind: failure.kind, message: failure.message }));
  }

  await log(`== committing the work on ${task.branch}`);
  try {
    const committed = await commitTaskWork({
      cwd: options.cwd,
      task: { id: task.id, name: task.name },
      attempt,
      author: options.author,
      allowNoChanges: task.allowNoChanges,
      baseSha: result.baseSha as string,
      branch: task.branch,
    });
    result.commitSha = committed.commitSha;
    result.changedFiles = committed.changedFiles;
    result.commits = committed.commits;
    await log(
      `== done: ${committed.commits} commit(s), ${committed.changedFiles.length} file(s) changed, tip ${committed.commitSha}`,
    );
  } catch (error) {
    return finish(await logged(log, stageFailure("commit", error)));
  }
  return finish();
}

/** What every agent sees in its environment, so wrappers and hooks know which task they serve. */
export function taskAgentEnv(
  options: Pick<RunTaskOptions, "task" | "attempt" | "sessionId">,
): Record<string, string> {
  return {
    ORCHESTRATOR_TASK_ID: options.task.id,
    ORCHESTRATOR_TASK_NAME: options.task.name,
    ORCHESTRATOR_SESSION_ID: options.sessionId,
    ORCHESTRATOR_ATTEMPT: String(options.attempt),
  };
}

function runAgent(options: RunTaskOptions): Promise<AgentResult> {
  const { task, agent } = options;
  const common = {
    cwd: options.cwd,
    prompt: task.prompt,
    timeoutMs: options.timeoutMs ?? task.timeoutMinutes * 60_000,
    ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const env = { ...agent.env, ...taskAgentEnv(options) };
  if (agent.kind === "command") return runCommandAgent({ ...common, command: agent.command, env });
  return runClaudeAgent({
    ...common,
    env,
    ...(agent.claudePath === undefined ? {} : { claudePath: agent.claudePath }),
    ...(agent.permissionMode === undefined ? {} : { permissionMode: agent.permissionMode }),
    ...(task.model === undefined ? {} : { model: task.model }),
    ...(task.maxTurns === undefined ? {} : { maxTurns: task.maxTurns }),
    ...(task.maxBudgetUsd === undefined ? {} : { maxBudgetUsd: task.maxBudgetUsd }),
    ...(task.allowedTools === undefined ? {} : { allowedTools: task.allowedTools }),
  });
}

function copyAgentFields(result: TaskRunResult, agent: AgentResult): void {
  result.agentDurationMs = agent.durationMs;
  if (agent.summary !== undefined) result.summary = agent.summary;
  if (agent.costUsd !== undefined) result.costUsd = agent.costUsd;
  if (agent.turns !== undefined) result.turns = agent.turns;
  if (agent.deniedTools !== undefined && agent.deniedTools.length > 0) result.deniedTools = agent.deniedTools;
}

function stageFailure(stage: TaskRunStage, error: unknown): TaskRunFailure {
  if (isTaskFailure(error)) return { stage, kind: error.kind, message: error.message };
  // Not a git problem we know how to name: still the task's failure (with what was said), so one
  // broken task does not take the whole session down.
  const detail = error instanceof Error ? error.message : String(error);
  const doing = stage === "prepare" ? "preparing the task branch" : "committing the agent's work";
  return { stage, kind: "internal_error", message: `Unexpected error while ${doing}: ${detail}` };
}

async function logged(
  log: (line: string) => Promise<void>,
  failure: TaskRunFailure,
): Promise<TaskRunFailure> {
  await log(`== failed (${failure.stage}, ${failure.kind}): ${failure.message}`);
  return failure;
}

function describeAgent(agent: AgentSpec): string {
  return agent.kind === "command"
    ? `command: ${agent.command.join(" ")}`
    : `Claude Code: ${agent.claudePath ?? "claude"}`;
}

async function writeLog(logFile: string | undefined, line: string): Promise<void> {
  if (logFile === undefined) return;
  try {
    await mkdir(dirname(logFile), { recursive: true });
    await appendFile(logFile, `${line}\n`);
  } catch {
    // The log is a convenience; a full disk must not fail the task by itself.
  }
}
