import { renderStatusSummary, renderStatusTitle, statusTotals } from "../../core/render-status.js";
import type { TaskGraph } from "../../core/task-graph.js";
import { httpStatus, type GitHubClient } from "../github-client.js";
import type { LoadedSession } from "./load-session.js";
import { taskViews, encodeSessionRecord, type SessionRecord } from "./session-record.js";
import { sessionView } from "./session-status.js";

/** Buttons on the summary check run (at most 3; label ≤ 20, description ≤ 40 characters). */
export const SUMMARY_ACTIONS = {
  retryFailed: {
    label: "Retry failed",
    identifier: "retry_failed",
    description: "Run the failed tasks again",
  },
  cancel: { label: "Cancel", identifier: "cancel", description: "Stop running tasks, start no more" },
} as const;

export interface SummaryCheckContent {
  status: "in_progress" | "completed";
  conclusion?: "success" | "failure" | "cancelled" | "action_required";
  title: string;
  summary: string;
  text: string;
  actions: Array<{ label: string; identifier: string; description: string }>;
}

export const RECORD_NOTE =
  "The orchestrator keeps this session's state below, hidden; it is read back on every event. Please leave this check run as it is.";

export function renderSummaryCheck(args: {
  sessionId: string;
  record: SessionRecord;
  graph: TaskGraph;
  checkRunUrl: string | undefined;
}): SummaryCheckContent {
  const { record, graph } = args;
  const view = sessionView(args);
  const totals = statusTotals(graph, taskViews(record));
  const actions: SummaryCheckContent["actions"] = [];
  if (totals.failed > 0) actions.push({ ...SUMMARY_ACTIONS.retryFailed });
  if (view.state === "running" && !record.cancelRequested) actions.push({ ...SUMMARY_ACTIONS.cancel });
  const content: SummaryCheckContent = {
    status: view.state === "running" ? "in_progress" : "completed",
    title: renderStatusTitle(view, totals),
    summary: renderStatusSummary({ view, graph, tasks: taskViews(record) }),
    text: `${RECORD_NOTE}\n\n${encodeSessionRecord(record)}`,
    actions,
  };
  if (view.conclusion && view.state === "completed") content.conclusion = view.conclusion;
  return content;
}

/**
 * Writes the record and the table to the summary check run — only when something changed, so a
 * duplicate event costs no write. Returns whether it wrote.
 */
export async function saveSession(args: {
  client: GitHubClient;
  session: LoadedSession;
  content: SummaryCheckContent;
  now: Date;
}): Promise<boolean> {
  const { client, session, content } = args;
  const before = session.checkRun;
  const unchanged =
    before.title === content.title &&
    before.summary === content.summary &&
    before.text === content.text &&
    (before.status === "completed") === (content.status === "completed") &&
    (content.conclusion ?? null) === (before.status === "completed" ? before.conclusion : null);
  if (unchanged) return false;
  const output = { title: content.title, summary: content.summary, text: content.text };
  const base = { ...session.repo, check_run_id: session.ref.checkRunId, output, actions: content.actions };
  if (content.status === "completed") {
    await client.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", {
      ...base,
      status: "completed",
      conclusion: content.conclusion ?? "neutral",
      completed_at: args.now.toISOString(),
    });
  } else {
    try {
      await client.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", {
        ...base,
        status: "in_progress",
      });
    } catch (error) {
      // A retry reopens an ended session; if GitHub will not move a completed check run back to
      // in_progress, the record (which decides) and the table still update.
      if (before.status !== "completed" || httpStatus(error) !== 422) throw error;
      await client.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", base);
    }
  }
  before.title = content.title;
  before.summary = content.summary;
  before.text = content.text;
  before.status = content.status;
  before.conclusion = content.conclusion ?? null;
  return true;
}
