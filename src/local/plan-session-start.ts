import type { TaskObservation } from "../core/reconcile.js";
import type { LocalSessionState } from "./state-file.js";

/**
 * What `orchestrator run` does with the state left by an earlier run: start fresh, resume it, or
 * refuse with the reason. Pure, so every combination is cheap to test.
 */
export type SessionStart =
  | { kind: "fresh" }
  | { kind: "resume"; state: LocalSessionState }
  /** `--resume` of a session that had already finished: nothing to do. */
  | { kind: "finished"; state: LocalSessionState }
  | { kind: "refuse"; message: string };

export function planSessionStart(input: {
  existing: LocalSessionState | null;
  resume: boolean;
  tasksFileSha256: string;
  /** The tasks file as the user named it, for messages. */
  tasksFile: string;
  /** `--base`, when given. */
  baseBranch?: string;
  /** Shown in messages, e.g. `.orchestrator/state.json`. */
  stateFile: string;
}): SessionStart {
  const { existing, stateFile } = input;
  if (!input.resume) {
    if (existing === null || existing.finished !== undefined) return { kind: "fresh" };
    return {
      kind: "refuse",
      message:
        `An unfinished session (${existing.sessionId}, started ${existing.startedAt}, ` +
        `${progressWords(existing)}) is recorded in ${stateFile}. Continue it with ` +
        `\`orchestrator run --resume\`, or delete ${stateFile} to start over.`,
    };
  }
  if (existing === null) {
    return {
      kind: "refuse",
      message: `There is no session to resume (${stateFile} does not exist). Run without --resume to start one.`,
    };
  }
  if (existing.finished !== undefined) return { kind: "finished", state: existing };
  if (existing.tasksFileSha256 !== input.tasksFileSha256) {
    return {
      kind: "refuse",
      message:
        `The tasks file ${input.tasksFile} has changed since session ${existing.sessionId} started ` +
        `(from ${existing.tasksFile}), so resuming would mix two different plans. Restore the file to ` +
        `resume, or delete ${stateFile} and run without --resume to start a new session with the new file.`,
    };
  }
  if (input.baseBranch !== undefined && input.baseBranch !== existing.baseBranch) {
    return {
      kind: "refuse",
      message:
        `Session ${existing.sessionId} runs on base branch ${existing.baseBranch}, not ${input.baseBranch}. ` +
        `Resume without --base (or with --base ${existing.baseBranch}), or delete ${stateFile} to start over.`,
    };
  }
  return { kind: "resume", state: { ...existing, tasks: restartInterrupted(existing.tasks) } };
}

/**
 * Tasks recorded as running when the executor stopped (crash, Ctrl-C) did not finish: they go
 * back to pending and their interrupted attempt is not counted, so they restart as the same
 * attempt instead of using up a retry.
 */
export function restartInterrupted(
  tasks: Readonly<Record<string, TaskObservation>>,
): Record<string, TaskObservation> {
  const next: Record<string, TaskObservation> = {};
  for (const [id, observation] of Object.entries(tasks)) {
    if (observation.status !== "running") {
      next[id] = { ...observation };
      continue;
    }
    const restarted: TaskObservation = { status: "pending", attempts: Math.max(0, observation.attempts - 1) };
    if (observation.costUsd !== undefined) restarted.costUsd = observation.costUsd;
    next[id] = restarted;
  }
  return next;
}

function progressWords(state: LocalSessionState): string {
  const observations = Object.values(state.tasks);
  const done = observations.filter((o) => o.status === "succeeded").length;
  return `${done} task${done === 1 ? "" : "s"} succeeded so far`;
}
