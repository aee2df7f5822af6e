import type { AgentFailure, AgentResult } from "./agent-result.js";
import { asApiRetry, modelFaultOf, type ApiRetry, type ModelFault } from "./claude-agent-api-retries.js";
import { attentionOf } from "./claude-agent-attention.js";
import { AttentionSignals, type StreamSignals } from "./claude-agent-signals.js";

/**
 * Reading Claude Code's print-mode output. With `--output-format stream-json --verbose` it
 * prints one JSON message per line (`system` init, `assistant`, `user` tool results...) and a
 * final `type: "result"` line; `--output-format json` prints only that result line. Both end
 * the same way, so one reader serves the Claude agent and command agents that wrap the CLI.
 */

/** The fields of Claude Code's result message that we use (it has many more). */
export interface ClaudeResultMessage {
  type: "result";
  subtype?: string;
  is_error: boolean;
  result?: string | null;
  errors?: string[];
  total_cost_usd?: number;
  num_turns?: number;
  api_error_status?: number | null;
  /** "rate_limit_error" for a 429. */
  api_error_type?: string;
  /** "usage_limit_reached" when an account's usage limit refused the request (2.1.x). */
  api_error?: string;
  /** "api_error" when the run ended because the model API failed (after the CLI's retries). */
  terminal_reason?: string;
  permission_denials?: Array<{ tool_name?: string }>;
}

const MAX_RETRIES_KEPT = 50;

/** Feeds on stdout chunks; keeps only what the result needs, so long runs stay small in memory. */
export class ClaudeStreamReader {
  private pending = "";
  private assistantMessages = 0;
  private resultMessage: ClaudeResultMessage | undefined;
  private retries: ApiRetry[] = [];
  private readonly attention = new AttentionSignals();

  push(chunk: string): void {
    this.pending += chunk;
    let newline = this.pending.indexOf("\n");
    while (newline !== -1) {
      this.readLine(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf("\n");
    }
  }

  end(): void {
    this.readLine(this.pending);
    this.pending = "";
  }

  get result(): ClaudeResultMessage | undefined {
    return this.resultMessage;
  }

  /** Assistant messages seen so far: a turn count for runs that never reached their result. */
  get turnsSeen(): number {
    return this.assistantMessages;
  }

  /** The model API's failures since its last answer (`api_retry` lines), oldest first. */
  get retriesInARow(): readonly ApiRetry[] {
    return this.retries;
  }

  /** What the needs-input and limited rules read besides the result (claude-agent-attention.ts). */
  get signals(): StreamSignals {
    return this.attention.signals;
  }

  /** Set once those failures are reason enough to stop the agent (see `modelFaultOf`). */
  get modelFault(): ModelFault | undefined {
    return modelFaultOf(this.retries);
  }

  private readLine(line: string): void {
    const message = parseJsonObject(line);
    if (message === undefined) return;
    const retry = asApiRetry(message);
    // Other system lines (hooks, status) may come between retries; anything else is an answer.
    if (retry !== undefined) this.retries = [...this.retries.slice(-(MAX_RETRIES_KEPT - 1)), retry];
    else if (message.type !== "system") this.retries = [];
    if (message.type === "assistant") this.assistantMessages++;
    this.attention.read(message);
    const result = asClaudeResult(message);
    if (result !== undefined) this.resultMessage = result;
  }
}

export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A Claude result message, or a look-alike from a wrapper that kept the useful fields. */
export function asClaudeResult(value: Record<string, unknown>): ClaudeResultMessage | undefined {
  const looksLikeResult =
    value.type === "result" ||
    typeof value.total_cost_usd === "number" ||
    typeof value.num_turns === "number" ||
    typeof value.result === "string";
  if (!looksLikeResult) return undefined;
  return {
    type: "result",
    ...(typeof value.subtype === "string" ? { subtype: value.subtype } : {}),
    is_error: value.is_error === true,
    ...(typeof value.result === "string" ? { result: value.result } : {}),
    ...(Array.isArray(value.errors) ? { errors: value.errors.filter(isString) } : {}),
    ...(typeof value.total_cost_usd === "number" ? { total_cost_usd: value.total_cost_usd } : {}),
    ...(typeof value.num_turns === "number" ? { num_turns: value.num_turns } : {}),
    ...(typeof value.api_error_status === "number" ? { api_error_status: value.api_error_status } : {}),
    ...(typeof value.api_error_type === "string" ? { api_error_type: value.api_error_type } : {}),
    ...(typeof value.api_error === "string" ? { api_error: value.api_error } : {}),
    ...(typeof value.terminal_reason === "string" ? { terminal_reason: value.terminal_reason } : {}),
    ...(Array.isArray(value.permission_denials)
      ? { permission_denials: value.permission_denials.filter(isObject) }
      : {}),
  };
}

/** For credentials the model API refused (the key is there but wrong, expired or not allowed). */
export const CREDENTIALS_HELP =
  "Check ANTHROPIC_API_KEY (in GitHub Actions: the repository secret passed to the task workflow), " +
  "or log in again with `claude auth login`.";

export const LOGIN_HELP =
  "Log in with `claude auth login` on this machine, or set ANTHROPIC_API_KEY " +
  "(in GitHub Actions: a repository secret passed to the task workflow).";

/** The parts of an AgentResult that Claude's own result message decides. */
export type ClaudeResultFields = Pick<
  AgentResult,
  "ok" | "failure" | "summary" | "costUsd" | "turns" | "deniedTools" | "limitResetsAt"
>;

/** What the result's words may name: the model API's base URL, when the caller knows it. */
export interface ResultContext {
  modelApi?: string | undefined;
  /** The stream's signals (edits made, a limit's reset), when the whole stream was read. */
  signals?: StreamSignals | undefined;
  /** Now (epoch ms), for a reset time written as a clock time; defaults to the clock. */
  now?: number | undefined;
}

export function claudeResultFields(
  message: ClaudeResultMessage,
  context: ResultContext = {},
): ClaudeResultFields {
  const deniedTools = uniqueToolNames(message.permission_denials);
  const shared = {
    ...(typeof message.result === "string" && message.result !== "" ? { summary: message.result } : {}),
    ...(message.total_cost_usd === undefined ? {} : { costUsd: message.total_cost_usd }),
    ...(message.num_turns === undefined ? {} : { turns: message.num_turns }),
    ...(deniedTools.length === 0 ? {} : { deniedTools }),
  };
  const attention = attentionOf({ message, signals: context.signals, now: context.now ?? Date.now() });
  if (attention !== undefined) {
    const resetsAt = attention.limitResetsAt === undefined ? {} : { limitResetsAt: attention.limitResetsAt };
    return { ok: false, failure: attention.failure, ...shared, ...resetsAt };
  }
  if (!message.is_error) return { ok: true, ...shared };
  return { ok: false, failure: classifyClaudeError(message, context), ...shared };
}

function classifyClaudeError(message: ClaudeResultMessage, context: ResultContext): AgentFailure {
  const text = (message.result ?? message.errors?.join("; ") ?? "").trim();
  const at = context.modelApi === undefined ? "" : ` at ${context.modelApi}`;
  // The CLI gives no status or code for missing credentials (api_error_status is null), only
  // this text ("Not logged in · Please run /login"), so the text is all there is to match.
  if (/not logged in/i.test(text)) {
    return {
      kind: "not_logged_in",
      message: `Claude Code has no valid credentials (${text}). ${LOGIN_HELP}`,
    };
  }
  const status = message.api_error_status;
  if (status === 401 || status === 403) {
    return {
      kind: "model_auth",
      message: `The model API${at} refused Claude Code's credentials (${text || `HTTP ${status}`}). ${CREDENTIALS_HELP}`,
    };
  }
  // Retries used up without one HTTP answer ("API Error: Connection refused ... (ECONNREFUSED)").
  if (message.terminal_reason === "api_error" && status == null) {
    return {
      kind: "model_unreachable",
      message: `Claude Code could not reach the model API${at}: ${text || "no answer"}. Check ANTHROPIC_BASE_URL, the network and any proxy settings.`,
    };
  }
  if (message.subtype === "error_max_turns") {
    return {
      kind: "agent_error",
      message: `Claude stopped: ${text}. Raise max_turns for this task if it needs more.`,
    };
  }
  if (message.subtype === "error_max_budget_usd") {
    return {
      kind: "agent_error",
      message: `Claude stopped: ${text}. Raise max_budget_usd for this task if it needs more.`,
    };
  }
  return { kind: "agent_error", message: `Claude Code reported an error: ${text || "no details given"}` };
}

function uniqueToolNames(denials: ClaudeResultMessage["permission_denials"]): string[] {
  const names = (denials ?? []).map((denial) => denial.tool_name).filter(isString);
  return [...new Set(names)];
}

const isString = (value: unknown): value is string => typeof value === "string";
const isObject = (value: unknown): value is { tool_name?: string } =>
  typeof value === "object" && value !== null;
