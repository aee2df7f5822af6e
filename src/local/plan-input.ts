import { closestMatch } from "../core/closest-match.js";
import { observationOf } from "../core/reconcile.js";
import type { SessionEvent } from "../core/session-machine.js";
import type { LocalSessionState } from "./state-file.js";

/**
 * `orchestrator run --answer ID TEXT` and `--allow-tools ID`: a person's input for a task of the
 * last session that needs it. The session goes on (reopened if it had ended waiting for input)
 * and the task starts again as a new attempt, with the answer added to its prompt or with the
 * tools it was refused allowed. Pure, like plan-session-start.ts.
 */
export type LocalInput = { kind: "answer"; id: string; text: string } | { kind: "allow"; id: string };

export type InputStart =
  { kind: "input"; state: LocalSessionState; event: SessionEvent } | { kind: "refuse"; message: string };

export function planInput(args: {
  existing: LocalSessionState | null;
  input: LocalInput;
  tasksFileSha256: string;
  tasksFile: string;
  stateFile: string;
}): InputStart {
  const { existing, input, stateFile } = args;
  const flag = input.kind === "answer" ? "--answer" : "--allow-tools";
  const refuse = (message: string): InputStart => ({ kind: "refuse", message });
  if (existing === null)
    return refuse(`There is no session to give input to (${stateFile} does not exist). Run without ${flag}.`);
  if (existing.tasksFileSha256 !== args.tasksFileSha256) {
    return refuse(
      `The tasks file ${args.tasksFile} has changed since session ${existing.sessionId} started; ` +
        `${flag} goes on with the same tasks. Restore the file, or delete ${stateFile} to start over.`,
    );
  }
  const ids = Object.keys(existing.taskDigests ?? existing.runs);
  if (!ids.includes(input.id)) {
    const near = closestMatch(input.id, ids);
    return refuse(
      `There is no task "${input.id}" in session ${existing.sessionId}${near ? ` (did you mean "${near}"?)` : ""}.`,
    );
  }
  const waiting = ids.filter((id) => observationOf(existing.tasks, id).status === "needs_input");
  const status = observationOf(existing.tasks, input.id).status;
  if (status !== "needs_input") {
    const others = waiting.length > 0 ? ` Tasks that need input: ${waiting.join(", ")}.` : "";
    return refuse(
      `Task "${input.id}" is ${status}, not waiting for input; ${flag} is for a task that needs input.${others}`,
    );
  }
  if (input.kind === "answer") {
    const text = input.text.trim();
    if (text === "")
      return refuse(`--answer ${input.id} needs the answer's text, e.g. --answer ${input.id} "Use SQLite"`);
    return { kind: "input", state: existing, event: { type: "answer", id: input.id, text } };
  }
  const tools = existing.runs[input.id]?.refusedTools ?? [];
  if (tools.length === 0) {
    return refuse(
      `Task "${input.id}" was refused no tool (it asked a question): answer it with --answer ${input.id} "…".`,
    );
  }
  return { kind: "input", state: existing, event: { type: "allow_and_retry", id: input.id, tools } };
}
