import { resolve } from "node:path";
import type { AgentFailure, AgentResult } from "./agent-result.js";
import { claudeAgentArgs, type PermissionMode } from "./claude-agent-args.js";
import { limitedMessageEnd } from "../core/task-attention.js";
import { describeRetry, type ModelFault } from "./claude-agent-api-retries.js";
import { modelApiOf, probeConnection, type ModelApi } from "./claude-agent-model-api.js";
import { ClaudeStreamReader, claudeResultFields, CREDENTIALS_HELP } from "./claude-agent-output.js";
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
  disallowedTools?: readonly string[];
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
  const env = { ...process.env, ...options.env };
  const modelApi = modelApiOf(env);
  const reader = new ClaudeStreamReader();
  // The model API failing in a way retries cannot fix: stop now, not at the timeout.
  const failFast = new AbortController();
  let fault: ModelFault | undefined;
  let probe: Promise<string> | undefined;
  let stderrTail = "";
  const outcome = await runProcessTree({
    command: claudePath,
    args: claudeAgentArgs(options),
    cwd: options.cwd,
    env,
    stdin: options.prompt,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    failFast: failFast.signal,
    onStdout: (chunk) => {
      reader.push(chunk);
      if (fault !== undefined) return;
      // Kept as first seen: what the CLI prints while it is being stopped must not change it.
      fault = reader.modelFault;
      if (fault === undefined) return;
      if (fault.kind === "model_unreachable") probe = probeConnection(modelApi);
      failFast.abort();
    },
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
    modelApi,
    fault,
    probed: (await probe) ?? "",
  });
}

function claudeAgentResult(input: {
  outcome: ProcessTreeOutcome;
  reader: ClaudeStreamReader;
  stderrTail: string;
  claudePath: string;
  timeoutMs: number | undefined;
  modelApi: ModelApi;
  /** The model API failure the agent was stopped for, if it was. */
  fault: ModelFault | undefined;
  /** Why a connection to the model API failed, when we asked the network ("" = it connected). */
  probed: string;
}): AgentResult {
  const { outcome, reader, stderrTail, claudePath, modelApi, fault } = input;
  const base = { durationMs: outcome.durationMs, exitCode: outcome.exitCode };
  const turnsSoFar = reader.turnsSeen > 0 ? { turns: reader.turnsSeen } : {};

  if (outcome.startError !== undefined) {
    const message =
      outcome.startError.code === "ENOENT"
        ? `Claude Code CLI not found (${claudePath}). ${INSTALL_HELP}`
        : `Could not start Claude Code (${claudePath}): ${outcome.startError.message}`;
    return { ok: false, failure: { kind: "spawn_error", message }, ...base };
  }
  if (outcome.stoppedBy === "fail_fast" && fault !== undefined) {
    return { ok: false, failure: modelFaultFailure(fault, modelApi, input.probed), ...turnsSoFar, ...base };
  }
  if (outcome.stoppedBy === "timeout") {
    const seconds = Math.round((input.timeoutMs ?? 0) / 1000);
    const retries = reader.retriesInARow;
    const last = retries[retries.length - 1];
    // Still waiting out a rate limit when the time ran out: the task waits for the limit, not longer.
    if (last?.status === 429) {
      const resetsAt = reader.signals.limitResetsAt;
      return {
        ok: false,
        failure: {
          kind: "limited",
          message: `Claude Code was still being rate limited by the model API at ${modelApi.baseUrl} (${retries.length} ${retries.length === 1 ? "try" : "tries"} in a row answered HTTP 429) when the task's time ran out. ${limitedMessageEnd(resetsAt)}`,
        },
        ...(resetsAt === undefined ? {} : { limitResetsAt: resetsAt }),
        ...turnsSoFar,
        ...base,
      };
    }
    // Time spent waiting on a failing model API is not a task that needs longer.
    const message =
      last === undefined
        ? `Claude Code did not finish within ${seconds} s and was stopped (with every process it started). Raise timeout_minutes if the task needs longer.`
        : `Claude Code did not finish within ${seconds} s because the model API at ${modelApi.baseUrl} kept failing: ${retries.length} ${retries.length === 1 ? "try" : "tries"} in a row, the last with ${describeRetry(last)}. It was stopped (with every process it started) while still retrying; run the task again once the API answers.`;
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
    const fields = claudeResultFields(resultMessage, { modelApi: modelApi.baseUrl, signals: reader.signals });
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

function modelFaultFailure(fault: ModelFault, api: ModelApi, probed: string): AgentFailure {
  const stopped = "Claude Code was stopped rather than left retrying until the task's timeout";
  if (fault.kind === "model_auth") {
    const refused =
      fault.status === 401
        ? "rejected Claude Code's credentials"
        : "refused access with Claude Code's credentials";
    return {
      kind: "model_auth",
      message: `The model API at ${api.baseUrl} ${refused} (HTTP ${fault.status}). ${stopped}. ${CREDENTIALS_HELP}`,
    };
  }
  const why =
    probed === ""
      ? `no HTTP answer to ${fault.tries} tries in a row (a TCP connection does open, so TLS or the server behind it fails)`
      : `${probed}; ${fault.tries} tries in a row got no HTTP answer`;
  return {
    kind: "model_unreachable",
    message: `Claude Code cannot reach the model API at ${api.baseUrl}: ${why}. ${stopped}. Check ANTHROPIC_BASE_URL, the network and any proxy settings.`,
  };
}
