/**
 * What the needs-input and limited rules (claude-agent-attention.ts) read from Claude Code's
 * stream besides its result message. Measured with the pinned CLI (2.1.330):
 *
 * - a file edit is an `assistant` message with a `tool_use` block (Write, Edit, MultiEdit,
 *   NotebookEdit) followed by a `user` message whose `tool_result` for that id has no `is_error`;
 * - a usage limit (a Claude subscription): `{"type":"rate_limit_event","rate_limit_info":
 *   {"status":"rejected","resetsAt":<epoch s>,"rateLimitType":"five_hour",...}}`, then a synthetic
 *   assistant message with `"api_error":"usage_limit_reached","api_error_params":{"rate_limit_info":
 *   {...same}}` and a result with `"api_error":"usage_limit_reached"`, `"api_error_status":429`
 *   and text such as "You've hit your 5-hour limit · resets 5:42pm (UTC)". Not retried.
 * - a rate limit with an API key (429 `rate_limit_error`): retried by the CLI (`api_retry` lines,
 *   `error_status` 429, waiting `retry-after`), unless the answer says `x-should-retry: false`; the
 *   result then has `"api_error_status":429,"api_error_type":"rate_limit_error"` and no reset time.
 */

/** Tools whose success means the agent changed files in its checkout. */
const EDIT_TOOLS: ReadonlySet<string> = new Set(["Write", "Edit", "MultiEdit", "NotebookEdit"]);

export interface StreamSignals {
  /** File edits that succeeded. */
  editsMade: number;
  /** When a limit the API reported resets (epoch ms), the latest one reported. */
  limitResetsAt?: number | undefined;
}

export class AttentionSignals {
  private readonly editIds = new Set<string>();
  readonly signals: StreamSignals = { editsMade: 0 };

  read(message: Record<string, unknown>): void {
    if (message.type === "rate_limit_event") this.readLimit(message.rate_limit_info);
    const inner = asRecord(message.message);
    if (message.type === "assistant") {
      const params = asRecord(message.api_error_params);
      if (params !== undefined) this.readLimit(params.rate_limit_info);
      for (const block of contentOf(inner)) {
        if (block.type === "tool_use" && typeof block.id === "string" && EDIT_TOOLS.has(String(block.name)))
          this.editIds.add(block.id);
      }
    }
    if (message.type === "user") {
      for (const block of contentOf(inner)) {
        if (block.type !== "tool_result" || typeof block.tool_use_id !== "string") continue;
        if (block.is_error === true || !this.editIds.has(block.tool_use_id)) continue;
        this.editIds.delete(block.tool_use_id);
        this.signals.editsMade++;
      }
    }
  }

  private readLimit(value: unknown): void {
    const info = asRecord(value);
    if (info === undefined || info.status !== "rejected") return;
    const resetsAt = info.resetsAt;
    if (typeof resetsAt === "number" && Number.isFinite(resetsAt) && resetsAt > 0)
      this.signals.limitResetsAt = resetsAt * 1000;
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function contentOf(message: Record<string, unknown> | undefined): Array<Record<string, unknown>> {
  const content = message?.content;
  if (!Array.isArray(content)) return [];
  return content.map(asRecord).filter((block): block is Record<string, unknown> => block !== undefined);
}
