import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import { TASK_STATUSES } from "../../core/reconcile.js";
import { tasksFileSchema } from "../../core/tasks-schema.js";

/**
 * The session record: everything the App needs to carry a session on, stored on GitHub in the
 * summary check run's `output.text` inside an HTML comment (hidden when GitHub renders the
 * Markdown). Large records are gzipped and base64-encoded to stay under the 65,535-character cap.
 */

export const TASK_CHECK_CONCLUSIONS = ["success", "failure", "cancelled", "timed_out", "skipped"] as const;
export type TaskCheckConclusion = (typeof TASK_CHECK_CONCLUSIONS)[number];

const taskRecordSchema = z.object({
  status: z.enum(TASK_STATUSES),
  attempts: z.number().int().min(0),
  reason: z.string().optional(),
  costUsd: z.number().min(0).optional(),
  /** The task's pull request was merged (observed for dependents with `base: "merged"`). */
  merged: z.boolean().optional(),
  // Per attempt: cleared when a new attempt starts or the task goes back to pending.
  runId: z.number().int().optional(),
  runUrl: z.string().optional(),
  runConclusion: z.string().optional(),
  prNumber: z.number().int().optional(),
  prUrl: z.string().optional(),
  turns: z.number().int().min(0).optional(),
  durationMs: z.number().min(0).optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  note: z.string().optional(),
  /** The task check run last written for this task: which attempt and which conclusion. */
  check: z
    .object({
      id: z.number().int(),
      attempt: z.number().int().min(0),
      conclusion: z.enum(TASK_CHECK_CONCLUSIONS),
    })
    .optional(),
});
export type TaskRecord = z.infer<typeof taskRecordSchema>;

const triggerSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("comment"),
    actor: z.string(),
    issueNumber: z.number().int(),
    commentId: z.number().int(),
  }),
  z.object({ kind: z.literal("repository_dispatch"), actor: z.string() }),
  z.object({ kind: z.literal("api"), actor: z.string() }),
  z.object({ kind: z.literal("check_run"), actor: z.string() }),
]);
export type SessionTrigger = z.infer<typeof triggerSchema>;

export const sessionRecordSchema = z.object({
  version: z.literal(1),
  sha: z.string(),
  /** Path of the tasks file at `sha`; for inline tasks a label such as `(inline)`. */
  file: z.string(),
  /** Branch the work targets (the file's `base_branch`, else the default branch). */
  baseBranch: z.string(),
  /** Branch the task workflow is dispatched on (the default branch when the session began). */
  dispatchRef: z.string(),
  workflowFile: z.string(),
  options: z.object({
    parallel: z.number().int().min(1),
    only: z.array(z.string()).optional(),
    budgetUsd: z.number().positive().optional(),
  }),
  trigger: triggerSchema,
  statusComment: z
    .object({
      issueNumber: z.number().int(),
      commentId: z.number().int().optional(),
      /** Digest of the body last written, so an unchanged comment is never rewritten. */
      digest: z.string().optional(),
      /** Digest of what makes an update urgent (state, failures), see status-comment.ts. */
      signature: z.string().optional(),
      writtenAt: z.string().optional(),
    })
    .optional(),
  createdAt: z.string(),
  cancelRequested: z.boolean(),
  /** Set when the session ended; cleared again when a retry reopens it. */
  outcome: z
    .object({
      conclusion: z.enum(["success", "failure", "cancelled"]),
      summary: z.string(),
      at: z.string(),
    })
    .optional(),
  /** A session that never started (invalid tasks file): why. */
  error: z.object({ kind: z.string(), message: z.string() }).optional(),
  inlineTasks: tasksFileSchema.optional(),
  tasks: z.record(z.string(), taskRecordSchema),
});
export type SessionRecord = z.infer<typeof sessionRecordSchema>;

const OPEN = "<!-- orchestrator:session ";
const CLOSE = " -->";
const GZIP_PREFIX = "gz:";
/** Records up to this size stay readable JSON; larger ones are compressed. */
const PLAIN_LIMIT = 16_000;
/** Check run text is capped at 65,535 characters; keep room for the human part around the record. */
export const MAX_ENCODED_RECORD = 60_000;

export class SessionRecordTooLargeError extends Error {
  constructor(readonly size: number) {
    super(
      `the session record needs ${size} characters even compressed, more than a check run can hold ` +
        `(${MAX_ENCODED_RECORD}); split the tasks file into smaller sessions`,
    );
    this.name = "SessionRecordTooLargeError";
  }
}

export function encodeSessionRecord(record: SessionRecord): string {
  // Through the schema: checked before it is stored, and with the key order a read gives back,
  // so an unchanged record encodes to the same text (and costs no write).
  const json = JSON.stringify(sessionRecordSchema.parse(record));
  let payload: string;
  if (json.length <= PLAIN_LIMIT) {
    // "--" may not appear inside an HTML comment; the JSON escape keeps the value intact.
    payload = json.replace(/--/g, "\\u002d\\u002d");
  } else {
    payload = GZIP_PREFIX + gzipSync(json, { level: 9 }).toString("base64");
  }
  if (payload.length > MAX_ENCODED_RECORD) throw new SessionRecordTooLargeError(payload.length);
  return `${OPEN}${payload}${CLOSE}`;
}

/** The record in a check run's text, or null if there is none or it cannot be read. */
export function decodeSessionRecord(text: string | null | undefined): SessionRecord | null {
  if (!text) return null;
  const start = text.lastIndexOf(OPEN);
  if (start < 0) return null;
  const end = text.indexOf(CLOSE, start + OPEN.length);
  if (end < 0) return null;
  const payload = text.slice(start + OPEN.length, end).trim();
  try {
    const json = payload.startsWith(GZIP_PREFIX)
      ? gunzipSync(Buffer.from(payload.slice(GZIP_PREFIX.length), "base64")).toString("utf8")
      : payload;
    const parsed = sessionRecordSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
