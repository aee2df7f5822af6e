import { formatCost, formatDuration } from "./format.js";
import { inert, inertCell, safeUrl } from "./inert-text.js";
import { countStatuses, observationOf, type TaskObservation, type TaskStatus } from "./reconcile.js";
import type { ResolvedTask, TaskGraph } from "./task-graph.js";

// The Checks tab's task lines (src/github/sessions/task-checks.ts) still take it from here.
export { formatDuration } from "./format.js";

/**
 * Renders a session's state as Markdown: the table on the summary check run and in the status
 * comment. Pure: links, times and sizes come in as data, so the same input always renders the
 * same text (which is what lets the App skip writes when nothing changed). Text the App did not
 * write (reasons, notes, task names, the file path) is shown inert (core/inert-text.ts), and only
 * well-formed http(s) addresses become links.
 */

/** What the table shows about a task beyond the reconciler's observation. */
export interface TaskStatusDetails extends TaskObservation {
  prNumber?: number | undefined;
  prUrl?: string | undefined;
  runUrl?: string | undefined;
  durationMs?: number | undefined;
  turns?: number | undefined;
  /** A short remark on a running task (e.g. "waiting for the workflow run to appear"). */
  note?: string | undefined;
}

export type TaskDetails = Readonly<Record<string, TaskStatusDetails | undefined>>;

export const STATUS_EMOJI: Record<TaskStatus, string> = {
  pending: "⏳",
  running: "🔄",
  succeeded: "✅",
  failed: "❌",
  skipped: "⏭️",
  cancelled: "🚫",
  needs_input: "✋",
};

export interface StatusTotals extends Record<TaskStatus, number> {
  tasks: number;
  costUsd: number;
  /** Agent time summed over finished attempts with a known duration. */
  durationMs: number;
}

export function statusTotals(graph: TaskGraph, tasks: TaskDetails): StatusTotals {
  const counts = countStatuses(graph.order.map((id) => observationOf(tasks, id).status));
  let costUsd = 0;
  let durationMs = 0;
  for (const id of graph.order) {
    costUsd += tasks[id]?.costUsd ?? 0;
    durationMs += tasks[id]?.durationMs ?? 0;
  }
  return { ...counts, tasks: graph.order.length, costUsd, durationMs };
}

/** "✅ 4 · 🔄 2 · ⏳ 3" — only the statuses present, in a stable order. */
export function renderCounts(totals: StatusTotals): string {
  const order: TaskStatus[] = [
    "succeeded",
    "running",
    "pending",
    "needs_input",
    "failed",
    "skipped",
    "cancelled",
  ];
  return order
    .filter((status) => totals[status] > 0)
    .map((status) => `${STATUS_EMOJI[status]} ${totals[status]} ${status}`)
    .join(" · ");
}

export function renderTotalsLine(totals: StatusTotals): string {
  const parts = [`${totals.tasks} ${totals.tasks === 1 ? "task" : "tasks"}`, renderCounts(totals)];
  parts.push(`cost ${formatCost(totals.costUsd)}`);
  if (totals.durationMs > 0) parts.push(`agent time ${formatDuration(totals.durationMs)}`);
  return `**Totals:** ${parts.filter(Boolean).join(" · ")}`;
}

const HEADER = [
  "| Task | Status | PR | Cost | Duration | Depends on | Notes |",
  "| --- | --- | --- | ---: | ---: | --- | --- |",
];

/**
 * The task table, in the graph's topological order. Rows stop before `maxChars` (check run
 * summaries and comments are capped at 65,535 characters); a last line says how many were left out.
 */
export function renderStatusTable(args: { graph: TaskGraph; tasks: TaskDetails; maxChars?: number }): string {
  const { graph, tasks } = args;
  const maxChars = args.maxChars ?? 60_000;
  const lines = [...HEADER];
  let length = lines.join("\n").length;
  let shown = 0;
  for (const id of graph.order) {
    const task = graph.byId.get(id) as ResolvedTask;
    const row = renderRow(task, tasks[id]);
    // Room for the "… more tasks" line as well.
    if (length + row.length + 1 + 80 > maxChars) break;
    lines.push(row);
    length += row.length + 1;
    shown++;
  }
  const hidden = graph.order.length - shown;
  if (hidden > 0) lines.push("", `… ${hidden} more ${hidden === 1 ? "task" : "tasks"} not shown.`);
  return lines.join("\n");
}

function renderRow(task: ResolvedTask, details: TaskStatusDetails | undefined): string {
  const observation = details ?? { status: "pending" as const, attempts: 0 };
  const label = task.name === task.id ? code(task.id) : `${code(task.id)} ${cell(task.name, 80)}`;
  let status = `${STATUS_EMOJI[observation.status]} ${observation.status}`;
  const runUrl = safeUrl(details?.runUrl);
  if (runUrl) status = `[${status}](${runUrl})`;
  const maxAttempts = 1 + task.retries;
  if (observation.attempts > 1 || (maxAttempts > 1 && observation.attempts > 0)) {
    status += ` (attempt ${observation.attempts}/${Math.max(maxAttempts, observation.attempts)})`;
  }
  const prUrl = safeUrl(details?.prUrl);
  const pr = prUrl && details?.prNumber ? `[#${details.prNumber}](${prUrl})` : "";
  const cost = details?.costUsd !== undefined ? formatCost(details.costUsd) : "";
  const duration = details?.durationMs !== undefined ? formatDuration(details.durationMs) : "";
  const deps = task.dependencies.map(code).join(", ");
  const notes =
    observation.status === "failed" || observation.status === "skipped" || observation.status === "cancelled"
      ? cell(observation.reason ?? "", 300)
      : cell(details?.note ?? "", 200);
  return `| ${label} | ${status} | ${pr} | ${cost} | ${duration} | ${deps} | ${notes} |`;
}

/** Text the App did not write, in a table cell: one line, inert, bounded length. */
export function cell(text: string, maxLength: number): string {
  return inertCell(text, maxLength);
}

function code(text: string): string {
  // Only for task ids, which never contain backticks or pipes (the schema forbids them); branch
  // names may, and are shown with `inert`.
  return `\`${text}\``;
}

export type SessionState = "running" | "completed";

/** Everything about a session the summary and the comment show, apart from the tasks. */
export interface SessionView {
  state: SessionState;
  conclusion?: "success" | "failure" | "cancelled" | "action_required";
  /** The reconciler's one-line outcome, once the session has ended. */
  outcome?: string;
  file: string;
  sha: string;
  sessionId: string;
  checkRunUrl?: string;
  budgetUsd?: number;
  parallel: number;
  cancelRequested: boolean;
  /** The parent issue of an issue session (its tasks are that issue's sub-issues, not a file). */
  issue?: number;
}

/** The check run's title (GitHub shows it next to the check's name). */
export function renderStatusTitle(view: SessionView, totals: StatusTotals): string {
  const done = `${totals.succeeded}/${totals.tasks} succeeded`;
  if (view.state === "running") {
    if (view.cancelRequested) return `Cancelling: ${done}`;
    const parts = [`Running: ${done}`];
    if (totals.running > 0) parts.push(`${totals.running} running`);
    if (totals.failed > 0) parts.push(`${totals.failed} failed`);
    return parts.join(", ");
  }
  if (view.conclusion === "success") return `Succeeded: ${done}`;
  if (view.conclusion === "cancelled") return `Cancelled: ${done}`;
  if (view.conclusion === "action_required") return `Needs input: ${done}, ${totals.needs_input} need input`;
  return `Failed: ${done}${totals.failed > 0 ? `, ${totals.failed} failed` : ""}`;
}

/** The summary check run's `output.summary`: outcome, totals, the table. */
export function renderStatusSummary(args: {
  view: SessionView;
  graph: TaskGraph;
  tasks: TaskDetails;
  maxChars?: number;
}): string {
  const { view, graph, tasks } = args;
  const totals = statusTotals(graph, tasks);
  const head = [...sessionHeadLines(view), "", renderTotalsLine(totals), ""];
  const headText = head.join("\n");
  const table = renderStatusTable({
    graph,
    tasks,
    maxChars: (args.maxChars ?? 60_000) - headText.length - 1,
  });
  return `${headText}\n${table}`;
}

function sessionHeadLines(view: SessionView): string[] {
  const lines: string[] = [];
  if (view.state === "completed" && view.outcome) lines.push(`**${capitalize(view.outcome)}.**`);
  else if (view.cancelRequested) lines.push("**Cancelling:** running tasks are being stopped.");
  const budget = view.budgetUsd !== undefined ? ` · budget ${formatCost(view.budgetUsd)}` : "";
  const source =
    view.issue === undefined ? `Tasks file ${inert(view.file, 200)}` : `Sub-issues of #${view.issue}`;
  lines.push(
    `${source} at \`${view.sha.slice(0, 7)}\` · up to ${view.parallel} at once${budget} · session \`${view.sessionId}\``,
  );
  return lines;
}

/**
 * The status comment on the triggering issue. It carries the same table as the Checks tab, the
 * failures with what to do about them, and the commands that apply. A hidden marker names the
 * session, so commands on the issue find it even when people edit or quote the visible text.
 */
export function renderStatusComment(args: {
  view: SessionView;
  graph: TaskGraph;
  tasks: TaskDetails;
  maxChars?: number;
  /** More Markdown after the totals (an issue session's graph), counted against `maxChars`. */
  sections?: readonly string[];
}): string {
  const { view, graph, tasks } = args;
  const totals = statusTotals(graph, tasks);
  const heading = `### ${stateEmoji(view)} Orchestrator session: ${renderStatusTitle(view, totals)}`;
  const lines = [heading, "", ...sessionHeadLines(view)];
  const checkRunUrl = safeUrl(view.checkRunUrl);
  if (checkRunUrl) lines.push(`Live progress: [Checks tab](${checkRunUrl})`);
  lines.push("", renderTotalsLine(totals), "");
  for (const section of args.sections ?? []) lines.push(section, "");
  const failed = graph.order.filter((id) => observationOf(tasks, id).status === "failed");
  const tail: string[] = [];
  if (failed.length > 0) {
    tail.push(
      "",
      `Retry with \`/orchestrate retry failed\` (or \`/orchestrate retry ${failed[0]}\`); dependents that were skipped run again.`,
    );
  } else if (view.state === "running" && !view.cancelRequested) {
    tail.push("", "Stop it with `/orchestrate cancel`.");
  }
  tail.push("", sessionMarker(view.sessionId));
  const headText = lines.join("\n");
  const table = renderStatusTable({
    graph,
    tasks,
    maxChars: (args.maxChars ?? 60_000) - headText.length - tail.join("\n").length - 2,
  });
  return [headText, table, ...tail].join("\n");
}

/** `<!-- orchestrator:session-id ID -->`: what `/orchestrate retry` on the issue looks for first. */
export function sessionMarker(sessionId: string): string {
  return `<!-- orchestrator:session-id ${sessionId} -->`;
}

function stateEmoji(view: SessionView): string {
  if (view.state === "running") return "🔄";
  if (view.conclusion === "success") return "✅";
  if (view.conclusion === "cancelled") return "🚫";
  if (view.conclusion === "action_required") return "✋";
  return "❌";
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
