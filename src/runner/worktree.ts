import { readFile, readdir, realpath, rm } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { git, gitValue } from "./git.js";
import { TaskFailure, gitFailure } from "./task-failure.js";

/** One entry of `git worktree list`. The first entry is the main checkout. */
export interface WorktreeInfo {
  path: string;
  /** Null for a bare repository's entry. */
  head: string | null;
  /** Short branch name; null when detached or bare. */
  branch: string | null;
  bare: boolean;
  detached: boolean;
  /** Null when not locked; the reason (possibly empty) when locked. */
  lockReason: string | null;
  /** Set when git considers the entry stale (its directory is gone); the reason git gives. */
  prunableReason: string | null;
}

export interface AddWorktreeOptions {
  repoDir: string;
  path: string;
  /**
   * Created, or reset if it exists, at `startPoint`. Resetting drops what the branch held: the
   * caller checks first that it may (`prepareTaskBranch` does, before it calls `create`).
   */
  branch: string;
  startPoint: string;
}

export interface AddedWorktree {
  path: string;
  /** What was cleared first, left behind by an earlier run that crashed (empty normally). */
  recovered: string[];
}

export async function listWorktrees(repoDir: string): Promise<WorktreeInfo[]> {
  const { stdout } = await git(["worktree", "list", "--porcelain", "-z"], { cwd: repoDir });
  const worktrees: WorktreeInfo[] = [];
  let current: WorktreeInfo | undefined;
  // Records are NUL-separated fields with an empty field between records.
  for (const field of stdout.split("\0")) {
    if (field === "") {
      if (current) worktrees.push(current);
      current = undefined;
      continue;
    }
    const space = field.indexOf(" ");
    const key = space === -1 ? field : field.slice(0, space);
    const value = space === -1 ? "" : field.slice(space + 1);
    if (key === "worktree") {
      current = {
        path: value,
        head: null,
        branch: null,
        bare: false,
        detached: false,
        lockReason: null,
        prunableReason: null,
      };
    } else if (current) {
      if (key === "HEAD") current.head = value;
      else if (key === "branch") current.branch = value.replace(/^refs\/heads\//, "");
      else if (key === "bare") current.bare = true;
      else if (key === "detached") current.detached = true;
      else if (key === "locked") current.lockReason = value;
      else if (key === "prunable") current.prunableReason = value;
    }
  }
  if (current) worktrees.push(current);
  return worktrees;
}

/** Forgets worktrees whose directories are gone (locked ones are kept, as git does). */
export async function pruneWorktrees(repoDir: string): Promise<void> {
  await git(["worktree", "prune"], { cwd: repoDir });
}

/**
 * Creates a worktree at `path` on `branch`, reset to `startPoint`.
 *
 * A crashed run can leave behind: the worktree itself (registered, maybe dirty or locked while
 * being created), a registration whose directory was deleted, or a directory whose registration
 * was pruned. All of these are for this path, which the executor owns, so they are cleared and
 * the worktree is made again instead of failing. What is not ours is never deleted: a
 * non-empty directory that is not a worktree of this repository, or the branch checked out in
 * another live worktree (maybe the user's own checkout), fails with `worktree_conflict`.
 *
 * Each of those makes `git worktree add` itself fail, so it is tried first and the leftovers are
 * looked for only then: one git call, not four, in the usual case.
 */
export async function addWorktree(options: AddWorktreeOptions): Promise<AddedWorktree> {
  const { repoDir, branch } = options;
  try {
    const path = await canonicalPath(resolve(repoDir, options.path));
    const add = () =>
      git(["worktree", "add", "--quiet", "--no-track", "-B", branch, path, options.startPoint], {
        cwd: repoDir,
      });
    try {
      await add();
      return { path, recovered: [] };
    } catch {
      // Cleared below, or named as a conflict; any other problem fails the second add again.
    }
    const recovered = await clearLeftovers({ repoDir, path, branch });
    await add();
    return { path, recovered };
  } catch (error) {
    throw gitFailure(error, `create a worktree for ${branch} at ${options.path}`);
  }
}

/** Clears what a crashed run left at `path` or holding `branch`, or fails with `worktree_conflict`. */
async function clearLeftovers(args: { repoDir: string; path: string; branch: string }): Promise<string[]> {
  const { repoDir, path, branch } = args;
  const recovered: string[] = [];
  await pruneWorktrees(repoDir);

  for (const entry of await listWorktrees(repoDir)) {
    const samePath = (await canonicalPath(entry.path)) === path;
    if (samePath) {
      await forceRemove(repoDir, entry.path);
      recovered.push(`removed the worktree left at ${entry.path}`);
    } else if (entry.branch === branch) {
      if (!(await isCrashLeftover(entry))) {
        throw new TaskFailure(
          "worktree_conflict",
          `The branch ${branch} is checked out in another worktree at ${entry.path}, so a worktree ` +
            `for it cannot be made at ${path}. Switch that checkout to another branch or remove it ` +
            `(git worktree remove "${entry.path}").`,
        );
      }
      await forceRemove(repoDir, entry.path);
      recovered.push(`forgot the missing worktree ${entry.path} that had ${branch} checked out`);
    }
  }

  const leftover = await inspectDirectory({ repoDir, path });
  if (leftover === "foreign") {
    throw new TaskFailure(
      "worktree_conflict",
      `${path} already exists and is not a worktree of this repository, so it was left alone. ` +
        `Move it away or choose another place for the worktrees.`,
    );
  }
  if (leftover === "leftover") {
    await rm(path, { recursive: true, force: true });
    recovered.push(`deleted the unregistered worktree directory ${path}`);
  }
  return recovered;
}

/**
 * Removes the worktree at `path`, dirty or locked, and forgets it. Does nothing when nothing is
 * there, so it is safe to call again after a crash. Returns whether anything was removed.
 *
 * A worktree git knows under this very path is removed with one git call; anything else (a
 * directory git forgot, a registration whose directory is gone, another spelling of the path)
 * is looked for only when that fails.
 */
export async function removeWorktree(options: { repoDir: string; path: string }): Promise<boolean> {
  const { repoDir } = options;
  try {
    const path = await canonicalPath(resolve(repoDir, options.path));
    const removedDirectly = await forceRemove(repoDir, path).then(
      () => true,
      () => false,
    );
    if (removedDirectly) return true;
    let removed = false;
    for (const entry of await listWorktrees(repoDir)) {
      if ((await canonicalPath(entry.path)) !== path) continue;
      await forceRemove(repoDir, entry.path);
      removed = true;
    }
    if ((await inspectDirectory({ repoDir, path })) === "leftover") {
      await rm(path, { recursive: true, force: true });
      removed = true;
    }
    await pruneWorktrees(repoDir);
    return removed;
  } catch (error) {
    throw gitFailure(error, `remove the worktree at ${options.path}`);
  }
}

/**
 * A registration elsewhere that a crash left: its directory is gone, and it is either unlocked
 * (git calls it prunable) or locked by `git worktree add` itself ("initializing"), which means
 * the add never finished. A worktree locked by someone, e.g. on an unmounted disk, is not ours.
 */
async function isCrashLeftover(entry: WorktreeInfo): Promise<boolean> {
  if (entry.prunableReason !== null) return true;
  if (entry.lockReason !== "initializing") return false;
  return (await readdir(entry.path).catch(() => null)) === null;
}

/** Twice `--force`: removes a worktree even if it has changes or is locked (git's own rule). */
async function forceRemove(repoDir: string, path: string): Promise<void> {
  await git(["worktree", "remove", "--force", "--force", path], { cwd: repoDir });
}

/**
 * What is at `path` on disk: nothing (or an empty directory), a worktree directory of this
 * repository that git no longer knows (its `.git` file points into our `worktrees/` folder), or
 * something else, which is not ours to delete.
 */
async function inspectDirectory(args: {
  repoDir: string;
  path: string;
}): Promise<"absent" | "leftover" | "foreign"> {
  const entries = await readdir(args.path).catch(() => null);
  if (entries === null || entries.length === 0) return "absent";
  const dotGit = await readFile(join(args.path, ".git"), "utf8").catch(() => null);
  const gitdir = dotGit?.match(/^gitdir: (.+)$/m)?.[1]?.trim();
  if (!gitdir) return "foreign";
  const commonDir = resolve(
    args.repoDir,
    await gitValue(["rev-parse", "--git-common-dir"], { cwd: args.repoDir }),
  );
  const worktreesDir = await canonicalPath(join(commonDir, "worktrees"));
  const pointsTo = await canonicalPath(resolve(args.path, gitdir));
  const inside = relative(worktreesDir, pointsTo);
  return inside !== "" && !inside.startsWith("..") && !isAbsolute(inside) ? "leftover" : "foreign";
}

/**
 * Absolute path with symlinks resolved as far as the path exists (git reports real paths; on
 * macOS /tmp is /private/tmp), so paths from git and from callers compare equal.
 */
async function canonicalPath(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    const parent = dirname(absolute);
    if (parent === absolute) return absolute;
    return join(await canonicalPath(parent), basename(absolute));
  }
}
