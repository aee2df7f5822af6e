import { createHash } from "node:crypto";
import { checkProposal } from "../../core/plan-proposal.js";
import { observationOf } from "../../core/reconcile.js";
import { proposalMarker, renderProposalSection } from "../../core/render-proposal.js";
import { renderIssueGraphSection } from "../../core/render-issue-graph.js";
import { renderStatusComment } from "../../core/render-status.js";
import type { TaskGraph } from "../../core/task-graph.js";
import { describeApiError, httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";
import type { AppConfig } from "./app-config.js";
import { taskViews, type SessionRecord } from "./session-record.js";
import { sessionView } from "./session-status.js";

/**
 * The one status comment on the triggering issue, edited in place. GitHub meters writes, so it
 * is written only when its text changed, and while only progress changed (a task succeeded, one
 * more started) at most once per `statusCommentIntervalMs`; a failure, a cancel and the end of
 * the session are written at once. The digests of what was written live in the session record,
 * so no read of the comment is needed.
 */
export async function syncStatusComment(args: {
  client: GitHubClient;
  repo: RepoRef;
  sessionId: string;
  record: SessionRecord;
  graph: TaskGraph;
  checkRunUrl: string | undefined;
  config: Pick<AppConfig, "statusCommentIntervalMs">;
  now: Date;
  /** Write even if throttled (the `status` command asks for a fresh view). */
  force?: boolean;
}): Promise<{ written: boolean; warning?: string }> {
  const { record } = args;
  const target = record.statusComment;
  if (!target) return { written: false };
  const view = sessionView({ ...args, graph: args.graph });
  const tasks = taskViews(record);
  const sections = record.issueGraph
    ? [
        renderIssueGraphSection({
          parent: record.issueGraph.parent,
          graph: args.graph,
          tasks,
          waiting: record.issueGraph.waiting,
          changes: record.issueGraph.changes,
          notes: record.issueGraph.notes,
        }),
      ]
    : proposalSections(args.sessionId, record);
  const body = renderStatusComment({ view, graph: args.graph, tasks, sections });
  const digest = sha256(body);
  if (target.digest === digest && target.commentId !== undefined) return { written: false };
  const signature = sha256(
    JSON.stringify([
      view.state,
      view.conclusion ?? null,
      record.cancelRequested === true,
      args.graph.order.filter((id) => observationOf(record.tasks, id).status === "failed"),
      // What a change of an issue session's graph did is news too.
      record.issueGraph?.changes ?? null,
      // A proposal that arrived, or was approved, is news too.
      record.planner?.proposal !== undefined,
      record.planner?.created ?? null,
    ]),
  );
  const urgent = target.commentId === undefined || target.signature !== signature || args.force === true;
  const last = target.writtenAt ? Date.parse(target.writtenAt) : Number.NEGATIVE_INFINITY;
  if (!urgent && args.now.getTime() - last < args.config.statusCommentIntervalMs) return { written: false };
  try {
    target.commentId = await writeComment({
      ...args,
      issueNumber: target.issueNumber,
      commentId: target.commentId,
      body,
    });
  } catch (error) {
    return { written: false, warning: `could not write the status comment: ${describeApiError(error)}` };
  }
  target.digest = digest;
  target.signature = signature;
  target.writtenAt = args.now.toISOString();
  return { written: true };
}

/** Edits the comment, or posts a new one when there is none yet (or it was deleted); its id. */
export async function writeComment(args: {
  client: GitHubClient;
  repo: RepoRef;
  issueNumber: number;
  commentId: number | undefined;
  body: string;
}): Promise<number> {
  const { client, repo, body } = args;
  if (args.commentId !== undefined) {
    try {
      await client.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", {
        ...repo,
        comment_id: args.commentId,
        body,
      });
      return args.commentId;
    } catch (error) {
      // Someone deleted it: a new one carries on.
      if (httpStatus(error) !== 404) throw error;
    }
  }
  const { data } = await client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
    ...repo,
    issue_number: args.issueNumber,
    body,
  });
  return Number(data.id);
}

/** A planner session's proposal, once its run has pushed one. */
function proposalSections(sessionId: string, record: SessionRecord): string[] {
  const planner = record.planner;
  if (planner === undefined) return [];
  // The marker from the start, so `/orchestrate approve` meanwhile is told to wait.
  const checked = planner.proposal === undefined ? undefined : checkProposal(planner.proposal);
  if (checked === undefined || !checked.ok) {
    const doing =
      record.outcome === undefined
        ? `The planner is reading the repository to propose sub-issues for #${planner.issue}.`
        : "The planner made no proposal.";
    return [`${proposalMarker(sessionId)}\n${doing}`];
  }
  return [
    renderProposalSection({
      sessionId,
      issue: planner.issue,
      proposal: checked.proposal,
      graph: checked.graph,
      created: planner.created,
    }),
  ];
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 22);
}
