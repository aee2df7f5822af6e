/**
 * A failure of the action's own steps (inputs, tasks file, CLI install, GitHub API), alongside
 * the runner's failures (git work, the agent). `kind` goes into the PR's result block; `message`
 * is what the user reads on the Checks tab.
 */
export type ActionFailureKind =
  | "bad_input"
  | "task_not_found"
  | "tasks_file_invalid"
  /** Also an agent failure kind: the install is the agent's setup (see `claudeSetup`). */
  | "install_failed"
  | "pr_api_error";

export class ActionFailure extends Error {
  readonly kind: ActionFailureKind;

  constructor(kind: ActionFailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ActionFailure";
    this.kind = kind;
  }
}
