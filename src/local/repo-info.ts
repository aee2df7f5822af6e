import { appendFile, mkdir, readFile, realpath } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ORCHESTRATOR_DIR } from "../runner/commit-task-work.js";
import { GitError, git, gitValue } from "../runner/git.js";

/** Facts about the repository the executor runs in, with user-facing errors when it cannot. */

export class RepoError extends Error {
  override readonly name = "RepoError";
}

/** The top of the working tree containing `dir`, symlinks resolved (as git and /proc report paths). */
export async function repoRootOf(dir: string): Promise<string> {
  try {
    return await realpath(await gitValue(["rev-parse", "--show-toplevel"], { cwd: dir }));
  } catch (error) {
    if (error instanceof GitError) {
      throw new RepoError(
        `${dir} is not inside a git working tree. Run this in a clone of your project (git init).`,
      );
    }
    throw error;
  }
}

/** The checked-out branch, or null when HEAD is detached. */
export async function currentBranch(repoRoot: string): Promise<string | null> {
  const { stdout, exitCode } = await git(["symbolic-ref", "--quiet", "--short", "HEAD"], {
    cwd: repoRoot,
    okExitCodes: [1],
  });
  return exitCode === 0 ? stdout.trim() : null;
}

export async function branchExists(repoRoot: string, branch: string): Promise<boolean> {
  const { exitCode } = await git(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`], {
    cwd: repoRoot,
    okExitCodes: [1],
  });
  return exitCode === 0;
}

export const DEFAULT_AUTHOR = { name: "Orchestrator", email: "orchestrator@localhost" } as const;

/**
 * Who the task commits are by: `ORCHESTRATOR_AUTHOR_NAME`/`_EMAIL`, else the repository's git
 * identity (the user runs the agents, so the work is theirs to own), else a neutral default so a
 * machine without git config still works.
 */
export async function commitAuthor(
  repoRoot: string,
  env: NodeJS.ProcessEnv,
): Promise<{ name: string; email: string }> {
  const configured = async (key: string) =>
    (await git(["config", "--get", key], { cwd: repoRoot, okExitCodes: [1] })).stdout.trim();
  const name = env.ORCHESTRATOR_AUTHOR_NAME || (await configured("user.name")) || DEFAULT_AUTHOR.name;
  const email = env.ORCHESTRATOR_AUTHOR_EMAIL || (await configured("user.email")) || DEFAULT_AUTHOR.email;
  return { name, email };
}

/**
 * Makes sure git ignores `.orchestrator/` (state, logs, worktrees) without touching a tracked
 * file: if no ignore rule covers it yet, it goes to `.git/info/exclude`, which is local.
 */
export async function ensureOrchestratorDirIgnored(repoRoot: string): Promise<void> {
  const probe = `${ORCHESTRATOR_DIR}/state.json`;
  const { exitCode } = await git(["check-ignore", "--quiet", "--no-index", probe], {
    cwd: repoRoot,
    okExitCodes: [1],
  });
  if (exitCode === 0) return;
  const excludePath = resolve(
    repoRoot,
    await gitValue(["rev-parse", "--git-path", "info/exclude"], { cwd: repoRoot }),
  );
  const current = await readFile(excludePath, "utf8").catch(() => "");
  await mkdir(dirname(excludePath), { recursive: true });
  const separator = current.length > 0 && !current.endsWith("\n") ? "\n" : "";
  await appendFile(excludePath, `${separator}/${ORCHESTRATOR_DIR}/\n`);
}
