/**
 * Claude Code retries a failing model API on its own, for minutes (10 retries with growing
 * delays), and in print mode says so only through `system`/`api_retry` lines of its stream-json
 * output. Measured with the pinned CLI (2.1.330):
 *
 * - nothing listening (connection refused) or a host that does not resolve:
 *   `{"type":"system","subtype":"api_retry","attempt":1,"max_retries":10,"retry_delay_ms":597,
 *   "error_status":null,"error":"unknown"}` — no status, no error code, nothing on stderr;
 * - a key the API rejects (401): the same line with `"error_status":401,
 *   "error":"authentication_failed"`, retried like the rest (a 403 ends at once with a result);
 * - overloaded (529): `"error_status":529,"error":"overloaded"`; 429 is `rate_limit`, other
 *   statuses from 408 up are `server_error`.
 *
 * The rule (pure, here): credentials the API refuses never start working by retrying, so the
 * first 401/403 stops the agent; a run of tries that got no HTTP answer at all means the API
 * cannot be reached, so `UNREACHABLE_AFTER_TRIES` of them in a row stop it too. Overloaded, rate
 * limited and 5xx answers are left to the CLI's own retries (they do pass), and only change what a
 * timeout says.
 */

export interface ApiRetry {
  /** 1 for the first retry: this many requests have failed in a row. */
  attempt: number;
  maxRetries: number | undefined;
  /** The HTTP status; null when no HTTP answer came (connection refused, DNS, reset...). */
  status: number | null;
  /** The CLI's category: unknown, authentication_failed, overloaded, rate_limit, server_error... */
  error: string;
}

/**
 * About 8 s of the CLI's back-off (its 1st to 5th tries at 0, 0.6, 1.6, 4 and 8.5 s): long enough
 * for a blip of the network to pass, far shorter than any task's timeout.
 */
export const UNREACHABLE_AFTER_TRIES = 5;

export type ModelFault =
  { kind: "model_auth"; status: number } | { kind: "model_unreachable"; tries: number };

export function asApiRetry(message: Record<string, unknown>): ApiRetry | undefined {
  if (message.type !== "system" || message.subtype !== "api_retry") return undefined;
  const attempt = typeof message.attempt === "number" ? message.attempt : 1;
  return {
    attempt,
    maxRetries: typeof message.max_retries === "number" ? message.max_retries : undefined,
    status: typeof message.error_status === "number" ? message.error_status : null,
    error: typeof message.error === "string" ? message.error : "unknown",
  };
}

/** Whether the retries seen since the last good answer are reason enough to stop the agent now. */
export function modelFaultOf(retriesInARow: readonly ApiRetry[]): ModelFault | undefined {
  const last = retriesInARow[retriesInARow.length - 1];
  if (last === undefined) return undefined;
  if (last.status === 401 || last.status === 403) return { kind: "model_auth", status: last.status };
  let tries = 0;
  for (let i = retriesInARow.length - 1; i >= 0 && retriesInARow[i]?.status === null; i--) tries++;
  return tries >= UNREACHABLE_AFTER_TRIES ? { kind: "model_unreachable", tries } : undefined;
}

/** "HTTP 529 (overloaded)" or "no HTTP answer", for messages. */
export function describeRetry(retry: ApiRetry): string {
  return retry.status === null
    ? "no HTTP answer"
    : `HTTP ${retry.status} (${retry.error.replaceAll("_", " ")})`;
}
