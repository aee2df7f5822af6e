import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";
import { observationOf, type TaskObservation } from "../../core/reconcile.js";
import { planProposalSchema } from "../../core/plan-proposal.js";
import { sessionStateShape } from "../../core/session-state.js";
import { tasksFileSchema } from "../../core/tasks-schema.js";

/**
 * The session record: everything the App needs to carry a session on, stored on GitHub in the
 * summary check run's `output.text` inside an HTML comment (hidden when GitHub renders the
 * Markdown). Large records are gzipped and base64-encoded to stay under the 65,535-character cap.
 */

export const TASK_CHECK_CONCLUSIONS = [
  "success",
  "failure",
  "cancelled",
  "timed_out",
  "skipped",
  "action_required",
  /** A limited attempt: neither success nor failure; the task starts again after the reset. */
  "neutral",
] as const;
export type TaskCheckConclusion = (typeof TASK_CHECK_CONCLUSIONS)[number];

/**
 * A restack run of a task's branch (mode "restack", no agent): rebased onto `onto`'s branch (its
 * work changed, `why: "revised"`) or onto the base branch (`onto` merged). Beside the core's
 * state: the machine only asks for it (the `restack` action); the App remembers it here.
 */
const restackFactsSchema = z.object({
  /** The dependency whose branch moved or merged. */
  onto: z.string(),
  why: z.enum(["revised", "merged"]),
  /** That dependency's attempt at the time (a later revision is another restack). */
  ontoAttempt: z.number().int().min(0),
  /** The dependency's tip the branch was built on, when known (a merged pull request's head). */
  from: z.string().optional(),
  /** The branch the task's branch goes onto. */
  base: z.string(),
  /**
   * The task's branch tip when the restack was dispatched, read only when tasks are built on this
   * task's branch: once it is rebased, they are restacked onto it from this tip.
   */
  tipBefore: z.string().optional(),
  state: z.enum(["dispatched", "succeeded", "failed"]),
  at: z.string(),
  runId: z.number().int().optional(),
  runUrl: z.string().optional(),
  endedAt: z.string().optional(),
  /** Why it failed (a conflict names the files); from the run, shown inert. */
  reason: z.string().optional(),
  conflict: z.boolean().optional(),
  /** The task's check run shows this restack's failure (so a later success writes it again). */
  checkShowsFailure: z.boolean().optional(),
});
export type RestackFacts = z.infer<typeof restackFactsSchema>;

/**
 * What the App knows about a task beside the core's state (`tasks`): its run, pull request and
 * timing. Everything but `check` belongs to the current attempt and is dropped when the session
 * machine says the attempt no longer applies (a `forget` or `start` action).
 */
const taskFactsSchema = z.object({
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
  /** A needs-input attempt: the tools it was refused and its question (the agent's text). */
  refusedTools: z.array(z.string()).max(20).optional(),
  question: z.string().max(2_000).optional(),
  /**
   * The attempt's dispatch is not settled: `uncertain` (a 5xx or no answer; a run may exist) or
   * `unsent` (refused for a rate limit; provably none); `claim` is which dispatch of the attempt it
   * was (1, 2, …; the name is from when each dispatch was claimed by a ref), sent at `at`.
   * The session pass settles it (session-pass.ts `settleDispatches`).
   */
  dispatch: z
    .object({
      claim: z.number().int().min(1),
      at: z.string(),
      state: z.enum(["uncertain", "unsent"]),
    })
    .optional(),
  /** The last restack of this attempt's branch (sessions/restack-dependents.ts, restack-runs.ts). */
  restack: restackFactsSchema.optional(),
  /**
   * Reviewers who asked for changes on the task's pull request (a revise): asked to review again
   * once the revised attempt succeeds. Kept across the attempt's start; dropped when it ends.
   */
  reviewers: z.array(z.string()).optional(),
  /** The task check run last written for this task: which attempt and which conclusion. */
  check: z
    .object({
      id: z.number().int(),
      attempt: z.number().int().min(0),
      conclusion: z.enum(TASK_CHECK_CONCLUSIONS),
    })
    .optional(),
});
export type TaskFacts = z.infer<typeof taskFactsSchema>;

/** The facts that describe one attempt (all but the check run last written). */
export const PER_ATTEMPT_FACTS = [
  "runId",
  "runUrl",
  "runConclusion",
  "prNumber",
  "prUrl",
  "turns",
  "durationMs",
  "startedAt",
  "endedAt",
  "note",
  "dispatch",
  "restack",
  "refusedTools",
  "question",
] as const satisfies ReadonlyArray<keyof TaskFacts>;

/** A task as the App shows it: the core's state and the App's facts together. */
export type TaskView = TaskObservation & TaskFacts;

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

/** A task of an issue session: the sub-issue it came from, and what the sub-issue shows of it. */
const issueTaskSchema = z.object({
  /** The sub-issue's number, in the session's repository. */
  number: z.number().int().min(1),
  /** Its database id (what GitHub's sub-issue and dependency APIs name it by). */
  id: z.number().int(),
  /** The App's comment on the sub-issue showing the task's state, and which state it shows. */
  comment: z.object({ id: z.number().int().optional(), shown: z.string() }).optional(),
});
export type IssueTask = z.infer<typeof issueTaskSchema>;

/**
 * What makes a session an issue session: its tasks (`inlineTasks`) were built from the open
 * sub-issues of `parent` when it started, and the sub-issue graph is read again when it changes
 * (sub-issue-graph.ts).
 */
const issueGraphSchema = z.object({
  parent: z.number().int().min(1),
  /** Task id → its sub-issue. */
  tasks: z.record(z.string(), issueTaskSchema),
  /** Open sub-issues left out because an open issue outside the set blocks them. */
  waiting: z.array(z.object({ issue: z.number().int(), waitsOn: z.array(z.string()) })).optional(),
  /** What the last reading of the graph changed, or why a change was refused (for the status comment). */
  changes: z.array(z.string()).optional(),
  /** Notes of the last reading (closed sub-issues, ones in other repositories). */
  notes: z.array(z.string()).optional(),
  /** Counts the changes applied to `inlineTasks`, so a cached graph of an older version is not used. */
  revision: z.number().int().min(1).optional(),
});
export type IssueGraphRecord = z.infer<typeof issueGraphSchema>;

/**
 * What makes a session a planner session (`/orchestrate plan` on an issue): its one task runs the
 * planner (`mode: plan`), and the proposal it pushed is kept here once read and checked, for the
 * status comment to show and `/orchestrate approve` to make into sub-issues.
 */
const plannerSchema = z.object({
  issue: z.number().int().min(1),
  proposal: planProposalSchema.optional(),
  /** Once approved: task id → the sub-issue made for it. */
  created: z.record(z.string(), z.number().int()).optional(),
});
export type PlannerRecord = z.infer<typeof plannerSchema>;

export const sessionRecordSchema = z.object({
  version: z.literal(2),
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
  /** The core's state of the session (tasks, cancel, outcome): see core/session-state.ts. */
  ...sessionStateShape,
  /** When the session ended (the outcome's time). */
  endedAt: z.string().optional(),
  /** A session that never started (invalid tasks file): why. */
  error: z.object({ kind: z.string(), message: z.string() }).optional(),
  inlineTasks: tasksFileSchema.optional(),
  /** Set for a session whose tasks are an issue's sub-issues (its tasks are `inlineTasks`). */
  issueGraph: issueGraphSchema.optional(),
  planner: plannerSchema.optional(),
  /** The App's own facts per task, beside the core's state. */
  runs: z.record(z.string(), taskFactsSchema),
});
export type SessionRecord = z.infer<typeof sessionRecordSchema>;

/** The task's state and the App's facts about it, together (a copy). */
export function taskView(record: Pick<SessionRecord, "tasks" | "runs">, id: string): TaskView {
  return { ...observationOf(record.tasks, id), ...record.runs[id] };
}

/** Every task the record knows of, as the App shows it (for the status table and totals). */
export function taskViews(record: Pick<SessionRecord, "tasks" | "runs">): Record<string, TaskView> {
  const views: Record<string, TaskView> = {};
  for (const id of new Set([...Object.keys(record.tasks), ...Object.keys(record.runs)])) {
    views[id] = taskView(record, id);
  }
  return views;
}

/** The facts kept for a task, made on first use. */
export function taskFacts(record: Pick<SessionRecord, "runs">, id: string): TaskFacts {
  return (record.runs[id] ??= {});
}

/**
 * Records of version 1 kept the App's facts inside each task's entry and the end time inside the
 * outcome: split them the way version 2 keeps them, so sessions running across an upgrade go on.
 */
function migrateVersion1(value: unknown): unknown {
  if (typeof value !== "object" || value === null || (value as { version?: unknown }).version !== 1)
    return value;
  const old = value as Record<string, unknown> & { tasks?: Record<string, Record<string, unknown>> };
  const tasks: Record<string, unknown> = {};
  const runs: Record<string, unknown> = {};
  for (const [id, entry] of Object.entries(old.tasks ?? {})) {
    const { status, attempts, reason, costUsd, merged, ...facts } = entry;
    tasks[id] = { status, attempts, reason, costUsd, merged };
    if (Object.keys(facts).length > 0) runs[id] = facts;
  }
  const migrated: Record<string, unknown> = { ...old, version: 2, tasks, runs };
  const outcome = old.outcome as { at?: unknown } | undefined;
  if (outcome !== undefined) {
    const { at, ...rest } = outcome;
    migrated.outcome = rest;
    migrated.endedAt = at;
  }
  return migrated;
}

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
    const parsed = sessionRecordSchema.safeParse(migrateVersion1(JSON.parse(json)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
