import { git } from "./git.js";
import { pushBranch, type PushedBranch } from "./push-branch.js";
import { isTaskFailure } from "./task-failure.js";

export interface PushWorkOptions {
  cwd: string;
  remote: string;
  branch: string;
  /** The remote tip when the run started (`previousSha`), null if the branch did not exist. */
  previousSha: string | null;
  /** Environment for the git commands that talk to `remote`, and only them (the Action's credentials). */
  remoteEnv?: Record<string, string> | undefined;
  attempts?: number;
  delayMs?: (attempt: number) => number;
}

/**
 * Pushes the task branch with a lease on the tip seen at the start: a retry rebuilds the branch
 * from its base, so it replaces the previous attempt's commits — but never commits someone pushed
 * while this run worked (that is `push_rejected`, not retried: it would fail the same way).
 *
 * Network and server errors are retried. A push that reached the remote although we saw an error
 * would then fail its own lease, so each retry first checks whether the remote already has our tip.
 */
export async function pushWork(options: PushWorkOptions): Promise<PushedBranch> {
  const attempts = options.attempts ?? 3;
  const delayMs = options.delayMs ?? ((attempt: number) => 2_000 * 2 ** (attempt - 1));
  const { cwd, remote, branch, remoteEnv } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await pushBranch({
        cwd,
        remote,
        branch,
        force: true,
        expectedRemoteSha: options.previousSha,
        remoteEnv,
      });
    } catch (error) {
      if ((isTaskFailure(error) && error.kind === "push_rejected") || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs(attempt)));
      const local = (await git(["rev-parse", `refs/heads/${branch}`], { cwd })).stdout.trim();
      const remoteTip = await git(["ls-remote", "--heads", remote, `refs/heads/${branch}`], {
        cwd,
        okExitCodes: [2, 128],
        env: remoteEnv,
      });
      if (remoteTip.stdout.startsWith(local)) return { sha: local, outcome: "up_to_date" };
    }
  }
}
