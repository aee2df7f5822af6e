import { resolve } from "node:path";
import type { AgentResult } from "./agent-result.js";
import { claudeAgentArgs, type PermissionMode } from "./claude-agent-args.js";
import { ClaudeStreamReader, claudeResultFields } from "./claude-agent-output.js";
import { exitDescription, runProcessTree, type ProcessTreeOutcome } from "./process-tree.js";

export interface ClaudeAgentOptions {
  /** The task's checkout (worktree); the agent edits files here. */
  cwd: string;
  prompt: string;
  /** Defaults to `claude` on PATH. */
  claudePath?: string;
  model?: string;
  maxTurns?: number;
  maxBudgetUsd?: number;
  allowedTools?: readonly string[];
  permissionMode?: PermissionMode;
  timeoutMs?: number;
  killGraceMs?: number;
  /** Entries override the inherited environment; an entry set to undefined removes that variable. */
  env?: NodeJS.ProcessEnv;
  /** The CLI's stdout and stderr are appended here as they arrive. */
  logFile?: string;
  /** Aborting stops the agent's whole process tree (Ctrl-C, session cancel). */
  signal?: AbortSignal;
}

const INSTALL_HELP =
  "Install it with `npm install -g @anthropic-ai/claude-code`, or give the path to the CLI.";
const STDERR_TAIL_CHARS = 2_000;

/** Runs Claude Code in print mode on one task and reads its own result message. */
export async function runClaudeAgent(options: ClaudeAgentOptions): Promise<AgentResult> {
  // A path (not a bare name looked up on PATH) means the caller's directory, not the task's.
  const claudePath =
    options.claudePath === undefined || !/[\\/]/.test(options.claudePath)
      ? (options.claudePath ?? "claude")
      : resolve(options.claudePath);
  const reader = new ClaudeStreamReader();
  let stderrTail = "";
  const outcome = await runProcessTree({
    command: claudePath,
    args: claudeAgentArgs(options),
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdin: options.prompt,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    onStdout: (chunk) => reader.push(chunk),
    onStderr: (chunk) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    },
  });
  reader.end();
  return claudeAgentResult({
    outcome,
    reader,
    stderrTail: stderrTail.trim(),
    claudePath,
    timeoutMs: options.timeoutMs,
  });
}

function claudeAgentResult(input: {
  outcome: ProcessTreeOutcome;
  reader: ClaudeStreamReader;
  stderrTail: string;
  claudePath: string;
  timeoutMs: number | undefined;
}): AgentResult {
  const { outcome, reader, stderrTail, claudePath } = input;
  const base = { durationMs: outcome.durationMs, exitCode: outcome.exitCode };
  const turnsSoFar = reader.turnsSeen > 0 ? { turns: reader.turnsSeen } : {};

  if (outcome.startError !== undefined) {
    const message =
      outcome.startError.code === "ENOENT"
        ? `Claude Code CLI not found (${claudePath}). ${INSTALL_HELP}`
        : `Could not start Claude Code (${claudePath}): ${outcome.startError.message}`;
    return { ok: false, failure: { kind: "spawn_error", message }, ...base };
  }
  if (outcome.stoppedBy === "timeout") {
    const seconds = Math.round((input.timeoutMs ?? 0) / 1000);
    const message = `Claude Code did not finish within ${seconds} s and was stopped (with every process it started). Raise timeout_minutes if the task needs longer.`;
    return { ok: false, failure: { kind: "timeout", message }, ...turnsSoFar, ...base };
  }
  if (outcome.stoppedBy === "abort") {
    return {
      ok: false,
      failure: { kind: "cancelled", message: "The run was cancelled; Claude Code was stopped." },
      ...turnsSoFar,
      ...base,
    };
  }

  const resultMessage = reader.result;
  if (resultMessage !== undefined) {
    const fields = claudeResultFields(resultMessage);
    if (fields.ok && outcome.exitCode !== 0) {
      const message = `Claude Code reported success but exited with ${exitDescription(outcome)}.`;
      return { ...fields, ok: false, failure: { kind: "exit_code", message }, ...base };
    }
    return { ...fields, ...base };
  }
  if (outcome.exitCode === 0) {
    const message = "Claude Code exited without printing its result message; see the agent log.";
    return { ok: false, failure: { kind: "bad_output", message }, ...turnsSoFar, ...base };
  }
  const detail = stderrTail === "" ? "" : `: ${stderrTail}`;
  const message = `Claude Code exited with ${exitDescription(outcome)} before giving a result${detail}`;
  return { ok: false, failure: { kind: "exit_code", message }, ...turnsSoFar, ...base };
}
