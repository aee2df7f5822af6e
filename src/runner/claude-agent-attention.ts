import { plainLine } from "../core/inert-text.js";
import {
  finalQuestion,
  limitedMessageEnd,
  needsInputMessage,
  refusedToolList,
  resetTimeInMessage,
} from "../core/task-attention.js";
import type { AgentFailure } from "./agent-result.js";
import type { ClaudeResultMessage } from "./claude-agent-output.js";
import type { StreamSignals } from "./claude-agent-signals.js";

/**
 * Claude Code's result read as "needs input" or "limited" (the rules: core/task-attention.ts; what
 * the CLI prints: claude-agent-signals.ts). Undefined: the result means what it says (success or
 * a failure classified elsewhere).
 */
export interface AttentionResult {
  failure: AgentFailure;
  /** For `limited`: when the limit resets (epoch ms), if the API said. */
  limitResetsAt?: number | undefined;
}

export function attentionOf(args: {
  message: ClaudeResultMessage;
  /** The stream's signals; undefined when only the result line is known (a command agent). */
  signals: StreamSignals | undefined;
  now: number;
}): AttentionResult | undefined {
  const { message, signals } = args;
  const text = (message.result ?? message.errors?.join("; ") ?? "").trim();
  if (message.is_error) {
    if (!isLimit(message, text)) return undefined;
    const usage = message.api_error === "usage_limit_reached" || USAGE_LIMIT_WORDS.test(text);
    const resetsAt = signals?.limitResetsAt ?? resetTimeInMessage(text, args.now);
    const what = usage ? "a usage limit" : "a rate limit";
    return {
      failure: {
        kind: "limited",
        message: `The model API answered with ${what} (${plainLine(text, 300) || "HTTP 429"}). ${limitedMessageEnd(resetsAt)}`,
      },
      ...(resetsAt === undefined ? {} : { limitResetsAt: resetsAt }),
    };
  }
  // Only a run whose edits are known, and that made none, can be waiting for a person.
  if (signals === undefined || signals.editsMade > 0) return undefined;
  const refused = refusedToolList(
    (message.permission_denials ?? []).map((denial) => denial.tool_name).filter(isString),
  );
  const question = finalQuestion(message.result ?? undefined);
  if (refused.length === 0 && question === undefined) return undefined;
  const shown = question === undefined ? undefined : plainLine(question, 300);
  return {
    failure: { kind: "needs_input", message: needsInputMessage({ refusedTools: refused, question: shown }) },
  };
}

const USAGE_LIMIT_WORDS = /usage limit|hit your (?:[\w-]+ )?limit|limit reached/i;

function isLimit(message: ClaudeResultMessage, text: string): boolean {
  return (
    message.api_error === "usage_limit_reached" ||
    message.api_error_status === 429 ||
    message.api_error_type === "rate_limit_error" ||
    USAGE_LIMIT_WORDS.test(text)
  );
}

const isString = (value: unknown): value is string => typeof value === "string";
