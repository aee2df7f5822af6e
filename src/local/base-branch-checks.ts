import { git, isAncestor } from "../runner/git.js";

/** What the executor asks git about the user's checkout and base branch. */

/** Whether the user's checkout is on the base branch with changes to tracked files. */
export async function hasUncommittedWork(repoRoot: string, baseBranch: string): Promise<boolean> {
  // One call for both: the branch header and a line per changed file. No ahead/behind count,
  // which would walk the history to the upstream.
  const { stdout } = await git(
    ["status", "--porcelain=v2", "--branch", "--no-ahead-behind", "--untracked-files=no"],
    { cwd: repoRoot },
  );
  const lines = stdout.split("\n").filter((line) => line !== "");
  const onBase = lines.includes(`# branch.head ${baseBranch}`);
  return onBase && lines.some((line) => !line.startsWith("#"));
}

/** Whether `tip` is in the base branch (merged by the user, by any means). */
export async function isMergedInto(repoRoot: string, tip: string, baseBranch: string): Promise<boolean> {
  return isAncestor(repoRoot, tip, `refs/heads/${baseBranch}`);
}
