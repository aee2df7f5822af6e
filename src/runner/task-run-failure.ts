import type { AgentFailure } from "./agent-result.js";
import type { ContinuedBranch } from "./continue-task-branch.js";
import type { RunTaskOptions, TaskRunFailure, TaskRunResult, TaskRunStage } from "./run-task.js";
import { isTaskFailure } from "./task-failure.js";

/** What `runTask` says, in its results and its log: failures by stage, checkpoints, continuations. */

export function agentStageFailure(failure: AgentFailure): TaskRunFailure {
  return { stage: "agent", kind: failure.kind, message: failure.message };
}

const DOING: Record<TaskRunStage, string> = {
  prepare: "preparing the task branch",
  agent: "setting up the agent",
  commit: "committing the agent's work",
  push: "pushing the task branch",
};

export function stageFailure(stage: TaskRunStage, error: unknown): TaskRunFailure {
  if (isTaskFailure(error)) return { stage, kind: error.kind, message: error.message };
  // Not a problem we know how to name: still the task's failure (with what was said), so one
  // broken task does not take the whole session down.
  const detail = error instanceof Error ? error.message : String(error);
  return { stage, kind: "internal_error", message: `Unexpected error while ${DOING[stage]}: ${detail}` };
}

/**
 * The agent's time ran out and its work was kept as a checkpoint (`result.commitSha`, recorded as
 * `checkpointSha`): the task's failure, saying where the checkpoint is and that the next attempt
 * goes on from it.
 */
export function timedOutFailure(args: {
  options: Pick<RunTaskOptions, "task" | "remote">;
  result: TaskRunResult;
  agentMessage: string;
}): TaskRunFailure {
  const { options, result } = args;
  const sha = result.commitSha as string;
  result.checkpointSha = sha;
  const where =
    result.pushed === true
      ? `pushed to ${options.task.branch} on ${options.remote ?? "the remote"}`
      : `on ${options.task.branch}`;
  return {
    stage: "agent",
    kind: "timed_out",
    message:
      `Timed out: ${args.agentMessage} The work so far is kept as checkpoint ${sha.slice(0, 12)}, ${where}; ` +
      `the next attempt goes on from it.`,
  };
}

/** The log line of an attempt that goes on from the task's existing branch. */
export function continuedLine(branch: string, startPoint: string, continued: ContinuedBranch): string {
  const why =
    continued.reason === "checkpoint"
      ? `attempt ${continued.checkpointAttempt ?? "?"}'s checkpoint`
      : "its existing work, as asked";
  return `branch ${branch} goes on from ${why}: ${startPoint} at ${continued.tip}, its commits kept`;
}
