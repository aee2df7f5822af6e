import { plainLine } from "../core/inert-text.js";
import { TASK_TRAILER } from "./commit-task-work.js";
import { git, redactCredentials, resolveCommits } from "./git.js";
import { TaskFailure } from "./task-failure.js";

/**
 * Whether an existing task branch may be reset: the rule that keeps a user's commits from being
 * dropped when a task's `branch_name` names a branch that already has work on it.
 *
 * A branch may be reset when everything it holds beyond the new start point is this task's: its
 * tip is a commit the orchestrator made for this task (trailer `Orchestrator-Task: <id>`, see
 * `commitTaskWork`), or a commit the caller recorded as an earlier attempt, or it holds nothing
 * the start point does not. An orchestrator commit vouches for its ancestors: they are the
 * attempt's start and the agent's own commits it was made on top of (the orchestrator always
 * starts a task's branch from its base, so nothing of a user's can sit below one of its commits
 * unless someone rebuilt the branch by hand). Anything else — a user's commit on the branch, or
 * on top of an earlier attempt — is foreign, and the branch is left alone unless the task allows
 * replacing it (`reset_existing`), in which case the old tip is kept under a ref first.
 */

/** An old branch tip that held others' commits, replaced because the task allowed it. */
export interface ReplacedTip {
  sha: string;
  /** Where it is kept (on the remote for a remote branch). */
  ref: string;
  /** "in this repository" or "on origin". */
  where: string;
  /** How many commits on it were not this task's. */
  foreignCommits: number;
}

/** How many foreign commits a refusal lists; the rest are counted. */
const MAX_LISTED = 10;
const MAX_SUBJECT = 72;

export interface ForeignCommits {
  /** The branch tip that holds them. */
  tip: string;
  /** Newest first, at most `MAX_LISTED`. */
  listed: Array<{ sha: string; subject: string }>;
  total: number;
}

/**
 * The commits on `tip` that resetting the branch to start from `startRefs` would drop and that
 * are not this task's (see above); null when there are none. `tip` must be a commit present here.
 */
export async function findForeignCommits(args: {
  cwd: string;
  tip: string;
  /** Where the new branch starts: the start ref and any branch merged into it. */
  startRefs: readonly string[];
  taskId: string | undefined;
  knownAttemptCommits: readonly string[];
}): Promise<ForeignCommits | null> {
  const { cwd, tip } = args;
  // A recorded commit this repository no longer has (or never fetched) vouches for nothing.
  const known = (await resolveCommits(args.knownAttemptCommits, { cwd })).filter(
    (sha): sha is string => sha !== null,
  );
  // One record per commit (NUL-separated): "sha parents", this task's trailer values, the subject.
  const format = `--format=%H %P%n%(trailers:key=${TASK_TRAILER},valueonly,unfold,separator=%x2C)%n%s`;
  const revisions = [tip, ...[...args.startRefs, ...known].map((ref) => `^${ref}`)];
  const { stdout } = await git(["log", "--no-show-signature", "-z", format, "--stdin"], {
    cwd,
    input: `${revisions.join("\n")}\n`,
  });
  const commits = stdout
    .split("\0")
    .filter((record) => record !== "")
    .map((record) => {
      const [ids = "", trailers = "", ...subject] = record.split("\n");
      const [sha = "", ...parents] = ids.split(" ").filter(Boolean);
      const own = args.taskId !== undefined && trailers.split(",").some((v) => v.trim() === args.taskId);
      return { sha, parents, own, subject: subject.join(" ") };
    });
  if (commits.length === 0 || commits.find((commit) => commit.sha === tip)?.own === true) return null;

  const inRange = new Map(commits.map((commit) => [commit.sha, commit]));
  const vouched = new Set<string>();
  const stack = commits.filter((commit) => commit.own).map((commit) => commit.sha);
  for (let sha = stack.pop(); sha !== undefined; sha = stack.pop()) {
    const commit = inRange.get(sha);
    if (commit === undefined || vouched.has(sha)) continue;
    vouched.add(sha);
    stack.push(...commit.parents);
  }
  const foreign = commits.filter((commit) => !vouched.has(commit.sha));
  return {
    tip,
    listed: foreign.slice(0, MAX_LISTED).map((commit) => ({
      sha: commit.sha,
      // User or agent text: one short line without control characters.
      subject: plainLine(commit.subject, MAX_SUBJECT),
    })),
    total: foreign.length,
  };
}

/**
 * Refuses to reset a branch (local, and on the remote when there is one) that holds commits that
 * are not this task's, or with `resetExisting` keeps its old tip under a ref and lets it be
 * reset. Checked before anything moves the branch; in the Action the push's lease on the remote
 * tip checked here stops anything pushed after this check from being replaced.
 */
export async function guardExistingBranch(args: {
  cwd: string;
  branch: string;
  /** Set in the Action: the remote branch is checked (and its old tip kept there). */
  remote?: string | undefined;
  /** Environment for the git commands that talk to `remote` (the Action's credentials). */
  remoteEnv?: Record<string, string> | undefined;
  taskId?: string | undefined;
  knownAttemptCommits?: readonly string[] | undefined;
  resetExisting?: boolean | undefined;
  startRefs: string[];
  startPoint: string;
  remoteTip: string | null;
  localTip: string | null;
  /**
   * Fetches the start's whole history, when this checkout is shallow: there a commit of the base
   * older than the checkout's one commit looks like the branch's own (`unshallowSources` in prepare-task-branch.ts).
   */
  deepen?: () => Promise<boolean>;
}): Promise<ReplacedTip[]> {
  const { cwd, branch, remote } = args;
  const tips: Array<{ sha: string; where: string; remote?: string }> = [];
  if (remote !== undefined && args.remoteTip !== null)
    tips.push({ sha: args.remoteTip, where: `on ${redactCredentials(remote)}`, remote });
  if (args.localTip !== null && args.localTip !== args.remoteTip)
    tips.push({ sha: args.localTip, where: "in this repository" });

  const found = [];
  let deepened = false;
  for (const tip of tips) {
    const find = () =>
      findForeignCommits({
        cwd,
        tip: tip.sha,
        startRefs: args.startRefs,
        taskId: args.taskId,
        knownAttemptCommits: args.knownAttemptCommits ?? [],
      });
    let foreign = await find();
    // Only when the quick answer (the tip is the task's own) was no: the usual retry stays shallow.
    if (foreign !== null && !deepened && args.deepen !== undefined) {
      deepened = true;
      if (await args.deepen()) foreign = await find();
    }
    if (foreign === null) continue;
    if (args.resetExisting !== true)
      throw foreignCommitsFailure({
        branch,
        where: tip.where,
        taskId: args.taskId,
        startPoint: args.startPoint,
        foreign,
      });
    found.push({ tip, foreign });
  }

  const replaced: ReplacedTip[] = [];
  for (const { tip, foreign } of found) {
    const ref = tip.remote
      ? await keepRemoteTip({ cwd, remote: tip.remote, branch, sha: tip.sha, env: args.remoteEnv })
      : await keepLocalTip({ cwd, branch, sha: tip.sha });
    replaced.push({ sha: tip.sha, ref, where: tip.where, foreignCommits: foreign.total });
  }
  return replaced;
}

/** The ref an old tip is kept under when `reset_existing` replaces a branch. */
export function replacedRef(branch: string, sha: string): string {
  return `refs/orchestrator/replaced/${branch}/${sha}`;
}

/** Keeps a local branch's old tip before it is reset; returns the ref. */
export async function keepLocalTip(args: { cwd: string; branch: string; sha: string }): Promise<string> {
  const ref = replacedRef(args.branch, args.sha);
  await git(["update-ref", ref, args.sha], { cwd: args.cwd });
  return ref;
}

/**
 * Keeps a remote branch's old tip on the remote itself before the task's push replaces it: the
 * runner's checkout (an Actions job's) is thrown away, so a ref only here would keep nothing.
 */
export async function keepRemoteTip(args: {
  cwd: string;
  remote: string;
  branch: string;
  sha: string;
  env?: Record<string, string> | undefined;
}): Promise<string> {
  const ref = replacedRef(args.branch, args.sha);
  await git(["push", "--quiet", "--no-verify", args.remote, `${args.sha}:${ref}`], {
    cwd: args.cwd,
    env: args.env,
  });
  return ref;
}

/** The refusal: which branch, where, which commits, and the ways out. */
export function foreignCommitsFailure(args: {
  branch: string;
  /** "in this repository" or "on origin". */
  where: string;
  taskId: string | undefined;
  startPoint: string;
  foreign: ForeignCommits;
}): TaskFailure {
  const { branch, foreign } = args;
  const task = args.taskId === undefined ? "this task" : `task ${args.taskId}`;
  const count = `${foreign.total} commit${foreign.total === 1 ? "" : "s"}`;
  const lines = foreign.listed.map((commit) => `  ${commit.sha.slice(0, 12)} ${commit.subject}`);
  if (foreign.total > foreign.listed.length)
    lines.push(`  … and ${foreign.total - foreign.listed.length} more`);
  return new TaskFailure(
    "branch_not_ours",
    redactCredentials(
      `The branch ${branch} ${args.where} has ${count} that ${foreign.total === 1 ? "is" : "are"} not ` +
        `${task}'s work, so it was not reset to start from ${args.startPoint} (that would lose them):\n` +
        `${lines.join("\n")}\n` +
        `Give the task a branch_name of its own, or move that work to another branch (or delete the ` +
        `branch) and run the task again. To replace the branch anyway, set reset_existing: true on the ` +
        `task (or pass --reset-existing to orchestrator run); its old tip ${foreign.tip.slice(0, 12)} is ` +
        `then kept as ${replacedRef(branch, foreign.tip)}.`,
    ),
  );
}

/** The task branch is the base branch (or one it starts from): resetting it would rewrite that branch. */
export function branchIsStartFailure(args: {
  branch: string;
  taskId: string | undefined;
  isBase: boolean;
}): TaskFailure {
  const task = args.taskId === undefined ? "The task" : `Task ${args.taskId}`;
  const what = args.isBase ? "the base branch" : "a branch it starts from (a dependency's)";
  return new TaskFailure(
    "branch_not_ours",
    `${task}'s branch ${args.branch} is ${what}, so running it would reset that branch and commit ` +
      `the agent's work straight onto it. Give the task a branch_name of its own ` +
      `(the default is orchestrator/<id>).`,
  );
}
