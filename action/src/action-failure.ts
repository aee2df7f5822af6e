import type { AgentFailureKind } from "../../src/runner/agent-result.js";

/**
 * A failure of the action's own steps (inputs, tasks file, CLI install, GitHub API) or of the
 * agent, alongside the runner's `TaskFailure` (git work). `kind` goes into the PR's result block;
 * `message` is what the user reads on the Checks tab.
 */
export type ActionFailureKind =
  | "bad_input"
  | "task_not_found"
  | "tasks_file_invalid"
  | "install_failed"
  | "pr_api_error"
  /** The agent's own failure, raised once its partial work is pushed. */
  | AgentFailureKind;

export class ActionFailure extends Error {
  readonly kind: ActionFailureKind;

  constructor(kind: ActionFailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ActionFailure";
    this.kind = kind;
  }
}
