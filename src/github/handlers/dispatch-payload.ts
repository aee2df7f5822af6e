import { z } from "zod";
import type { SessionOptions } from "../../core/session-options.js";
import { ApiError } from "../http-api/api-error.js";
import {
  cancelPayloadSchema,
  describeFirstIssue,
  retryPayloadSchema,
  startOptionsShape,
  toStartOptions,
} from "../http-api/api-schemas.js";

/**
 * The `client_payload` of each `repository_dispatch` event type, parsed with the HTTP API's
 * schemas (the same options, limits and messages):
 *
 *   event_type "orchestrate"         client_payload { file | tasks_file | issue, ref, parallel, only, budget_usd }
 *   event_type "orchestrate-retry"   client_payload { session_id?, tasks?: "failed" | ["a","b"] | "a,b" }
 *   event_type "orchestrate-cancel"  client_payload { session_id? }
 */
export const DISPATCH_EVENT_TYPES = ["orchestrate", "orchestrate-retry", "orchestrate-cancel"] as const;
export type DispatchEventType = (typeof DISPATCH_EVENT_TYPES)[number];

export type DispatchRequest =
  | { kind: "start"; options: SessionOptions }
  | { kind: "retry"; sessionId?: string; tasks: string[] | "failed" }
  | { kind: "cancel"; sessionId?: string };

const startPayloadSchema = z.strictObject(startOptionsShape);

export function isDispatchEventType(eventType: string): eventType is DispatchEventType {
  return (DISPATCH_EVENT_TYPES as readonly string[]).includes(eventType);
}

/** The request, or the first problem naming its field (`parallel: must be a whole number…`). */
export function parseDispatchPayload(
  eventType: DispatchEventType,
  payload: unknown,
): { ok: true; request: DispatchRequest } | { ok: false; error: string } {
  if (eventType === "orchestrate") {
    const parsed = startPayloadSchema.safeParse(payload);
    if (!parsed.success) return { ok: false, error: describeFirstIssue(parsed.error)[0] };
    try {
      return { ok: true, request: { kind: "start", options: toStartOptions(parsed.data) } };
    } catch (error) {
      if (error instanceof ApiError) return { ok: false, error: error.message };
      throw error;
    }
  }
  if (eventType === "orchestrate-retry") {
    const parsed = retryPayloadSchema.safeParse(payload);
    if (!parsed.success) return { ok: false, error: describeFirstIssue(parsed.error)[0] };
    const { session_id: sessionId, tasks } = parsed.data;
    return {
      ok: true,
      request: { kind: "retry", tasks: tasks ?? "failed", ...(sessionId === undefined ? {} : { sessionId }) },
    };
  }
  const parsed = cancelPayloadSchema.safeParse(payload);
  if (!parsed.success) return { ok: false, error: describeFirstIssue(parsed.error)[0] };
  const sessionId = parsed.data.session_id;
  return { ok: true, request: { kind: "cancel", ...(sessionId === undefined ? {} : { sessionId }) } };
}
