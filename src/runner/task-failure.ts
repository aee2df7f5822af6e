import { redactCredentials } from "./git.js";

/**
 * Why a task's git work failed, in words a user can act on. `kind` is for code (the checks
 * projection, retries); `message` is shown as is on the Checks tab and in the status comment.
 */
export type TaskFailureKind =
  | "merge_conflict"
  | "no_changes"
  | "push_rejected"
  | "git_error"
  | "missing_base"
  | "worktree_conflict"
  /** The task branch holds work that is not this task's (or is the base branch): it was left alone. */
  | "branch_not_ours";

/** For `merge_conflict`: which merge stopped and on which files. */
export interface MergeConflict {
  /** The dependency branch whose merge conflicted. */
  merging: string;
  /** What it was being merged into: the first dependency branch plus those merged before it. */
  into: string[];
  files: string[];
}

export interface TaskFailureOptions {
  conflict?: MergeConflict;
  /** The underlying error (usually a `GitError`), kept for logs. */
  cause?: unknown;
}

export class TaskFailure extends Error {
  readonly kind: TaskFailureKind;
  readonly conflict?: MergeConflict;

  constructor(kind: TaskFailureKind, message: string, options: TaskFailureOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TaskFailure";
    this.kind = kind;
    if (options.conflict) this.conflict = options.conflict;
  }
}

export function isTaskFailure(error: unknown): error is TaskFailure {
  return error instanceof TaskFailure;
}

/** A git command failed for a reason with no better kind: say what we were doing and what git said. */
export function gitFailure(error: unknown, doing: string): TaskFailure {
  if (error instanceof TaskFailure) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new TaskFailure("git_error", redactCredentials(`Could not ${doing}: ${detail}`), { cause: error });
}
