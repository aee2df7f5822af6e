import { allSettledOrThrow } from "./all-settled-or-throw.js";
import { RUNNER_COMMIT_CONFIG, git, gitValue, identityEnv, isAncestor, splitNul } from "./git.js";
import { TaskFailure, gitFailure } from "./task-failure.js";

/** The orchestrator's own folder in a checkout (prompts, logs, state): never part of a task's work. */
export const ORCHESTRATOR_DIR = ".orchestrator";

/**
 * The trailer naming the task on every commit the orchestrator makes for a task. It is how a later
 * attempt knows the branch is this task's to replace (see `branch-ownership.ts`).
 */
export const TASK_TRAILER = "Orchestrator-Task";

/**
 * The trailer on the empty commit that marks a stopped attempt's commits (`markAgentCommits`): the
 * branch is the task's, but the attempt did not finish, so resume must not take it for the
 * orchestrator's commit of finished work (see `src/local/interrupted-attempt.ts`).
 */
export const STOPPED_TRAILER = "Orchestrator-Stopped";

/**
 * The trailer on a checkpoint: the commit of an attempt whose time ran out, holding its work so
 * far (`Orchestrator-Checkpoint: <attempt>`). The next attempt goes on from it instead of starting
 * afresh (`continue-task-branch.ts`), and resume never takes it for finished work.
 */
export const CHECKPOINT_TRAILER = "Orchestrator-Checkpoint";

/** Said in the message of a checkpoint. */
const CHECKPOINT_NOTE =
  "The attempt ran out of time: this checkpoint keeps its work so far, and the next attempt goes on from it.";

/** Said in the message of an empty commit that marks the agent's own commits as the task's. */
const MARKER_NOTE =
  "The agent committed its work itself; this empty commit marks the branch as the task's, so that " +
  "a later attempt may replace it.";

export interface CommitTaskWorkOptions {
  cwd: string;
  task: { id: string; name: string };
  /** 1 for the first attempt. */
  attempt: number;
  author: { name: string; email: string };
  allowNoChanges: boolean;
  /** `baseSha` from `prepareTaskBranch`: the agent's work is everything after it. */
  baseSha: string;
  /**
   * Commit as a checkpoint (the attempt's time ran out): the commit carries `CHECKPOINT_TRAILER`,
   * also when it is the empty commit on top of the agent's own commits.
   */
  checkpoint?: boolean | undefined;
  /**
   * The task branch. Agents sometimes switch to a branch of their own (`git checkout -b feature`)
   * or leave HEAD detached; given the branch, it is moved to wherever the work ended up so that
   * pushing the task branch pushes the work.
   */
  branch?: string;
}

export interface CommittedTaskWork {
  /** The tip after committing: the commit to push. */
  commitSha: string;
  /** Files that differ from the base (a rename lists both names). */
  changedFiles: string[];
  /** Commits since the base: the agent's own plus ours, if anything was left uncommitted. */
  commits: number;
}

/**
 * Commits what the agent left in the working tree, keeping any commits it made itself.
 *
 * Everything is staged as `git add --all` would (so `.gitignore` holds), except `.orchestrator/`.
 * A change is "no change" when the branch ends up identical to its base — no commit and nothing
 * to commit, or commits that undo each other — because either way the pull request would be
 * empty; that fails the task with `no_changes` unless the task allows it.
 */
export async function commitTaskWork(options: CommitTaskWorkOptions): Promise<CommittedTaskWork> {
  const { cwd, baseSha, task } = options;
  try {
    // Side by side: staging changes nothing but the index, which a failed task's kept worktree
    // may as well show staged.
    const [agentCommits, changedFiles] = await allSettledOrThrow([
      commitsSinceBase(cwd, baseSha, task.id),
      stageWork(cwd, baseSha),
    ]);
    // Without commits of the agent's own, HEAD is the base: the list above also says whether
    // anything is staged.
    const staged =
      agentCommits === 0
        ? changedFiles.length > 0
        : (await git(["diff", "--cached", "--quiet"], { cwd, okExitCodes: [1] })).exitCode === 1;
    // When the agent committed everything itself, an empty commit of ours still goes on top: the
    // tip must carry the task's trailer, or a retry could not tell this branch from a user's.
    const marker = !staged && agentCommits > 0;
    if (staged || marker) {
      await git(
        [
          ...RUNNER_COMMIT_CONFIG,
          "commit",
          "--no-verify",
          "--quiet",
          ...(marker ? ["--allow-empty"] : []),
          ...messageArgs(options, notes(options, marker)),
        ],
        { cwd, env: identityEnv(options.author) },
      );
    }
    const commits = agentCommits + (staged || marker ? 1 : 0);

    const [commitSha = "", headRef = ""] = (
      await git(["rev-parse", "HEAD", "--symbolic-full-name", "HEAD"], { cwd })
    ).stdout.split("\n");
    if (options.branch && headRef !== `refs/heads/${options.branch}`) {
      // Same commit as HEAD, so the working tree is untouched; -B moves the branch if it exists.
      await git(["checkout", "--quiet", "-B", options.branch], { cwd });
    }
    if (changedFiles.length === 0 && !options.allowNoChanges) throw noChanges(options, agentCommits);
    return { commitSha, changedFiles, commits };
  } catch (error) {
    throw gitFailure(error, `commit the work of task ${task.id}`);
  }
}

/**
 * The agent's own commits on top of the base. If the agent reset or rebased the branch past its
 * base, its commits can no longer be told apart from the base's history: counting and diffing
 * against the base would report nonsense, so that fails the task. One `rev-list` answers both:
 * the left count is the base's commits missing from HEAD (none when HEAD builds on the base).
 */
async function commitsSinceBase(cwd: string, baseSha: string, taskId: string): Promise<number> {
  const counts = await gitValue(["rev-list", "--left-right", "--count", `${baseSha}...HEAD`], { cwd });
  const [missingFromHead = "", sinceBase = ""] = counts.split("\t");
  if (Number(missingFromHead) > 0) {
    throw new TaskFailure(
      "git_error",
      `The agent of task ${taskId} moved its branch off the commit it started from (${baseSha.slice(0, 12)}), ` +
        `for example with git reset or git rebase, so its work cannot be told apart from the base. ` +
        `Retry the task; if it happens again, tell the agent in the prompt not to rewrite history.`,
    );
  }
  return Number(sinceBase);
}

/**
 * Stages all changes but the orchestrator's folder and returns the files that differ from the
 * base: everything is added, then if that touched the folder, its entries are set back to the
 * base's. This unstages anything the agent added there and, if the agent committed files in it,
 * stages their removal, while leaving alone a `.orchestrator/` the repository itself tracks.
 *
 * The index is the tree the branch ends with (committed if it differs from HEAD), so its
 * difference from the base is the task's change set, and it shows whether the folder needs
 * setting back at all.
 */
async function stageWork(cwd: string, baseSha: string): Promise<string[]> {
  // Not an `:(exclude)` pathspec: git refuses one that names an ignored path it also tracks.
  await git(["add", "--all", "--", ":/"], { cwd });
  const staged = splitNul(
    (await git(["diff", "--cached", "--name-only", "--no-renames", "-z", baseSha], { cwd })).stdout,
  );
  const inFolder = (file: string) => file === ORCHESTRATOR_DIR || file.startsWith(`${ORCHESTRATOR_DIR}/`);
  if (!staged.some(inFolder)) return staged;
  await git(["reset", "--quiet", baseSha, "--", `:(top)${ORCHESTRATOR_DIR}`], { cwd, okExitCodes: [1] });
  return staged.filter((file) => !inFolder(file));
}

/**
 * Marks the task branch as this attempt's when the agent committed on it but the attempt stops
 * without a commit of ours (the agent failed and nothing is kept): an empty commit with the
 * task's trailer on the branch tip, so a retry may rebuild the branch. It is made with
 * `commit-tree` and a compare-and-swap of the branch, so the index and working tree the agent
 * left (kept for inspection) are untouched. Returns the new tip, or null when there was nothing
 * to mark (no commits past the base, the branch moved off it, or already marked).
 */
export async function markAgentCommits(options: {
  cwd: string;
  task: { id: string; name: string };
  attempt: number;
  author: { name: string; email: string };
  baseSha: string;
  branch: string;
}): Promise<string | null> {
  const { cwd, baseSha } = options;
  const ref = `refs/heads/${options.branch}`;
  const tip = await gitValue(["rev-parse", "--verify", `${ref}^{commit}`], { cwd });
  if (tip === baseSha) return null;
  if (!(await isAncestor(cwd, baseSha, tip))) return null;
  const trailers = await gitValue(
    [
      "log",
      "--no-show-signature",
      "-1",
      `--format=%(trailers:key=${TASK_TRAILER},valueonly,separator=%x2C)`,
      tip,
    ],
    { cwd },
  );
  if (trailers.split(",").includes(options.task.id)) return null;
  const marked = await gitValue(
    ["commit-tree", "--no-gpg-sign", "-p", tip, ...messageArgs(options, MARKER_NOTE, true), `${tip}^{tree}`],
    { cwd, env: identityEnv(options.author) },
  );
  await git(["update-ref", "-m", "orchestrator: mark the agent's commits", ref, marked, tip], { cwd });
  return marked;
}

function notes(options: CommitTaskWorkOptions, marker: boolean): string | undefined {
  const said = [...(options.checkpoint === true ? [CHECKPOINT_NOTE] : []), ...(marker ? [MARKER_NOTE] : [])];
  return said.length > 0 ? said.join(" ") : undefined;
}

function messageArgs(
  options: Pick<CommitTaskWorkOptions, "task" | "attempt" | "checkpoint">,
  note?: string,
  stopped = false,
): string[] {
  const { task, attempt } = options;
  const checkpoint = options.checkpoint === true ? `\n${CHECKPOINT_TRAILER}: ${attempt}` : "";
  const title = task.name.replace(/\s+/g, " ").trim() || task.id;
  const subject = title === task.id ? `Task ${task.id}` : `${title} (task ${task.id})`;
  return [
    "-m",
    subject,
    "-m",
    `Work of the coding agent on task ${task.id}, attempt ${attempt}.${note === undefined ? "" : ` ${note}`}`,
    "-m",
    `${TASK_TRAILER}: ${task.id}\nOrchestrator-Attempt: ${attempt}${checkpoint}${stopped ? `\n${STOPPED_TRAILER}: true` : ""}`,
  ];
}

function noChanges(options: CommitTaskWorkOptions, commits: number): TaskFailure {
  const { id } = options.task;
  const what =
    commits === 0
      ? `The agent finished task ${id} without changing any file`
      : `The agent made ${commits} commit${commits === 1 ? "" : "s"} on task ${id}, but they undo each ` +
        `other: the branch has no changes against its base`;
  return new TaskFailure(
    "no_changes",
    `${what}, so there is nothing to review. Check the agent's log to see why, make the prompt say ` +
      `which files to change, or set allow_no_changes: true on tasks that may rightly change nothing.`,
  );
}
