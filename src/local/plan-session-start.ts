import { closestMatch } from "../core/closest-match.js";
import { observationOf } from "../core/reconcile.js";
import { reviseRefusal } from "../core/revise-task.js";
import { step } from "../core/session-machine.js";
import type { TaskGraph } from "../core/task-graph.js";
import type { LocalSessionState } from "./state-file.js";

/**
 * What `orchestrator run` does with the state left by an earlier run: start fresh, resume it, or
 * refuse with the reason. Pure, so every combination is cheap to test.
 */
export type SessionStart =
  | { kind: "fresh" }
  | { kind: "resume"; state: LocalSessionState }
  /** `--retry`: the last session again, with these tasks retried; `changed`: tasks whose definition was edited. */
  | { kind: "retry"; state: LocalSessionState; tasks: readonly string[] | "failed"; changed: string[] }
  /** `--revise`: the last session again, with task `id` run once more on its branch with the feedback. */
  | { kind: "revise"; state: LocalSessionState; id: string; feedback: string; changed: string[] }
  /** `--resume` of a session that had already finished: nothing to do. */
  | { kind: "finished"; state: LocalSessionState }
  | { kind: "refuse"; message: string };

export function planSessionStart(input: {
  existing: LocalSessionState | null;
  resume: boolean;
  /** `--retry`: task ids, or every failed task. */
  retry?: readonly string[] | "failed";
  /** `--revise ID TEXT`, with the tasks file's graph as it is now (the rules need it). */
  revise?: { id: string; feedback: string; graph: TaskGraph } | undefined;
  tasksFileSha256: string;
  /** A digest of each task's definition in the tasks file as it is now. */
  taskDigests: Readonly<Record<string, string>>;
  /** The tasks file as the user named it, for messages. */
  tasksFile: string;
  /** `--base`, when given. */
  baseBranch?: string;
  /** Shown in messages, e.g. `.orchestrator/state.json`. */
  stateFile: string;
}): SessionStart {
  const { existing, stateFile } = input;
  if (input.retry !== undefined) return planRetry({ ...input, retry: input.retry });
  if (input.revise !== undefined) return planRevise({ ...input, revise: input.revise });
  if (!input.resume) {
    if (existing === null || existing.outcome !== undefined) return { kind: "fresh" };
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
  if (existing.outcome !== undefined) return { kind: "finished", state: existing };
  if (existing.tasksFileSha256 !== input.tasksFileSha256) {
    return {
      kind: "refuse",
      message:
        `The tasks file ${input.tasksFile} has changed since session ${existing.sessionId} started ` +
        `(from ${existing.tasksFile}), so resuming would mix two different plans. Restore the file to ` +
        `resume, or delete ${stateFile} and run without --resume to start a new session with the new file.`,
    };
  }
  const otherBase = refuseOtherBase(input, existing, "Resume");
  if (otherBase) return otherBase;
  return { kind: "resume", state: existing };
}

function refuseOtherBase(
  input: { baseBranch?: string; stateFile: string },
  existing: LocalSessionState,
  verb: "Resume" | "Retry" | "Revise",
): SessionStart | null {
  if (input.baseBranch === undefined || input.baseBranch === existing.baseBranch) return null;
  return {
    kind: "refuse",
    message:
      `Session ${existing.sessionId} runs on base branch ${existing.baseBranch}, not ${input.baseBranch}. ` +
      `${verb} without --base (or with --base ${existing.baseBranch}), or delete ${input.stateFile} to start over.`,
  };
}

/**
 * `--retry`: failed (or named failed and cancelled) tasks of the last session run again with
 * their skipped dependents; succeeded tasks never do. Tasks that did not succeed may have been
 * edited since (that is often why one retries); a succeeded task that changed is refused, since
 * its work no longer matches its definition.
 */
function planRetry(input: {
  existing: LocalSessionState | null;
  retry: readonly string[] | "failed";
  tasksFileSha256: string;
  taskDigests: Readonly<Record<string, string>>;
  tasksFile: string;
  baseBranch?: string;
  stateFile: string;
}): SessionStart {
  const { existing, stateFile } = input;
  const refuse = (message: string): SessionStart => ({ kind: "refuse", message });
  if (existing === null) {
    return refuse(
      `There is no session to retry (${stateFile} does not exist). Run without --retry to start one.`,
    );
  }
  const otherBase = refuseOtherBase(input, existing, "Retry");
  if (otherBase) return otherBase;
  const changed = changedTasks(existing, input);
  if (changed === null) {
    return refuse(
      `The tasks file ${input.tasksFile} has changed since session ${existing.sessionId} started, and its ` +
        `state does not record which tasks (it was written by an older version). Restore the file to retry, ` +
        `or delete ${stateFile} and run without --retry to start a new session.`,
    );
  }
  const before = Object.keys(existing.taskDigests ?? {});
  const now = Object.keys(input.taskDigests);
  const added = now.filter((id) => existing.taskDigests?.[id] === undefined);
  const removed = before.filter((id) => input.taskDigests[id] === undefined);
  if (added.length > 0 || removed.length > 0) {
    const parts = [
      ...(added.length > 0 ? [`added ${added.join(", ")}`] : []),
      ...(removed.length > 0 ? [`removed ${removed.join(", ")}`] : []),
    ];
    return refuse(
      `The tasks of session ${existing.sessionId} changed (${parts.join("; ")}): a retry runs the same tasks ` +
        `again. Undo that change to retry, or delete ${stateFile} and run without --retry to start a new session.`,
    );
  }
  const succeededChanged = changed.filter((id) => observationOf(existing.tasks, id).status === "succeeded");
  if (succeededChanged.length > 0) {
    return refuse(
      `${listed(succeededChanged)} succeeded in session ${existing.sessionId} and changed since; a retry never ` +
        `runs a succeeded task again, so its work would no longer match the file. Restore ${succeededChanged.length > 1 ? "their" : "its"} ` +
        `definition to retry the others, or delete ${stateFile} and run without --retry to start a new session.`,
    );
  }
  const problem = retryProblem(existing, input.retry);
  if (problem) return refuse(problem);
  return { kind: "retry", state: existing, tasks: input.retry, changed };
}

/**
 * `--revise ID TEXT`: the last session, ended or interrupted, goes on with task ID run once more on
 * its existing branch (its commits kept), prompted with TEXT. The revised task may have been
 * edited (raising its `retries` is how a task with none left gets one more attempt); other
 * succeeded tasks may not, as for `--retry`. Whether the task may be revised is the session
 * machine's rule (core/revise-task.ts), asked of the state as the resume will leave it.
 */
function planRevise(input: {
  existing: LocalSessionState | null;
  revise: { id: string; feedback: string; graph: TaskGraph };
  tasksFileSha256: string;
  taskDigests: Readonly<Record<string, string>>;
  tasksFile: string;
  baseBranch?: string;
  stateFile: string;
}): SessionStart {
  const { existing, stateFile, revise } = input;
  const refuse = (message: string): SessionStart => ({ kind: "refuse", message });
  if (existing === null) {
    return refuse(
      `There is no session to revise (${stateFile} does not exist). Run without --revise to start one.`,
    );
  }
  const otherBase = refuseOtherBase(input, existing, "Revise");
  if (otherBase) return otherBase;
  const ids = Object.keys(existing.taskDigests ?? existing.runs);
  if (!ids.includes(revise.id) || !revise.graph.byId.has(revise.id)) {
    const suggestion = closestMatch(revise.id, ids);
    return refuse(
      `There is no task "${revise.id}" in session ${existing.sessionId}${suggestion ? ` (did you mean "${suggestion}"?)` : ""}.`,
    );
  }
  const changed = changedTasks(existing, input);
  if (changed === null) {
    return refuse(
      `The tasks file ${input.tasksFile} has changed since session ${existing.sessionId} started, and its ` +
        `state does not record which tasks (it was written by an older version). Restore the file to revise, ` +
        `or delete ${stateFile} and run without --revise to start a new session.`,
    );
  }
  const now = Object.keys(input.taskDigests);
  const added = now.filter((id) => existing.taskDigests?.[id] === undefined);
  const removed = ids.filter((id) => input.taskDigests[id] === undefined);
  if (added.length > 0 || removed.length > 0) {
    return refuse(
      `The tasks of session ${existing.sessionId} changed (${[...added.map((id) => `added ${id}`), ...removed.map((id) => `removed ${id}`)].join("; ")}): ` +
        `a revise goes on with the same tasks. Undo that change to revise, or delete ${stateFile} to start over.`,
    );
  }
  const succeededChanged = changed.filter(
    (id) => id !== revise.id && observationOf(existing.tasks, id).status === "succeeded",
  );
  if (succeededChanged.length > 0) {
    return refuse(
      `${listed(succeededChanged)} succeeded in session ${existing.sessionId} and changed since; only the ` +
        `revised task may be edited. Restore ${succeededChanged.length > 1 ? "their" : "its"} definition to revise "${revise.id}".`,
    );
  }
  if (revise.feedback.trim() === "") {
    return refuse(
      `--revise needs the feedback text: orchestrator run --revise ${revise.id} "what to change"`,
    );
  }
  // The run starts with a resume (interrupted attempts go back to pending); the revise follows it.
  const machine = {
    graph: revise.graph,
    limits: { maxParallel: existing.maxParallel, budgetUsd: revise.graph.budgetUsd },
  };
  const resumed = step(machine, { tasks: existing.tasks }, { type: "resume" }).state;
  const observed = observationOf(existing.tasks, revise.id);
  const refusal =
    observed.status === "running"
      ? `task "${revise.id}" was interrupted; finish it with \`orchestrator run --resume\` first`
      : reviseRefusal({
          graph: revise.graph,
          tasks: resumed.tasks,
          id: revise.id,
          budgetUsd: revise.graph.budgetUsd,
          cancelling: false,
        });
  if (refusal !== null) return refuse(`Cannot revise: ${refusal}.`);
  return { kind: "revise", state: existing, id: revise.id, feedback: revise.feedback, changed };
}

/** Tasks whose definition differs from the session's; null when the state cannot tell. */
function changedTasks(
  existing: LocalSessionState,
  input: { tasksFileSha256: string; taskDigests: Readonly<Record<string, string>> },
): string[] | null {
  if (existing.tasksFileSha256 === input.tasksFileSha256) return [];
  if (existing.taskDigests === undefined) return null;
  return Object.keys(input.taskDigests).filter((id) => {
    const before = existing.taskDigests?.[id];
    return before !== undefined && before !== input.taskDigests[id];
  });
}

function retryProblem(existing: LocalSessionState, retry: readonly string[] | "failed"): string | null {
  const ids = Object.keys(existing.taskDigests ?? existing.runs);
  if (retry === "failed") {
    if (ids.some((id) => observationOf(existing.tasks, id).status === "failed")) return null;
    return `No task failed in session ${existing.sessionId}: nothing to retry. Name tasks with --retry <id>… to run cancelled ones again.`;
  }
  for (const id of retry) {
    if (!ids.includes(id)) {
      const suggestion = closestMatch(id, ids);
      return `There is no task "${id}" in session ${existing.sessionId}${suggestion ? ` (did you mean "${suggestion}"?)` : ""}.`;
    }
    const { status, reason } = observationOf(existing.tasks, id);
    if (status === "failed" || status === "cancelled") continue;
    const why = status === "skipped" && reason ? ` (${reason}): retry the task it waits for instead` : "";
    return `Task "${id}" ${statusWords(status)} in session ${existing.sessionId}${why}; only failed or cancelled tasks can be retried.`;
  }
  return null;
}

function statusWords(status: string): string {
  if (status === "pending") return "has not run yet";
  if (status === "running") return "was interrupted (continue with --resume)";
  return status === "skipped" ? "was skipped" : status;
}

function listed(ids: readonly string[]): string {
  return ids.length === 1 ? `Task "${ids[0]}"` : `Tasks ${ids.map((id) => `"${id}"`).join(", ")}`;
}

function progressWords(state: LocalSessionState): string {
  const observations = Object.values(state.tasks);
  const done = observations.filter((o) => o.status === "succeeded").length;
  return `${done} task${done === 1 ? "" : "s"} succeeded so far`;
}
