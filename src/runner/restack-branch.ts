import { keepRemoteTip } from "./branch-ownership.js";
import {
  RUNNER_COMMIT_CONFIG,
  git,
  gitValue,
  isAncestor,
  redactCredentials,
  resolveCommits,
  splitNul,
} from "./git.js";
import { pushBranch } from "./push-branch.js";
import { TaskFailure, gitFailure } from "./task-failure.js";

/**
 * Restacking: a task's branch was built on its dependency's branch, and that base moved. The
 * task's own commits — those after the dependency's tip it was built on — are replayed onto the
 * new base with `git rebase --onto <new base> <old dependency tip>`:
 *
 * - the dependency gained commits (a follow-up): onto the dependency's branch as it is now;
 * - the dependency's pull request was squash- or rebase-merged: onto the base branch, and only the
 *   task's own commits are replayed (the dependency's are in the base under other shas);
 * - it was merged with a merge commit: onto the base branch too (the old tip is an ancestor of it,
 *   so this is a plain rebase onto the base).
 *
 * The old dependency tip is the one the caller names (a merged pull request's head) or the
 * dependency's branch as it is now; where the task's branch forked from it (`merge-base`) is the
 * upstream, so commits the dependency gained after the task was built are not the task's either.
 *
 * Nothing is lost: the branch's old tip is kept on the remote under
 * `refs/orchestrator/replaced/<branch>/<sha>` before the push, and the push is leased on the tip
 * read at the start (a push made meanwhile stops it). A conflict aborts the rebase and pushes
 * nothing. Merge commits on the task's branch are not kept (the rebase lays its commits in a line).
 */

export interface RestackBranchOptions {
  /** A checkout the runner owns (the Actions job's): the branch is checked out here. */
  cwd: string;
  remote: string;
  /** Environment for the git commands that talk to `remote` (the Action's credentials). */
  remoteEnv?: Record<string, string> | undefined;
  /** The task's branch, rebased. */
  branch: string;
  /** Where it goes: the dependency's branch (its work changed) or the base branch (it merged). */
  onto: string;
  /** The dependency's branch the task's branch was built on. */
  dependency: string;
  /** The dependency's tip the branch was built on, when known (a merged PR's head sha). */
  oldDependencyTip?: string | undefined;
  /** Committer of the replayed commits; their authors and messages (trailers too) are kept. */
  committer: { name: string; email: string };
}

export type RestackOutcome =
  | {
      kind: "rebased";
      previousSha: string;
      sha: string;
      ontoSha: string;
      /** The commit the task's own commits started after (the old dependency tip they forked from). */
      upstream: string;
      /** How many of the task's commits are on the new branch (those that became empty are dropped). */
      replayed: number;
      /** Where the old tip is kept on the remote. */
      keptRef: string;
    }
  /** The branch already holds the new base: nothing to do, nothing pushed. */
  | { kind: "up_to_date"; sha: string; ontoSha: string }
  /** Replaying a commit conflicted: the rebase was aborted and nothing pushed. */
  | {
      kind: "conflict";
      previousSha: string;
      ontoSha: string;
      upstream: string;
      files: string[];
      /** The task's commit whose replay conflicted. */
      stoppedAt?: { sha: string; subject: string } | undefined;
    };

export async function restackBranch(options: RestackBranchOptions): Promise<RestackOutcome> {
  try {
    return await restack(options);
  } catch (error) {
    throw gitFailure(error, `restack the branch ${options.branch} onto ${options.onto}`);
  }
}

async function restack(options: RestackBranchOptions): Promise<RestackOutcome> {
  const { cwd, remote, branch, onto, dependency } = options;
  const env = options.remoteEnv;
  const tracking = (name: string) => `refs/remotes/${remote}/${name}`;
  const heads = await remoteHeads({ cwd, remote, env, names: [branch, onto, dependency] });
  const where = `on ${redactCredentials(remote)}`;
  if (!heads.has(branch))
    throw new TaskFailure(
      "missing_base",
      `The branch ${branch} does not exist ${where}: there is nothing to restack.`,
    );
  if (!heads.has(onto))
    throw new TaskFailure(
      "missing_base",
      `The branch ${onto} does not exist ${where}, so ${branch} cannot be restacked onto it.`,
    );
  const fetched = [branch, onto, ...(heads.has(dependency) && dependency !== onto ? [dependency] : [])];
  await git(
    [
      "fetch",
      "--no-tags",
      "--quiet",
      remote,
      ...fetched.map((name) => `+refs/heads/${name}:${tracking(name)}`),
    ],
    { cwd, env },
  );
  const [previousSha, ontoSha] = (await resolveCommits([tracking(branch), tracking(onto)], { cwd })) as [
    string,
    string,
  ];
  const oldTip = await oldDependencyTip({ ...options, heads, tracking: tracking(dependency) });
  const upstream = await mergeBase(cwd, previousSha, oldTip);
  if (upstream === null)
    throw new TaskFailure(
      "missing_base",
      `The branch ${branch} does not build on ${dependency} (${oldTip.slice(0, 12)}): it shares no history ` +
        `with it, so which of its commits are its own cannot be told. Rebase it by hand.`,
    );
  if (await isAncestor(cwd, ontoSha, previousSha)) return { kind: "up_to_date", sha: previousSha, ontoSha };

  // A rebase left in progress by a step before would block the checkout.
  await git(["rebase", "--abort"], { cwd, okExitCodes: [1, 128], env });
  await git(["checkout", "--quiet", "--force", "--no-track", "-B", branch, tracking(branch)], { cwd, env });
  const committerEnv = {
    GIT_COMMITTER_NAME: options.committer.name,
    GIT_COMMITTER_EMAIL: options.committer.email,
  };
  try {
    await git(
      [
        ...RUNNER_COMMIT_CONFIG,
        "-c",
        "rebase.autoStash=false",
        "-c",
        "rebase.updateRefs=false",
        "rebase",
        "--quiet",
        "--no-verify",
        "--no-autosquash",
        // The task's empty trailer commit (on top of an agent's own commits) is kept; a commit that
        // becomes empty (its change is in the new base already) is dropped.
        "--keep-empty",
        "--empty=drop",
        "--onto",
        ontoSha,
        upstream,
        branch,
      ],
      // The remote's credentials too: in a partial clone the rebase fetches the contents it reads.
      { cwd, env: { ...committerEnv, ...env } },
    );
  } catch (error) {
    const files = splitNul(
      (await git(["diff", "--name-only", "--diff-filter=U", "-z"], { cwd, okExitCodes: [1] })).stdout,
    );
    const stoppedAt = await rebaseStop(cwd);
    await git(["rebase", "--abort"], { cwd, okExitCodes: [1, 128], env });
    if (files.length === 0) throw gitFailure(error, `rebase ${branch} onto ${onto}`);
    return { kind: "conflict", previousSha, ontoSha, upstream, files, stoppedAt };
  }
  const sha = await gitValue(["rev-parse", "HEAD"], { cwd });
  const replayed = Number(await gitValue(["rev-list", "--count", `${ontoSha}..${sha}`], { cwd }));
  // Kept before the branch moves, so no path drops the old commits.
  const keptRef = await keepRemoteTip({ cwd, remote, branch, sha: previousSha, env });
  await pushBranch({ cwd, remote, branch, force: true, expectedRemoteSha: previousSha, remoteEnv: env });
  return { kind: "rebased", previousSha, sha, ontoSha, upstream, replayed, keptRef };
}

/** The remote tips of the named branches that exist (one request). */
async function remoteHeads(args: {
  cwd: string;
  remote: string;
  env: Record<string, string> | undefined;
  names: string[];
}): Promise<Map<string, string>> {
  const { stdout } = await git(
    ["ls-remote", "--heads", args.remote, ...[...new Set(args.names)].map((name) => `refs/heads/${name}`)],
    { cwd: args.cwd, env: args.env },
  );
  const heads = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const [sha, ref] = line.split("\t");
    if (sha && ref?.startsWith("refs/heads/")) heads.set(ref.slice("refs/heads/".length), sha);
  }
  return heads;
}

/**
 * The dependency tip the branch was built on: the one named (fetched by its sha when this checkout
 * lacks it: the dependency's branch may be gone after its merge), else the dependency's branch.
 */
async function oldDependencyTip(args: {
  cwd: string;
  remote: string;
  remoteEnv?: Record<string, string> | undefined;
  dependency: string;
  oldDependencyTip?: string | undefined;
  heads: Map<string, string>;
  tracking: string;
}): Promise<string> {
  const { cwd } = args;
  const named = args.oldDependencyTip;
  if (named !== undefined) {
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(named))
      throw new TaskFailure(
        "missing_base",
        `The old tip of ${args.dependency} is not a commit sha: "${named}".`,
      );
    let [found] = await resolveCommits([named], { cwd });
    if (!found) {
      await git(["fetch", "--no-tags", "--quiet", args.remote, named], {
        cwd,
        env: args.remoteEnv,
        okExitCodes: [1, 128],
      });
      [found] = await resolveCommits([named], { cwd });
    }
    if (found) return found;
    throw new TaskFailure(
      "missing_base",
      `The commit ${named.slice(0, 12)} (the tip of ${args.dependency} this branch was built on) cannot be ` +
        `fetched, so which commits are the task's own cannot be told. Rebase the branch by hand.`,
    );
  }
  if (!args.heads.has(args.dependency))
    throw new TaskFailure(
      "missing_base",
      `The branch ${args.dependency} this task was built on no longer exists, and its old tip was not given: ` +
        `which commits are the task's own cannot be told. Rebase the branch by hand.`,
    );
  const [tip] = await resolveCommits([args.tracking], { cwd });
  if (!tip) throw new TaskFailure("missing_base", `The branch ${args.dependency} could not be fetched.`);
  return tip;
}

async function mergeBase(cwd: string, a: string, b: string): Promise<string | null> {
  const { stdout, exitCode } = await git(["merge-base", a, b], { cwd, okExitCodes: [1] });
  return exitCode === 0 ? stdout.trim() : null;
}

/** The commit a stopped rebase was replaying, when git says. */
async function rebaseStop(cwd: string): Promise<{ sha: string; subject: string } | undefined> {
  const { stdout, exitCode } = await git(
    ["log", "-1", "--no-show-signature", "--format=%H%n%s", "REBASE_HEAD"],
    {
      cwd,
      okExitCodes: [128],
    },
  );
  if (exitCode !== 0) return undefined;
  const [sha = "", subject = ""] = stdout.split("\n");
  return sha ? { sha, subject } : undefined;
}
