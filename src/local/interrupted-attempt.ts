import { randomBytes } from "node:crypto";
import { readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClaudeStreamReader } from "../runner/claude-agent-output.js";
import {
  CHECKPOINT_TRAILER,
  ORCHESTRATOR_DIR,
  STOPPED_TRAILER,
  TASK_TRAILER,
} from "../runner/commit-task-work.js";
import {
  RUNNER_COMMIT_CONFIG,
  git,
  gitValue,
  identityEnv,
  isAncestor,
  resolveCommits,
  splitNul,
} from "../runner/git.js";
import { checkpointAttemptOf } from "../runner/continue-task-branch.js";
import { listWorktrees } from "../runner/worktree.js";

/**
 * What an attempt that was cut off (the executor killed with -9, or stopped by Ctrl-C) left
 * behind, read from git and the task's log: nothing an earlier run committed may be lost, and
 * whatever it is known to have cost must be counted.
 *
 * - The orchestrator's own commit of this attempt at the branch tip (trailers `Orchestrator-Task`
 *   and `Orchestrator-Attempt`, made only after the agent succeeded) means the attempt finished
 *   and only the state write was lost: it is recorded from that commit, not run again.
 * - Otherwise commits beyond the attempt's recorded base are the agent's unfinished work. They are
 *   kept under `refs/orchestrator/interrupted/<task>/<attempt>` and the task starts afresh, as a
 *   retry does (see `prepareTaskBranch`): building on half-done work would make the result depend
 *   on how far the killed run got, and the new attempt's diff and no-change check would only see
 *   what it added. "Afresh" is from the last checkpoint when there is one (an earlier attempt ran
 *   out of time): a checkpoint at the tip is gone on from, and a branch that had gone on from one
 *   is set back to it once the work on top is kept (`backToCheckpoint`).
 */

export const INTERRUPTED_REF_PREFIX = "refs/orchestrator/interrupted";

export interface KeptWork {
  /** Where the commits are kept, e.g. `refs/orchestrator/interrupted/b/1`. */
  ref: string;
  commit: string;
  /** Commits beyond the attempt's base. */
  commits: number;
}

export type InterruptedFinding =
  | { kind: "finished"; commitSha: string; changedFiles: string[]; commits: number }
  /** Tips holding work beyond the base (the branch, and the worktree's HEAD if the agent left the branch). */
  | { kind: "work"; tips: Array<{ commit: string; commits: number }> }
  | { kind: "nothing" };

export async function inspectInterruptedAttempt(args: {
  repoDir: string;
  worktree: string;
  branch: string;
  baseSha: string;
  taskId: string;
  attempt: number;
  /** Identity of the commit that holds what the agent had not committed. */
  author: { name: string; email: string };
}): Promise<InterruptedFinding> {
  const { repoDir, baseSha } = args;
  const [branchTip = null] = await resolveCommits([`refs/heads/${args.branch}`], { cwd: repoDir });
  if (branchTip !== null && branchTip !== baseSha && (await isAncestor(repoDir, baseSha, branchTip))) {
    if (await isOrchestratorCommitOf(repoDir, branchTip, args.taskId, args.attempt)) {
      return { kind: "finished", commitSha: branchTip, ...(await workSince(repoDir, baseSha, branchTip)) };
    }
  }
  const head = await worktreeHead(repoDir, args.worktree);
  const snapshot = head === null ? null : await snapshotUncommitted({ ...args, head });
  const candidates = [...new Set([branchTip, snapshot ?? head].filter((sha) => sha !== null))];
  const beyondBase: string[] = [];
  for (const tip of candidates) {
    if (tip !== baseSha && !(await isAncestor(repoDir, tip, baseSha))) beyondBase.push(tip);
  }
  const tips: Array<{ commit: string; commits: number }> = [];
  for (const tip of beyondBase) {
    // One tip holding the other keeps both.
    const heldByOther = await someAsync(
      beyondBase.filter((other) => other !== tip),
      (other) => isAncestor(repoDir, tip, other),
    );
    if (heldByOther) continue;
    const count = await gitValue(["rev-list", "--count", tip, "--not", baseSha], { cwd: repoDir });
    tips.push({ commit: tip, commits: Number(count) });
  }
  return tips.length > 0 ? { kind: "work", tips } : { kind: "nothing" };
}

/**
 * Points a new ref at the commit: `<prefix>/<task>/<attempt>`, or `…/<attempt>-2` and so on when
 * that name already holds other work (an attempt interrupted twice runs under the same number).
 * Creating a ref that must not exist is atomic in git, so two names never collide.
 */
export async function keepInterruptedWork(args: {
  repoDir: string;
  taskId: string;
  attempt: number;
  commit: string;
}): Promise<string> {
  const { repoDir, commit } = args;
  const base = `${INTERRUPTED_REF_PREFIX}/${await refComponent(repoDir, args.taskId)}/${args.attempt}`;
  for (let n = 1; n <= 100; n++) {
    const ref = n === 1 ? base : `${base}-${n}`;
    const [existing = null] = await resolveCommits([ref], { cwd: repoDir });
    if (existing === commit) return ref;
    if (existing !== null) continue;
    const created = await git(
      [
        "update-ref",
        "-m",
        `orchestrator: interrupted attempt ${args.attempt} of task ${args.taskId}`,
        ref,
        commit,
        "",
      ],
      { cwd: repoDir, okExitCodes: [1, 128] },
    );
    if (created.exitCode === 0) return ref;
  }
  throw new Error(`could not find a free ref name under ${base} for the interrupted work at ${commit}`);
}

/**
 * The cost the agent of this attempt reported, read from the task's log: the last Claude-style
 * result (`total_cost_usd`) after the attempt's own header. Undefined when it reported none (an
 * agent killed mid-run usually has not): then the cost is not known, and nothing is made up.
 */
export async function attemptCostFromLog(
  logFile: string,
  taskId: string,
  attempt: number,
): Promise<number | undefined> {
  const text = await readFile(logFile, "utf8").catch(() => "");
  const header = `== task ${taskId}, attempt ${attempt}: preparing branch`;
  const at = text.startsWith(header) ? 0 : text.lastIndexOf(`\n${header}`);
  if (at === -1) return undefined;
  // The attempt's section ends where the next attempt's begins.
  const next = text.indexOf(`\n== task ${taskId}, attempt `, at + 1);
  const reader = new ClaudeStreamReader();
  reader.push(text.slice(at, next === -1 ? undefined : next));
  reader.end();
  const cost = reader.result?.total_cost_usd;
  return cost !== undefined && Number.isFinite(cost) && cost >= 0 ? cost : undefined;
}

async function isOrchestratorCommitOf(
  repoDir: string,
  commit: string,
  taskId: string,
  attempt: number,
): Promise<boolean> {
  const trailers = await gitValue(["show", "-s", "--format=%(trailers:only,unfold)", commit], {
    cwd: repoDir,
  });
  const lines = trailers.split("\n").map((line) => line.trim());
  // A stopped attempt's marker and a checkpoint (the attempt ran out of time) carry the trailers
  // too, but hold unfinished work.
  return (
    lines.includes(`${TASK_TRAILER}: ${taskId}`) &&
    lines.includes(`Orchestrator-Attempt: ${attempt}`) &&
    !lines.some((line) => line.startsWith(`${STOPPED_TRAILER}:`) || line.startsWith(`${CHECKPOINT_TRAILER}:`))
  );
}

async function workSince(
  repoDir: string,
  baseSha: string,
  tip: string,
): Promise<{ changedFiles: string[]; commits: number }> {
  const [files, count] = await Promise.all([
    git(["diff", "--name-only", "--no-renames", "-z", baseSha, tip], { cwd: repoDir }),
    gitValue(["rev-list", "--count", `${baseSha}..${tip}`], { cwd: repoDir }),
  ]);
  return { changedFiles: splitNul(files.stdout), commits: Number(count) };
}

/**
 * What the agent had written but not committed, as a commit on top of the worktree's HEAD (null
 * when there is nothing): staged as the task's own commit would be (`.gitignore` holds, never
 * `.orchestrator/`), into a temporary index so the worktree is left as it was.
 */
async function snapshotUncommitted(args: {
  worktree: string;
  head: string;
  taskId: string;
  attempt: number;
  author: { name: string; email: string };
}): Promise<string | null> {
  const { worktree: cwd, head } = args;
  const index = join(tmpdir(), `orchestrator-snapshot-${process.pid}-${randomBytes(4).toString("hex")}`);
  const env = { GIT_INDEX_FILE: index, ...identityEnv(args.author) };
  try {
    await git(["read-tree", head], { cwd, env });
    await git(["add", "--all", "--", ":/"], { cwd, env });
    await git(["reset", "--quiet", head, "--", `:(top)${ORCHESTRATOR_DIR}`], { cwd, env, okExitCodes: [1] });
    const tree = await gitValue(["write-tree"], { cwd, env });
    if (tree === (await gitValue(["rev-parse", `${head}^{tree}`], { cwd }))) return null;
    const message =
      `Uncommitted work of task ${args.taskId}, attempt ${args.attempt}, when it was interrupted\n\n` +
      `Kept by the orchestrator: the files the agent had written but not committed.`;
    return await gitValue([...RUNNER_COMMIT_CONFIG, "commit-tree", tree, "-p", head, "-m", message], {
      cwd,
      env,
    });
  } finally {
    await rm(index, { force: true });
  }
}

/** The HEAD of the task's worktree if git knows one at that path (the agent may have left the branch). */
async function worktreeHead(repoDir: string, path: string): Promise<string | null> {
  const wanted = await realpath(path).catch(() => null);
  if (wanted === null) return null;
  for (const entry of await listWorktrees(repoDir)) {
    if ((await realpath(entry.path).catch(() => entry.path)) === wanted) return entry.head;
  }
  return null;
}

/** A task id as one ref name component (ids may hold `..` or end in `.lock`, which git refuses). */
async function refComponent(repoDir: string, id: string): Promise<string> {
  const { exitCode } = await git(["check-ref-format", `${INTERRUPTED_REF_PREFIX}/${id}/1`], {
    cwd: repoDir,
    okExitCodes: [1],
  });
  return exitCode === 0 ? id : id.replace(/\./g, "_");
}

async function someAsync<T>(items: readonly T[], test: (item: T) => Promise<boolean>): Promise<boolean> {
  for (const item of items) if (await test(item)) return true;
  return false;
}

/**
 * When the interrupted attempt had gone on from a checkpoint (its recorded base is one of this
 * task's) and the branch moved past it, the branch is set back to the checkpoint, so the next
 * attempt goes on from it instead of starting from the base: the commits on top must already be
 * kept under a ref. A checkpoint at the tip stays where it is (the interrupted attempt made it).
 * Compare-and-swap on the tip seen, so nothing moved meanwhile is lost. Returns the checkpoint the
 * branch was set back to, or null.
 */
export async function backToCheckpoint(args: {
  repoDir: string;
  branch: string;
  baseSha: string;
  taskId: string;
}): Promise<string | null> {
  const { repoDir, baseSha, taskId } = args;
  const ref = `refs/heads/${args.branch}`;
  const [tip = null] = await resolveCommits([ref], { cwd: repoDir });
  if (tip === null || tip === baseSha) return null;
  if ((await checkpointAttemptOf(repoDir, tip, taskId)) !== null) return null;
  if ((await checkpointAttemptOf(repoDir, baseSha, taskId)) === null) return null;
  if (!(await isAncestor(repoDir, baseSha, tip))) return null;
  const moved = await git(
    ["update-ref", "-m", `orchestrator: back to the checkpoint of task ${taskId}`, ref, baseSha, tip],
    { cwd: repoDir, okExitCodes: [1, 128] },
  );
  return moved.exitCode === 0 ? baseSha : null;
}
