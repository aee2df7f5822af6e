import type { SessionEvent as MachineEvent } from "../core/session-machine.js";
import type { ResolvedTask } from "../core/task-graph.js";
import {
  attemptCostFromLog,
  backToCheckpoint,
  inspectInterruptedAttempt,
  keepInterruptedWork,
  type KeptWork,
} from "./interrupted-attempt.js";
import { interruptedNotice } from "./interruption-words.js";
import type { LocalPaths } from "./local-paths.js";
import type { InterruptionRecord, TaskRunRecord } from "./state-file.js";

/**
 * An attempt cut off before its end was recorded (the executor was killed, or stopped by Ctrl-C):
 * what the session machine is told about it, with its facts written into `run`.
 *
 * - Its agent never started (no base recorded): interrupted, nothing to keep or count.
 * - The orchestrator had already committed its work: it ended, from that commit, with the cost
 *   its agent reported; the agent does not run again.
 * - Otherwise: interrupted, its agent's commits kept under a ref (named in `run.interruptions`,
 *   passed as known attempt commits when the task starts again), its cost counted if its agent
 *   reported one and recorded as not known if not.
 */
export async function settleInterruptedAttempt(args: {
  task: Pick<ResolvedTask, "id" | "branch" | "allowNoChanges">;
  attempt: number;
  /** The task's run record, as stored: facts are written into it. */
  run: TaskRunRecord;
  paths: LocalPaths;
  /** Identity of the commit keeping what the agent had not committed. */
  author: { name: string; email: string };
  /** A cost the runner already has for this attempt (its result), read before the log. */
  reportedCostUsd?: number | undefined;
}): Promise<{ event: MachineEvent; notices: string[] }> {
  const { task, attempt, run, paths } = args;
  const { id } = task;
  const { baseSha } = run;
  const repoDir = paths.repoRoot;
  if (baseSha === undefined) return { event: { type: "attempt_interrupted", id, attempt }, notices: [] };

  const finding = await inspectInterruptedAttempt({
    repoDir,
    worktree: paths.worktree(id),
    branch: task.branch,
    baseSha,
    taskId: id,
    attempt,
    author: args.author,
  });
  const costUsd = args.reportedCostUsd ?? (await attemptCostFromLog(paths.log(id), id, attempt));
  const cost = costUsd === undefined ? {} : { costUsd };
  const now = new Date().toISOString();

  if (finding.kind === "finished") {
    run.endedAt = now;
    if (finding.changedFiles.length === 0 && !task.allowNoChanges) {
      const reason =
        `The agent's commits on task ${id} undo each other: the branch has no changes against its base, ` +
        `so there is nothing to review.`;
      run.failureKind = "no_changes";
      run.keptWorktree = paths.worktree(id);
      return {
        event: { type: "attempt_ended", id, attempt, succeeded: false, reason, ...cost },
        notices: [`Task ${id}: attempt ${attempt} had ended before the last run stopped. ${reason}`],
      };
    }
    run.commitSha = finding.commitSha;
    run.changedFiles = finding.changedFiles.length;
    run.commits = finding.commits;
    return {
      event: { type: "attempt_ended", id, attempt, succeeded: true, ...cost },
      notices: [
        `Task ${id}: attempt ${attempt} had finished and its work was committed ` +
          `(${finding.commitSha.slice(0, 7)}) before the last run stopped; recorded from that commit, ` +
          `without running the agent again.`,
      ],
    };
  }

  const kept: KeptWork[] = [];
  for (const tip of finding.kind === "work" ? finding.tips : []) {
    const ref = await keepInterruptedWork({ repoDir, taskId: id, attempt, commit: tip.commit });
    kept.push({ ref, commit: tip.commit, commits: tip.commits });
  }
  const record: InterruptionRecord = { attempt, at: now, ...cost, ...(kept.length > 0 ? { kept } : {}) };
  (run.interruptions ??= []).push(record);
  // Once its work is kept: an attempt that had gone on from a checkpoint restarts from it.
  const checkpoint =
    finding.kind === "work"
      ? await backToCheckpoint({ repoDir, branch: task.branch, baseSha, taskId: id })
      : null;
  const notices = [interruptedNotice(id, record)];
  if (checkpoint !== null)
    notices.push(
      `Task ${id}: its branch is set back to checkpoint ${checkpoint.slice(0, 7)}, which the next attempt goes on from.`,
    );
  return { event: { type: "attempt_interrupted", id, attempt, ...cost }, notices };
}

/** The commits of a task's interrupted attempts, kept under refs: known attempt commits for the runner. */
export function keptCommits(run: TaskRunRecord): string[] {
  return (run.interruptions ?? []).flatMap((record) => (record.kept ?? []).map((kept) => kept.commit));
}
