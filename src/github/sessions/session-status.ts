import { observationOf, type TaskStatus } from "../../core/reconcile.js";
import { renderStatusTitle, statusTotals, type SessionView } from "../../core/render-status.js";
import type { TaskGraph } from "../../core/task-graph.js";
import type { RepoRef } from "../github-client.js";
import { taskViews, taskView, type SessionRecord, type SessionTrigger } from "./session-record.js";

/** A session as callers (replies, HTTP API, CLI) see it. */
export interface SessionStatus {
  sessionId: string;
  /** "owner/repo" */
  repository: string;
  sha: string;
  file: string;
  state: "running" | "completed";
  conclusion?: "success" | "failure" | "cancelled" | "action_required";
  /** One line: the outcome once ended, else the progress. */
  summary: string;
  checkRunUrl?: string;
  createdAt: string;
  trigger: SessionTrigger;
  cancelRequested: boolean;
  statusComment?: { issueNumber: number; commentId?: number };
  /** Why the session never started (an invalid tasks file). */
  error?: { kind: string; message: string };
  totals: {
    costUsd: number;
    tasks: number;
    succeeded: number;
    failed: number;
    running: number;
    pending: number;
    skipped: number;
    cancelled: number;
  };
  tasks: SessionTaskStatus[];
}

export interface SessionTaskStatus {
  id: string;
  name: string;
  status: TaskStatus;
  attempts: number;
  dependencies: string[];
  branch: string;
  prNumber?: number;
  prUrl?: string;
  runId?: number;
  runUrl?: string;
  costUsd?: number;
  durationMs?: number;
  reason?: string;
}

export function sessionLimits(
  record: SessionRecord,
  graph: TaskGraph,
): { maxParallel: number; budgetUsd: number | undefined } {
  return { maxParallel: record.options.parallel, budgetUsd: record.options.budgetUsd ?? graph.budgetUsd };
}

export function sessionView(args: {
  sessionId: string;
  record: SessionRecord;
  graph: TaskGraph | null;
  checkRunUrl: string | undefined;
}): SessionView {
  const { record } = args;
  const view: SessionView = {
    state: record.outcome || record.error ? "completed" : "running",
    file: record.file,
    sha: record.sha,
    sessionId: args.sessionId,
    parallel: record.options.parallel,
    cancelRequested: record.cancelRequested === true,
  };
  if (record.issueGraph) view.issue = record.issueGraph.parent;
  if (record.outcome) {
    view.conclusion = record.outcome.conclusion;
    view.outcome = record.outcome.summary;
  } else if (record.error) {
    view.conclusion = "failure";
    view.outcome = record.error.message;
  }
  if (args.checkRunUrl) view.checkRunUrl = args.checkRunUrl;
  const budget = record.options.budgetUsd ?? args.graph?.budgetUsd;
  if (budget !== undefined) view.budgetUsd = budget;
  return view;
}

export function buildSessionStatus(args: {
  sessionId: string;
  repo: RepoRef;
  record: SessionRecord;
  graph: TaskGraph | null;
  checkRunUrl: string | undefined;
}): SessionStatus {
  const { record, graph } = args;
  const view = sessionView(args);
  const tasks: SessionTaskStatus[] = [];
  const totals = {
    costUsd: 0,
    tasks: 0,
    succeeded: 0,
    failed: 0,
    running: 0,
    pending: 0,
    skipped: 0,
    cancelled: 0,
  };
  let summary = view.outcome ?? "";
  if (graph) {
    const counted = statusTotals(graph, taskViews(record));
    for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] = counted[key];
    if (!summary) summary = renderStatusTitle(view, counted);
    for (const task of graph.tasks) {
      const entry = taskView(record, task.id);
      const observation = observationOf(record.tasks, task.id);
      const item: SessionTaskStatus = {
        id: task.id,
        name: task.name,
        status: observation.status,
        attempts: observation.attempts,
        dependencies: [...task.dependencies],
        branch: task.branch,
      };
      if (entry.prNumber !== undefined) item.prNumber = entry.prNumber;
      if (entry.prUrl !== undefined) item.prUrl = entry.prUrl;
      if (entry.runId !== undefined) item.runId = entry.runId;
      if (entry.runUrl !== undefined) item.runUrl = entry.runUrl;
      if (entry.costUsd !== undefined) item.costUsd = entry.costUsd;
      if (entry.durationMs !== undefined) item.durationMs = entry.durationMs;
      if (entry.reason !== undefined) item.reason = entry.reason;
      tasks.push(item);
    }
  }
  const status: SessionStatus = {
    sessionId: args.sessionId,
    repository: `${args.repo.owner}/${args.repo.repo}`,
    sha: record.sha,
    file: record.file,
    state: view.state,
    summary,
    createdAt: record.createdAt,
    trigger: record.trigger,
    cancelRequested: record.cancelRequested === true,
    totals,
    tasks,
  };
  if (view.conclusion) status.conclusion = view.conclusion;
  if (args.checkRunUrl) status.checkRunUrl = args.checkRunUrl;
  if (record.error) status.error = record.error;
  if (record.statusComment) {
    status.statusComment = { issueNumber: record.statusComment.issueNumber };
    if (record.statusComment.commentId !== undefined)
      status.statusComment.commentId = record.statusComment.commentId;
  }
  return status;
}
