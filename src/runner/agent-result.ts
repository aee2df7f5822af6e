/**
 * What running one task's agent produced. Both agents (the Claude Code CLI and an arbitrary
 * command) return this, so the rest of the runner never looks at processes or CLI output.
 */

export const AGENT_FAILURE_KINDS = [
  /** The agent ran and reported an error (API error, max turns, budget reached...). */
  "agent_error",
  /** Claude Code has no credentials at all. */
  "not_logged_in",
  /** The model API refused the credentials Claude Code has (HTTP 401/403). */
  "model_auth",
  /** The model API could not be reached (connection refused, unknown host, no HTTP answer). */
  "model_unreachable",
  /** The task's time ran out; the agent's whole process tree was stopped. */
  "timeout",
  /** The caller cancelled (Ctrl-C, session cancel); the process tree was stopped. */
  "cancelled",
  /** The agent exited non-zero without a result of its own. */
  "exit_code",
  /** The agent could not be started (missing binary, missing working directory, log file). */
  "spawn_error",
  /** The agent's program could not be installed (the Action's pinned Claude Code CLI). */
  "install_failed",
  /** The agent exited 0 but printed no result we could read. */
  "bad_output",
  /**
   * Not a failure: the agent stopped for a person. It was refused tools, or ended by asking a
   * question, and changed nothing (core/task-attention.ts). `deniedTools` and `summary` say which.
   */
  "needs_input",
  /**
   * Not a failure: the model API answered with a rate or usage limit. The task waits until
   * `limitResetsAt` (when known) and starts again without counting the attempt.
   */
  "limited",
] as const;

export type AgentFailureKind = (typeof AGENT_FAILURE_KINDS)[number];

export interface AgentFailure {
  kind: AgentFailureKind;
  /** Plain words for a user: what happened and, where we know, what to do. */
  message: string;
}

export interface AgentResult {
  ok: boolean;
  failure?: AgentFailure;
  /** The agent's final text (Claude's `result`), for the PR body and job summary. */
  summary?: string;
  costUsd?: number;
  turns?: number;
  /**
   * Tools the agent asked for and was refused (Claude's `permission_denials`): a task that
   * "did nothing" often needs one of these in `allowed_tools`.
   */
  deniedTools?: string[];
  /** With a `limited` failure: when the limit resets (epoch ms), if the API said. */
  limitResetsAt?: number;
  /** Wall time from spawn to exit, start-up included. */
  durationMs: number;
  /** null when the process never started or was ended by a signal. */
  exitCode: number | null;
}
