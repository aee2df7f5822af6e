import type { TaskRunRequest } from "../../src/core/dispatch-inputs.js";
import { finalQuestion, refusedToolList } from "../../src/core/task-attention.js";
import type { TaskResult } from "../../src/core/task-result-block.js";
import type { TaskRunResult } from "../../src/runner/run-task.js";

/** Why a run failed: a kind for code (the result block), a message for people. */
export interface Failure {
  kind: string;
  message: string;
}

/** The machine-readable result the App reads from the PR body; it says only what this run did. */
export function taskResult(args: {
  request: TaskRunRequest;
  /** Absent when the run stopped before the task's pipeline started (tasks file, inputs). */
  run?: TaskRunResult;
  failure?: Failure;
  runId?: number;
}): TaskResult {
  const { request, run, failure } = args;
  return {
    version: 1,
    session_id: request.sessionId,
    task_id: request.taskId,
    attempt: request.attempt,
    conclusion: failure ? "failure" : "success",
    ...(failure ? { failure_kind: failure.kind, message: failure.message } : {}),
    branch: request.branch,
    // A commit only the runner's discarded checkout has is no use to anyone reading the result.
    ...(run?.pushed && run.commitSha !== undefined ? { commit: run.commitSha } : {}),
    ...(run?.changedFiles ? { files_changed: run.changedFiles.length } : {}),
    ...(run?.costUsd === undefined ? {} : { cost_usd: run.costUsd }),
    ...(run?.turns === undefined ? {} : { turns: run.turns }),
    ...(run?.agentDurationMs === undefined ? {} : { duration_ms: run.agentDurationMs }),
    ...(args.runId === undefined ? {} : { run_id: args.runId }),
    ...attentionFields(failure, run),
  };
}

/** What a needs-input or limited attempt tells the App besides its message. */
function attentionFields(
  failure: Failure | undefined,
  run: TaskRunResult | undefined,
): Pick<TaskResult, "needs_input" | "limited"> {
  if (failure?.kind === "needs_input") {
    const question = finalQuestion(run?.summary);
    return {
      needs_input: {
        refused_tools: refusedToolList(run?.deniedTools),
        ...(question === undefined ? {} : { question }),
      },
    };
  }
  if (failure?.kind === "limited")
    return { limited: run?.limitResetsAt === undefined ? {} : { resets_at: run.limitResetsAt } };
  return {};
}
