import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { BaseStrategy } from "../core/tasks-schema.js";
import { allSettledOrThrow } from "./all-settled-or-throw.js";
import { branchIsStartFailure, guardExistingBranch, type ReplacedTip } from "./branch-ownership.js";
import { ORCHESTRATOR_DIR } from "./commit-task-work.js";
import { branchToContinue, holdsTaskWork, type ContinuedBranch } from "./continue-task-branch.js";
import { GitError, git, gitValue, redactCredentials, resolveCommits } from "./git.js";
import { mergeDependency } from "./merge-dependency.js";
import { prefetchBranchContents } from "./partial-clone.js";
import { TaskFailure, gitFailure } from "./task-failure.js";

export interface PrepareTaskBranchOptions {
  /** A checkout the runner owns (a task worktree, an Actions checkout): it is reset and cleaned. */
  cwd: string;
  /**
   * Set when `cwd` does not exist yet: `create` makes it, on the task branch at its start (the
   * local executor adds a worktree there). A new checkout has nothing to reset (no merge left in
   * progress, no stray files), so this replaces the reset, checkout and clean of an existing one,
   * and the files are checked out once, at the right commit. Git runs in `repoDir` until then.
   */
  newCheckout?: {
    repoDir: string;
    /** `startPoint`: a commit or ref, as `git worktree add -B <branch> <path> <startPoint>` takes it. */
    create: (args: { branch: string; startPoint: string }) => Promise<void>;
  };
  /** The task's branch, created or reset here. */
  branch: string;
  baseBranch: string;
  /** Branches of the task's dependencies, in the tasks file's order. */
  dependencyBranches: readonly string[];
  strategy: BaseStrategy;
  /** Remote to fetch from and start on (`"origin"` in the Action); undefined: local branches. */
  remote?: string;
  /**
   * Environment for the git commands that talk to `remote`, and only them (the Action's
   * credentials). In a partial clone (the task workflow checks out without file contents) the
   * checkout and the merges talk to it too: git fetches the contents they need on demand, from
   * `remote`, and without the credentials that fetch would be refused. They all run before the
   * agent does.
   */
  remoteEnv?: Record<string, string> | undefined;
  /** Identity for merge commits, so they never depend on the machine's git config. */
  author: { name: string; email: string };
  /**
   * The task being prepared, named in merge commit messages and failure messages. An existing
   * branch whose tip is a commit of this task (trailer `Orchestrator-Task: <id>`) may be reset.
   */
  taskId?: string;
  /**
   * Commits this caller recorded as earlier attempts of this task; the branch may be reset or
   * built on past them.
   */
  knownAttemptCommits?: readonly string[] | undefined;
  /**
   * Reset the branch even if it holds commits that are not this task's (`reset_existing`,
   * `--reset-existing`); its old tip is kept under `refs/orchestrator/replaced/<branch>/<sha>`.
   * Without it, such a branch fails the task with `branch_not_ours` and is left as it was.
   */
  resetExisting?: boolean | undefined;
  /**
   * The task's existing branch (on `remote`, else the local one) is kept and built on, its commits
   * kept, instead of being reset to the base (a follow-up on existing work). A branch that does not
   * exist starts from the base; one holding others' commits is refused as for a reset. A branch
   * whose tip is this task's checkpoint is continued without being asked (see `continue-task-branch.ts`).
   */
  continueExisting?: boolean | undefined;
}

export interface PreparedTaskBranch {
  /** Where the task's work starts: the agent's changes are everything after this commit. */
  baseSha: string;
  /** The ref the branch was created from (e.g. `origin/main`, `orchestrator/a`). */
  startPoint: string;
  /** Dependency branches merged on top of the start point, in order. */
  mergedBranches: string[];
  /**
   * The task branch's tip before this attempt (on the remote when one is given, else locally), or
   * null if it did not exist. A push must lease against it (see `pushBranch`).
   */
  previousSha: string | null;
  /** Set when `resetExisting` replaced a branch holding others' commits: where they are kept. */
  replaced?: ReplacedTip[];
  /** Set when the attempt goes on from the existing branch (its tip is `baseSha`), and why. */
  continued?: ContinuedBranch;
}

/**
 * Creates the task branch from its base and checks it out in `cwd`.
 *
 * Where it starts: strategy "dependencies" with no dependency → the base branch; one → that
 * dependency's branch; several → the first, with the others merged in (`--no-ff`, one merge commit
 * per branch, naming it). "merged" and "base_branch" → the base branch tip (fetched fresh with a
 * remote; for "merged" the caller has waited for the dependencies' pull requests to be merged).
 *
 * Retries start from a fresh base, not from the previous attempt's branch, even if that attempt
 * pushed work — except a follow-up on existing work (`continueExisting`) and an attempt after a
 * checkpoint (the previous one ran out of time), which go on from the branch as it is, its commits
 * kept, with no merge or rebase (`continue-task-branch.ts`). A retry is asked for because the attempt failed: its commits are half-done or
 * rejected work, and its base may be stale (a dependency that was retried meanwhile has new
 * commits). Building on it would mix two attempts in one pull request and make the result depend
 * on how far the failed run got. The old tip is not lost: it is returned as `previousSha` (for the
 * job summary) and the pull request timeline keeps the force-push with both shas.
 *
 * An existing branch is only reset when everything on it is this task's (an earlier attempt, see
 * `branch-ownership.ts`): a branch_name that names a user's branch fails the task with
 * `branch_not_ours` and leaves it as it was, unless `resetExisting` says to replace it (the old
 * tip is kept under a ref first). The base branch itself is never the task's branch.
 *
 * A merge conflict between dependency branches fails the task (`merge_conflict`, naming the
 * branches and files) instead of being handed to the agent, because:
 * - the conflict is between two other tasks' finished work; this task's prompt is about something
 *   else, and a resolution the agent makes on the side lands unreviewed inside an unrelated PR;
 * - committing conflict markers gives the agent a branch that does not build and a diff that mixes
 *   the resolution with the task's own work;
 * - it is a signal about the graph (two parallel tasks edited the same lines) that the user fixes
 *   best by ordering those tasks, and it costs seconds instead of an agent run's budget.
 */
export async function prepareTaskBranch(options: PrepareTaskBranchOptions): Promise<PreparedTaskBranch> {
  try {
    return await prepare(options);
  } catch (error) {
    throw gitFailure(error, `prepare the branch ${options.branch}`);
  }
}

async function prepare(options: PrepareTaskBranchOptions): Promise<PreparedTaskBranch> {
  const { cwd, branch, remote, newCheckout } = options;
  const sources =
    options.strategy === "dependencies" && options.dependencyBranches.length > 0
      ? [...new Set(options.dependencyBranches)]
      : [options.baseBranch];
  const lookupDir = newCheckout?.repoDir ?? cwd;
  const [first, ...others] = sources as [string, ...string[]];
  if (branch === options.baseBranch || sources.includes(branch))
    throw branchIsStartFailure({ branch, taskId: options.taskId, isBase: branch === options.baseBranch });

  const { startSha, previousSha } = remote
    ? {
        startSha: undefined,
        previousSha: await fetchSources({ cwd: lookupDir, remote, branch, sources, options }),
      }
    : await checkLocalSources({ cwd: lookupDir, branch, sources, options });
  const refOf = (name: string) => (remote ? `refs/remotes/${remote}/${name}` : `refs/heads/${name}`);
  // A local branch starts at the commit just resolved, so the checkout and the lookup agree even
  // if the branch moves meanwhile; a remote one at the tip just fetched.
  const start = startSha ?? refOf(first);
  // A follow-up builds on the task's pull request as it is, with what reviewers committed to it.
  const buildsOnReviewed =
    options.continueExisting === true &&
    options.taskId !== undefined &&
    previousSha !== null &&
    (await holdsTaskWork({ cwd: lookupDir, tip: previousSha, start, taskId: options.taskId }));
  const replaced = buildsOnReviewed
    ? []
    : await guardExistingBranch({
        cwd: lookupDir,
        branch,
        remote,
        remoteEnv: options.remoteEnv,
        taskId: options.taskId,
        knownAttemptCommits: options.knownAttemptCommits,
        resetExisting: options.resetExisting,
        startRefs: [start, ...others.map(refOf)],
        startPoint: remote ? `${remote}/${first}` : first,
        remoteTip: remote ? previousSha : null,
        // In the Action the checkout may have the branch too (checked out, or left by a step before).
        localTip: remote
          ? ((await resolveCommits([`refs/heads/${branch}`], { cwd: lookupDir }))[0] ?? null)
          : previousSha,
        ...(remote
          ? { deepen: () => unshallowSources({ cwd: lookupDir, remote, sources, env: options.remoteEnv }) }
          : {}),
      });

  // Checked like a reset first: a branch holding others' commits is refused, not built on (and one
  // that `resetExisting` replaced starts from the base).
  const continued =
    replaced.length > 0
      ? null
      : await branchToContinue({
          cwd: lookupDir,
          tip: previousSha,
          taskId: options.taskId,
          continueExisting: options.continueExisting,
        });
  const startAt = continued?.tip ?? start;
  const merges = continued ? [] : others;

  // A partial clone lacks the contents of the start and of what is merged: one request for them
  // all. Best effort: without it the checkout and merges fetch them on demand, and report failures.
  if (remote)
    await prefetchBranchContents({
      cwd: lookupDir,
      remote,
      start: startAt,
      merged: merges.map(refOf),
      env: options.remoteEnv,
    }).catch(() => 0);

  await allSettledOrThrow([
    newCheckout
      ? newCheckout.create({ branch, startPoint: startAt })
      : checkoutFresh({ cwd, branch, startRef: startAt, env: options.remoteEnv }),
    // The exclude file is the repository's, shared by all its checkouts: no need to wait for this one.
    excludeOrchestratorDir(lookupDir),
  ]);

  const mergedInto = [first];
  for (const other of merges) {
    await mergeDependency({
      options,
      other,
      otherRef: refOf(other),
      into: mergedInto,
      allDependencies: sources,
    });
    mergedInto.push(other);
  }

  // HEAD is the start commit unless merges moved it (or the start was a fetched ref, not resolved here).
  const baseSha =
    continued?.tip ??
    (others.length === 0 && startSha !== undefined
      ? startSha
      : await gitValue(["rev-parse", "HEAD"], { cwd }));
  const startName = continued ? branch : first;
  return {
    baseSha,
    startPoint: remote ? `${remote}/${startName}` : startName,
    mergedBranches: merges,
    previousSha,
    ...(replaced.length > 0 ? { replaced } : {}),
    ...(continued ? { continued } : {}),
  };
}

/** Fetches the start branches (and learns the task branch's remote tip); returns that tip. */
async function fetchSources(args: {
  cwd: string;
  remote: string;
  branch: string;
  sources: string[];
  options: PrepareTaskBranchOptions;
}): Promise<string | null> {
  const { cwd, remote, branch, sources } = args;
  const wanted = [...sources, branch].map((name) => `refs/heads/${name}`);
  const env = args.options.remoteEnv;
  const listed = await gitOrFail(
    ["ls-remote", "--heads", remote, ...wanted],
    cwd,
    "list the remote branches",
    env,
  );
  const remoteTips = new Map<string, string>();
  for (const line of listed.split("\n")) {
    const [sha, ref] = line.split("\t");
    if (sha && ref) remoteTips.set(ref, sha);
  }
  const missing = sources.filter((name) => !remoteTips.has(`refs/heads/${name}`));
  if (missing.length > 0)
    throw missingBase({ missing, where: `on ${redactCredentials(remote)}`, options: args.options });

  // A shallow checkout (actions/checkout fetches one commit) needs no deepening: a shallow
  // client's fetch brings the new branches' history down to what it has, merge bases included
  // (the shallow-clone test shows it). The task branch comes too when it exists, so what it holds
  // can be checked before it is replaced; its tip as fetched is the one checked and leased on.
  const existing = remoteTips.has(`refs/heads/${branch}`);
  const fetched = existing ? [...sources, branch] : sources;
  const refspecs = fetched.map((name) => `+refs/heads/${name}:refs/remotes/${remote}/${name}`);
  await gitOrFail(["fetch", "--no-tags", "--quiet", remote, ...refspecs], cwd, "fetch the base", env);
  if (!existing) return null;
  return (await resolveCommits([`refs/remotes/${remote}/${branch}`], { cwd }))[0] ?? null;
}

/**
 * In a shallow checkout the history of the start stops at its one commit, so the base commits a
 * branch forked from earlier are not known to be the base's: they would count as the branch's
 * own. Fetching the start branches' whole history fixes that; it is done only when an existing
 * branch is not plainly the task's. Returns whether there was anything to deepen.
 */
async function unshallowSources(args: {
  cwd: string;
  remote: string;
  sources: string[];
  env: Record<string, string> | undefined;
}): Promise<boolean> {
  const { cwd, remote } = args;
  if ((await gitValue(["rev-parse", "--is-shallow-repository"], { cwd })) !== "true") return false;
  const refspecs = args.sources.map((name) => `+refs/heads/${name}:refs/remotes/${remote}/${name}`);
  await gitOrFail(
    ["fetch", "--unshallow", "--no-tags", "--quiet", remote, ...refspecs],
    cwd,
    "fetch the base's history",
    args.env,
  );
  return true;
}

/** Checks that the start branches exist; returns the first one's commit and the task branch's tip. */
async function checkLocalSources(args: {
  cwd: string;
  branch: string;
  sources: string[];
  options: PrepareTaskBranchOptions;
}): Promise<{ startSha: string; previousSha: string | null }> {
  const refs = [...args.sources, args.branch].map((name) => `refs/heads/${name}`);
  const commits = await resolveCommits(refs, { cwd: args.cwd });
  const missing = args.sources.filter((_, i) => commits[i] === null);
  const startSha = commits[0];
  if (missing.length > 0 || !startSha) {
    throw missingBase({ missing, where: "in this repository", options: args.options });
  }
  return { startSha, previousSha: commits[args.sources.length] ?? null };
}

function missingBase(args: {
  missing: string[];
  where: string;
  options: PrepareTaskBranchOptions;
}): TaskFailure {
  const { missing, where, options } = args;
  const list = missing.join(", ");
  const isBase = missing.length === 1 && missing[0] === options.baseBranch;
  const task = options.taskId ? `task ${options.taskId}` : "the task";
  const message = isBase
    ? `The base branch ${list} does not exist ${where}, so ${task} has nowhere to start. ` +
      `Check base_branch in the tasks file (or the --ref you started with).`
    : `The branch${missing.length > 1 ? "es" : ""} ${list} of ${task}'s dependencies ` +
      `${missing.length > 1 ? "do" : "does"} not exist ${where}. A dependency may have finished ` +
      `without pushing, or its branch was deleted: retry the dependency, then this task.`;
  return new TaskFailure("missing_base", message);
}

/**
 * Keeps `.orchestrator/` (prompts, logs, state) out of `git add -A` run by the agent itself, not
 * only out of our own commit. `--git-path` finds the shared exclude file from a linked worktree.
 */
async function excludeOrchestratorDir(cwd: string): Promise<void> {
  const excludePath = resolve(cwd, await gitValue(["rev-parse", "--git-path", "info/exclude"], { cwd }));
  const line = `/${ORCHESTRATOR_DIR}/`;
  const current = await readFile(excludePath, "utf8").catch(() => "");
  if (current.split(/\r?\n/).includes(line)) return;
  await mkdir(dirname(excludePath), { recursive: true });
  const separator = current.length > 0 && !current.endsWith("\n") ? "\n" : "";
  await appendFile(excludePath, `${separator}${line}\n`);
}

/** Points the branch at the start ref and makes the working tree match it exactly. */
async function checkoutFresh(args: {
  cwd: string;
  branch: string;
  startRef: string;
  /** The remote's credentials: a partial clone fetches the start's file contents here. */
  env: Record<string, string> | undefined;
}): Promise<void> {
  const { cwd, branch, startRef, env } = args;
  // A merge left in progress by a crashed run would block the checkout.
  await git(["merge", "--abort"], { cwd, okExitCodes: [128], env });
  try {
    await git(["checkout", "--quiet", "--force", "--no-track", "-B", branch, startRef], { cwd, env });
  } catch (error) {
    if (error instanceof GitError && /already (checked out|used by worktree)/.test(error.stderr)) {
      throw new TaskFailure(
        "worktree_conflict",
        `The branch ${branch} is checked out in another worktree, so this run cannot reset it. ` +
          `Remove that worktree (git worktree list shows where it is) or wait for the run using it to end.`,
        { cause: error },
      );
    }
    throw gitFailure(error, `check out ${branch}`);
  }
  // Files a previous attempt left behind would otherwise leak into this one. Ignored files
  // (dependencies, build caches) stay: they are not committed and save a reinstall.
  await gitOrFail(
    ["clean", "-d", "--force", "--quiet", "-e", `/${ORCHESTRATOR_DIR}/`],
    cwd,
    "clean the checkout",
  );
}

async function gitOrFail(
  args: string[],
  cwd: string,
  doing: string,
  env?: Record<string, string>,
): Promise<string> {
  try {
    return (await git(args, { cwd, env })).stdout;
  } catch (error) {
    throw gitFailure(error, doing);
  }
}
