import { GitError, git, gitValue, redactCredentials } from "./git.js";
import { TaskFailure, gitFailure } from "./task-failure.js";

export interface PushBranchOptions {
  cwd: string;
  remote: string;
  /** The local branch, pushed to the branch of the same name on the remote. */
  branch: string;
  /**
   * Replace the remote branch even if this push is not a fast-forward — a retry rebuilds the
   * branch from its base, so its push never is. Always a lease, never a blind `--force`: the push
   * only succeeds if the remote tip is still `expectedRemoteSha`, so commits someone pushed while
   * the agent worked are not silently thrown away.
   */
  force?: boolean;
  /**
   * The remote tip the run saw when it started (`previousSha` from `prepareTaskBranch`); null: the
   * branch must not exist yet. Left out, the lease is the remote-tracking ref (git's own default),
   * or "must not exist" when there is none.
   */
  expectedRemoteSha?: string | null;
  /** Environment for the push, and only it (the Action's credentials). */
  remoteEnv?: Record<string, string> | undefined;
}

export type PushOutcome = "created" | "fast_forward" | "forced" | "up_to_date";

export interface PushedBranch {
  /** The commit the remote branch now points at. */
  sha: string;
  outcome: PushOutcome;
}

const OUTCOME_BY_FLAG: Record<string, PushOutcome> = {
  "*": "created",
  " ": "fast_forward",
  "+": "forced",
  "=": "up_to_date",
};

/**
 * Pushes the task branch. Hooks are skipped (`--no-verify`): a pre-push hook expects a developer's
 * machine and would run a project's tooling the runner may not have; the pull request's CI checks
 * the work instead.
 */
export async function pushBranch(options: PushBranchOptions): Promise<PushedBranch> {
  const { cwd, remote, branch } = options;
  const ref = `refs/heads/${branch}`;
  let sha: string;
  try {
    sha = await gitValue(["rev-parse", "--verify", `${ref}^{commit}`], { cwd });
  } catch (error) {
    throw gitFailure(error, `push ${branch}: there is no such local branch`);
  }
  const lease = options.force ? [`--force-with-lease=${ref}:${await leaseValue(options)}`] : [];
  try {
    const { stdout } = await git(["push", "--porcelain", "--no-verify", ...lease, remote, `${ref}:${ref}`], {
      cwd,
      env: options.remoteEnv,
    });
    return { sha, outcome: OUTCOME_BY_FLAG[refLine(stdout, ref)?.flag ?? "="] ?? "up_to_date" };
  } catch (error) {
    throw pushFailure({ error, options });
  }
}

async function leaseValue(options: PushBranchOptions): Promise<string> {
  if (options.expectedRemoteSha !== undefined) return options.expectedRemoteSha ?? "";
  const tracking = `refs/remotes/${options.remote}/${options.branch}`;
  const { stdout, exitCode } = await git(["rev-parse", "--verify", "--quiet", tracking], {
    cwd: options.cwd,
    okExitCodes: [1],
  });
  return exitCode === 0 ? stdout.trim() : "";
}

/** The porcelain line for one ref: `<flag>\t<from>:<to>\t<summary>`. */
function refLine(stdout: string, ref: string): { flag: string; summary: string } | undefined {
  for (const line of stdout.split("\n")) {
    const [flag, refs, summary] = line.split("\t");
    if (flag !== undefined && flag.length === 1 && refs?.endsWith(`:${ref}`))
      return { flag, summary: summary ?? "" };
  }
  return undefined;
}

function pushFailure(args: { error: unknown; options: PushBranchOptions }): TaskFailure {
  const { error, options } = args;
  const { branch } = options;
  const remote = redactCredentials(options.remote);
  const line = error instanceof GitError ? refLine(error.stdout, `refs/heads/${branch}`) : undefined;
  if (line?.flag !== "!") return gitFailure(error, `push ${branch} to ${remote}`);

  const reason = /\(([^)]*)\)\s*$/.exec(line.summary)?.[1] ?? line.summary;
  let message: string;
  if (line.summary.includes("remote rejected")) {
    message =
      `${remote} refused the push to ${branch} (${reason}). The branch may be protected, or a push ` +
      `rule or hook on the repository turned it down: allow the push, or give the task another branch_name.`;
  } else if (reason === "stale info") {
    message =
      `The branch ${branch} on ${remote} changed while this run was working (someone pushed to it, or ` +
      `another run of the same task is active), so the push was stopped to keep those commits. Look at ` +
      `the branch's latest commits, then retry the task to rebuild it from its base.`;
  } else {
    message =
      `The branch ${branch} on ${remote} has commits this run does not have (${reason}), so pushing would ` +
      `have dropped them. Look at the branch's latest commits; to replace them with this task's work, ` +
      `retry the task (a retry rebuilds the branch from its base and replaces it).`;
  }
  return new TaskFailure("push_rejected", message, { cause: error });
}
