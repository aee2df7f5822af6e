import { CHECKPOINT_TRAILER, TASK_TRAILER } from "./commit-task-work.js";
import { git, gitValue } from "./git.js";

/**
 * When an attempt goes on from the task's existing branch instead of starting afresh from its
 * base (see `prepareTaskBranch`): its commits are kept and the agent builds on them.
 *
 * - `"asked"`: the caller said so (`continueExisting`): a follow-up on work that exists (review
 *   feedback, `revise`), where the branch is the task's pull request.
 * - `"checkpoint"`: the branch's tip is this task's checkpoint commit (`Orchestrator-Checkpoint`),
 *   made when an earlier attempt ran out of time: the next attempt goes on from where it stopped
 *   instead of paying for the same work again.
 *
 * Either way nothing is rebased: the branch stays on the base it was made from, even if the base
 * moved meanwhile (bringing a branch up to date is restacking, a step of its own). A branch that
 * does not exist is simply started from the base, as every first attempt is. Whether the branch
 * may be touched at all is decided before this, by the same rule as a reset
 * (`guardExistingBranch`): commits on it that are not this task's are refused, never built on.
 */

export type ContinueReason = "asked" | "checkpoint";

export interface ContinuedBranch {
  /** The branch tip the attempt goes on from: its start (`baseSha`). */
  tip: string;
  reason: ContinueReason;
  /** For a checkpoint: the attempt that made it. */
  checkpointAttempt?: number;
}

/** The branch to go on from, or null when the attempt starts from its base. */
export async function branchToContinue(args: {
  cwd: string;
  /** The task branch's tip (on the remote in the Action, local otherwise), null if it does not exist. */
  tip: string | null;
  taskId: string | undefined;
  continueExisting: boolean | undefined;
}): Promise<ContinuedBranch | null> {
  const { tip, taskId } = args;
  if (tip === null) return null;
  const checkpointAttempt = taskId === undefined ? null : await checkpointAttemptOf(args.cwd, tip, taskId);
  if (checkpointAttempt !== null) return { tip, reason: "checkpoint", checkpointAttempt };
  if (args.continueExisting === true) return { tip, reason: "asked" };
  return null;
}

/**
 * The attempt whose checkpoint `commit` is, when it is a checkpoint of this task (both trailers on
 * the one commit); null otherwise. A checkpoint of another task, or a user's commit that copies the
 * checkpoint trailer alone, is not one.
 */
export async function checkpointAttemptOf(
  cwd: string,
  commit: string,
  taskId: string,
): Promise<number | null> {
  // Each line labelled: git trims nothing inside, but an empty first line would shift the second.
  const format =
    `task:%(trailers:key=${TASK_TRAILER},valueonly,unfold,separator=%x2C)%n` +
    `checkpoint:%(trailers:key=${CHECKPOINT_TRAILER},valueonly,unfold,separator=%x2C)`;
  const lines = (
    await gitValue(["log", "--no-show-signature", "-1", `--format=${format}`, commit], { cwd })
  ).split("\n");
  const tasks = lines.find((line) => line.startsWith("task:"))?.slice("task:".length) ?? "";
  const checkpoints = lines.find((line) => line.startsWith("checkpoint:"))?.slice("checkpoint:".length) ?? "";
  if (!tasks.split(",").some((value) => value.trim() === taskId)) return null;
  const attempt = Number(checkpoints.split(",")[0]?.trim());
  return Number.isInteger(attempt) && attempt >= 1 ? attempt : null;
}

/**
 * Whether a follow-up may build on `tip` although commits on it are not this task's: the branch
 * holds this task's own work (a commit with its `Orchestrator-Task` trailer since `start`) and
 * someone added to it, e.g. a reviewer's "Commit suggestion" on the pull request. Building on top
 * drops nothing. A branch without any of the task's work is someone else's and stays refused.
 */
export async function holdsTaskWork(args: {
  cwd: string;
  tip: string;
  start: string;
  taskId: string;
}): Promise<boolean> {
  const { stdout } = await git(
    [
      "log",
      "--no-show-signature",
      `--format=%(trailers:key=${TASK_TRAILER},valueonly,separator=%x2C)`,
      `${args.start}..${args.tip}`,
    ],
    { cwd: args.cwd, okExitCodes: [128] },
  );
  return stdout.split("\n").some((line) => line.split(",").some((value) => value.trim() === args.taskId));
}
