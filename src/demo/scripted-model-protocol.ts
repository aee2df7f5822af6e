import type {
  ApiContentBlock,
  ApiMessage,
  ScriptContext,
  ScriptedToolUse,
  ScriptedUsage,
  ToolResult,
} from "./scripted-model-script.js";

/**
 * The Anthropic Messages API, as much of it as Claude Code needs: reading a request into a
 * script context, and writing a reply as a JSON message or as the SSE event stream
 * (message_start, content_block_start/delta/stop, message_delta, message_stop).
 */

export interface MessagesRequest {
  model: string;
  system?: string | ApiContentBlock[];
  messages: ApiMessage[];
  tools?: unknown[];
  stream?: boolean;
}

/** A reply the model gives as a message (errors and hangs are handled by the server). */
export interface ModelAnswer {
  text?: string;
  toolUse?: readonly ScriptedToolUse[];
  usage?: ScriptedUsage;
}

/**
 * Usage reported when the script gives none. Non-zero, so the CLI computes a non-zero
 * total_cost_usd from its price table, as it would against the real API.
 */
export const DEFAULT_USAGE: ScriptedUsage = { inputTokens: 1_000, outputTokens: 100 };

export function parseMessagesRequest(value: unknown): MessagesRequest | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const body = value as Partial<MessagesRequest>;
  if (typeof body.model !== "string" || !Array.isArray(body.messages)) return undefined;
  return body as MessagesRequest;
}

/**
 * Claude Code's agent loop always offers tools; the small requests it makes on the side
 * (titles, summaries, command classification) carry none. Those get a short text answer and
 * never reach the script.
 */
export function isAgentConversation(request: MessagesRequest): boolean {
  return Array.isArray(request.tools) && request.tools.length > 0;
}

export function scriptContext(request: MessagesRequest): ScriptContext {
  const messages = request.messages;
  const firstUser = messages.find((message) => message.role === "user");
  const lastUser = [...messages].reverse().find((message) => message.role === "user");
  const toolResults = lastUser === undefined ? [] : blocks(lastUser).filter(isToolResult).map(toToolResult);
  return {
    model: request.model,
    system: textOf(request.system ?? ""),
    messages,
    prompt: firstUser === undefined ? "" : promptText(firstUser),
    turn: messages.filter((message) => message.role === "assistant").length,
    hasToolResult: toolResults.length > 0,
    toolResults,
  };
}

export interface ReplyIds {
  messageId: string;
  toolUseId: (index: number) => string;
}

export function answerMessage(answer: ModelAnswer, model: string, ids: ReplyIds): Record<string, unknown> {
  const usage = answer.usage ?? DEFAULT_USAGE;
  return {
    id: ids.messageId,
    type: "message",
    role: "assistant",
    model,
    content: contentBlocks(answer, ids),
    stop_reason: stopReason(answer),
    stop_sequence: null,
    usage: usageFields(usage, usage.outputTokens),
  };
}

export function answerEventStream(answer: ModelAnswer, model: string, ids: ReplyIds): string {
  const usage = answer.usage ?? DEFAULT_USAGE;
  const events: Array<[string, Record<string, unknown>]> = [
    [
      "message_start",
      {
        message: {
          id: ids.messageId,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: usageFields(usage, 1),
        },
      },
    ],
  ];
  contentBlocks(answer, ids).forEach((block, index) => {
    if (block.type === "text") {
      events.push(["content_block_start", { index, content_block: { type: "text", text: "" } }]);
      events.push(["content_block_delta", { index, delta: { type: "text_delta", text: block.text } }]);
    } else {
      events.push(["content_block_start", { index, content_block: { ...block, input: {} } }]);
      const partial_json = JSON.stringify(block.input);
      events.push(["content_block_delta", { index, delta: { type: "input_json_delta", partial_json } }]);
    }
    events.push(["content_block_stop", { index }]);
  });
  events.push([
    "message_delta",
    {
      delta: { stop_reason: stopReason(answer), stop_sequence: null },
      usage: { output_tokens: usage.outputTokens },
    },
  ]);
  events.push(["message_stop", {}]);
  return events
    .map(([type, data]) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
    .join("");
}

export function errorBody(status: number, message: string): Record<string, unknown> {
  return { type: "error", error: { type: errorType(status), message } };
}

/** A rough token count (about four characters a token) for count_tokens requests. */
export function estimateTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? "").length / 4));
}

function contentBlocks(answer: ModelAnswer, ids: ReplyIds): ApiContentBlock[] {
  const text: ApiContentBlock[] = answer.text === undefined ? [] : [{ type: "text", text: answer.text }];
  const tools: ApiContentBlock[] = (answer.toolUse ?? []).map((tool, index) => ({
    type: "tool_use",
    id: ids.toolUseId(index),
    name: tool.name,
    input: tool.input,
  }));
  return [...text, ...tools];
}

function stopReason(answer: ModelAnswer): "tool_use" | "end_turn" {
  return answer.toolUse !== undefined && answer.toolUse.length > 0 ? "tool_use" : "end_turn";
}

function usageFields(usage: ScriptedUsage, outputTokens: number): Record<string, number> {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function errorType(status: number): string {
  const types: Record<number, string> = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
  };
  return types[status] ?? "api_error";
}

function blocks(message: ApiMessage): ApiContentBlock[] {
  return typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
}

function promptText(message: ApiMessage): string {
  return blocks(message)
    .filter((block) => block.type === "text" && typeof block.text === "string")
    .map((block) => block.text ?? "")
    .filter((text) => !text.trimStart().startsWith("<system-reminder>"))
    .join("\n")
    .trim();
}

function textOf(value: string | ApiContentBlock[]): string {
  if (typeof value === "string") return value;
  return value.map((block) => (typeof block.text === "string" ? block.text : "")).join("\n");
}

function isToolResult(block: ApiContentBlock): boolean {
  return block.type === "tool_result";
}

function toToolResult(block: ApiContentBlock): ToolResult {
  const content = block.content;
  const text =
    typeof content === "string"
      ? content
      : Array.isArray(content)
        ? content
            .map((part: { text?: unknown }) => (typeof part.text === "string" ? part.text : ""))
            .join("\n")
        : "";
  return { toolUseId: String(block.tool_use_id ?? ""), content: text, isError: block.is_error === true };
}
