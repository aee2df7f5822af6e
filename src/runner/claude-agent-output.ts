import type { AgentFailure, AgentResult } from "./agent-result.js";

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
  permission_denials?: Array<{ tool_name?: string }>;
}

/** Feeds on stdout chunks; keeps only what the result needs, so long runs stay small in memory. */
export class ClaudeStreamReader {
  private pending = "";
  private assistantMessages = 0;
  private resultMessage: ClaudeResultMessage | undefined;

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

  private readLine(line: string): void {
    const message = parseJsonObject(line);
    if (message === undefined) return;
    if (message.type === "assistant") this.assistantMessages++;
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
    ...(Array.isArray(value.permission_denials)
      ? { permission_denials: value.permission_denials.filter(isObject) }
      : {}),
  };
}

export const LOGIN_HELP =
  "Log in with `claude auth login` on this machine, or set ANTHROPIC_API_KEY " +
  "(in GitHub Actions: a repository secret passed to the task workflow).";

/** The parts of an AgentResult that Claude's own result message decides. */
export type ClaudeResultFields = Pick<
  AgentResult,
  "ok" | "failure" | "summary" | "costUsd" | "turns" | "deniedTools"
>;

export function claudeResultFields(message: ClaudeResultMessage): ClaudeResultFields {
  const deniedTools = uniqueToolNames(message.permission_denials);
  const shared = {
    ...(typeof message.result === "string" && message.result !== "" ? { summary: message.result } : {}),
    ...(message.total_cost_usd === undefined ? {} : { costUsd: message.total_cost_usd }),
    ...(message.num_turns === undefined ? {} : { turns: message.num_turns }),
    ...(deniedTools.length === 0 ? {} : { deniedTools }),
  };
  if (!message.is_error) return { ok: true, ...shared };
  return { ok: false, failure: classifyClaudeError(message), ...shared };
}

function classifyClaudeError(message: ClaudeResultMessage): AgentFailure {
  const text = (message.result ?? message.errors?.join("; ") ?? "").trim();
  // The CLI gives no status or code for missing credentials (api_error_status is null), only
  // this text ("Not logged in · Please run /login"), so the text is all there is to match.
  if (/not logged in/i.test(text) || message.api_error_status === 401) {
    return {
      kind: "not_logged_in",
      message: `Claude Code has no valid credentials (${text || "authentication failed"}). ${LOGIN_HELP}`,
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
