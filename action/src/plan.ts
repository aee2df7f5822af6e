import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { TaskRunRequest } from "../../src/core/dispatch-inputs.js";
import { readProposalAnswer } from "../../src/core/plan-proposal.js";
import { PLAN_RESULT_FILE, formatPlanResult } from "../../src/core/plan-result.js";
import { git, gitValue, identityEnv } from "../../src/runner/git.js";
import type { TaskRunResult } from "../../src/runner/run-task.js";
import {
  agentTimeLeftMs,
  runTaskAgent,
  type AgentDeadline,
  type AgentSetup,
} from "../../src/runner/task-agent.js";
import type { Failure } from "./task-result.js";

/**
 * A planner run (`mode: plan`): Claude Code reads the checkout with read-only tools and answers
 * with a proposal; the Action checks it and pushes it, as one file in one commit, to the planner
 * task's branch, where the App reads it (core/plan-result.ts). No pull request, no commit of the
 * checkout: whatever the agent might have changed there is thrown away with the job.
 */

/** What the planner may use: reading and searching the checkout, nothing that writes or runs. */
export const PLANNER_ALLOWED_TOOLS = ["Read", "Grep", "Glob"] as const;
/**
 * Refused outright, whatever a settings file in the repository says: `dontAsk` already refuses
 * what is not allowed, and naming these too keeps a project's `.claude/settings.json` from
 * allowing them back.
 */
export const PLANNER_DENIED_TOOLS = [
  "Bash",
  "Edit",
  "Write",
  "MultiEdit",
  "NotebookEdit",
  "WebFetch",
  "WebSearch",
] as const;

export interface PlanRunOptions {
  cwd: string;
  request: TaskRunRequest;
  prompt: string;
  taskName: string;
  agent: AgentSetup;
  remote: string;
  remoteEnv?: Record<string, string> | undefined;
  /** Before the proposal is pushed: the git config back as it was before the agent. */
  afterAgent: () => Promise<void>;
  author: { name: string; email: string };
  deadline: AgentDeadline;
  logFile: string;
  runId?: number | undefined;
}

export interface PlanRunOutcome {
  run: TaskRunResult;
  failure?: Failure;
}

export async function runPlanner(options: PlanRunOptions): Promise<PlanRunOutcome> {
  const { request } = options;
  const startedAt = Date.now();
  const run: TaskRunResult = {
    taskId: request.taskId,
    attempt: request.attempt,
    branch: request.branch,
    ok: false,
    durationMs: 0,
    changedFiles: [],
  };
  const finish = (failure?: Failure): PlanRunOutcome => {
    run.durationMs = Date.now() - startedAt;
    run.ok = failure === undefined;
    return failure ? { run, failure } : { run };
  };

  const spec = await options.agent();
  if ("failure" in spec) return finish(spec.failure);
  if (spec.kind !== "claude")
    return finish({ kind: "bad_input", message: "a planner run needs Claude Code" });
  await mkdir(dirname(options.logFile), { recursive: true });
  await appendFile(options.logFile, `== planner: read-only tools (${PLANNER_ALLOWED_TOOLS.join(", ")})\n`);
  const agentStarted = Date.now();
  const result = await runTaskAgent({
    cwd: options.cwd,
    task: {
      id: request.taskId,
      name: options.taskName,
      prompt: options.prompt,
      allowedTools: [...PLANNER_ALLOWED_TOOLS],
      ...(request.model === undefined ? {} : { model: request.model }),
      ...(request.maxTurns === undefined ? {} : { maxTurns: request.maxTurns }),
      ...(request.maxBudgetUsd === undefined ? {} : { maxBudgetUsd: request.maxBudgetUsd }),
    },
    attempt: request.attempt,
    sessionId: request.sessionId,
    agent: { ...spec, permissionMode: "dontAsk", disallowedTools: [...PLANNER_DENIED_TOOLS] },
    timeoutMs: agentTimeLeftMs({ deadline: options.deadline, now: agentStarted }),
    logFile: options.logFile,
  });
  run.agentDurationMs = result.durationMs;
  if (result.costUsd !== undefined) run.costUsd = result.costUsd;
  if (result.turns !== undefined) run.turns = result.turns;
  if (result.summary !== undefined) run.summary = result.summary;
  if (result.deniedTools !== undefined) run.deniedTools = result.deniedTools;
  if (!result.ok) {
    return finish({
      kind: result.failure?.kind ?? "agent_error",
      message: result.failure?.message ?? "the planner failed",
    });
  }

  const answer = readProposalAnswer(result.summary ?? "");
  if (!answer.ok) {
    return finish({
      kind: "invalid_proposal",
      message: `The planner's answer is not a usable proposal: ${answer.problems.join("; ")}. Retry the plan, or say more about the goal in the issue.`,
    });
  }
  await options.afterAgent();
  try {
    const pushed = await pushPlanResult({
      ...options,
      text: formatPlanResult({
        version: 1,
        session_id: request.sessionId,
        task_id: request.taskId,
        attempt: request.attempt,
        ...(options.runId === undefined ? {} : { run_id: options.runId }),
        ...(run.costUsd === undefined ? {} : { cost_usd: run.costUsd }),
        ...(run.turns === undefined ? {} : { turns: run.turns }),
        duration_ms: result.durationMs,
        proposal: answer.proposal,
      }),
    });
    run.commitSha = pushed;
    run.pushed = true;
    await appendFile(
      options.logFile,
      `== proposal of ${answer.proposal.tasks.length} tasks pushed to ${request.branch} (${pushed})\n`,
    );
  } catch (error) {
    return finish({
      kind: "push_failed",
      message: `The proposal could not be pushed to ${request.branch}: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  return finish();
}

/**
 * One commit holding only the result file, on top of the branch's earlier proposals if it has
 * any (a fast-forward: nothing pushed there before is dropped). Built with git's plumbing, so the
 * checkout the agent read is neither used nor changed.
 */
async function pushPlanResult(args: {
  cwd: string;
  request: TaskRunRequest;
  remote: string;
  remoteEnv?: Record<string, string> | undefined;
  author: { name: string; email: string };
  text: string;
}): Promise<string> {
  const { cwd, request } = args;
  const ref = `refs/heads/${request.branch}`;
  const fetched = await git(
    ["fetch", "--no-tags", "--quiet", args.remote, `+${ref}:refs/orchestrator/plan-parent`],
    {
      cwd,
      env: args.remoteEnv,
      okExitCodes: [1, 128],
    },
  );
  const parent =
    fetched.exitCode === 0
      ? await gitValue(["rev-parse", "refs/orchestrator/plan-parent"], { cwd })
      : undefined;
  const blob = await gitValue(["hash-object", "-w", "--stdin"], { cwd, input: args.text });
  const tree = await gitValue(["mktree"], { cwd, input: `100644 blob ${blob}\t${PLAN_RESULT_FILE}\n` });
  const message = `Orchestrator plan: ${request.taskId} attempt ${request.attempt}\n\nOrchestrator-Session: ${request.sessionId}\n`;
  const commit = await gitValue(["commit-tree", tree, ...(parent ? ["-p", parent] : []), "-m", message], {
    cwd,
    env: identityEnv(args.author),
  });
  await git(["push", "--porcelain", "--no-verify", args.remote, `${commit}:${ref}`], {
    cwd,
    env: args.remoteEnv,
  });
  return commit;
}
