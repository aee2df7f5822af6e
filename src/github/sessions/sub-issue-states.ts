import { inert, safeUrl } from "../../core/inert-text.js";
import { STATUS_EMOJI } from "../../core/render-status.js";
import type { TaskGraph } from "../../core/task-graph.js";
import { describeApiError, type GitHubClient, type RepoRef } from "../github-client.js";
import { taskView, type SessionRecord, type TaskView } from "./session-record.js";
import { writeComment } from "./status-comment.js";

/**
 * Each sub-issue of an issue session shows its task's state in one comment of the App, created
 * when the task first starts and edited in place as it changes (running → succeeded, failed, a
 * retry, skipped, cancelled). Why a comment rather than labels: one write per change (a label
 * change is two, remove and add, and would need the labels created first), no new permission,
 * room for the run and pull request links and the reason of a failure, and nothing to clean up.
 *
 * Cost: a task that runs once and succeeds costs 2 writes (create, edit); each retry 2 more
 * (running again, its end). No reads: the record keeps the comment's id and what it shows, so a
 * state already shown is never written again. A task that never starts gets no comment.
 * Part of a pass's bookkeeping: `stop` hands the rest over to the next pass, which goes on
 * from the record.
 */
export async function syncSubIssueStates(args: {
  client: GitHubClient;
  repo: RepoRef;
  sessionId: string;
  record: SessionRecord;
  graph: TaskGraph;
  stop: () => boolean;
}): Promise<{ written: number; warnings: string[] }> {
  const { client, repo, record, graph } = args;
  const issues = record.issueGraph;
  const result = { written: 0, warnings: [] as string[] };
  if (!issues) return result;
  for (const id of graph.order) {
    const issue = issues.tasks[id];
    if (!issue) continue;
    const view = taskView(record, id);
    if (view.status === "pending" && view.attempts === 0 && issue.comment === undefined) continue;
    const shown = shownState(view);
    if (issue.comment?.shown === shown && issue.comment.id !== undefined) continue;
    if (args.stop()) return result;
    const body = renderSubIssueState({ sessionId: args.sessionId, taskId: id, parent: issues.parent, view });
    try {
      const commentId = await writeComment({
        client,
        repo,
        issueNumber: issue.number,
        commentId: issue.comment?.id,
        body,
      });
      issue.comment = { id: commentId, shown };
      result.written++;
    } catch (error) {
      // Shown by the next pass; the session goes on.
      result.warnings.push(
        `could not show the state of ${id} on #${issue.number}: ${describeApiError(error)}`,
      );
    }
  }
  return result;
}

/** What a comment shows, as far as a change is worth a write: the state, the attempt, the PR. */
function shownState(view: TaskView): string {
  return [view.status, view.attempts, view.prNumber ?? ""].join(":");
}

const WORDS: Readonly<Record<TaskView["status"], string>> = {
  pending: "waiting to run",
  running: "running",
  succeeded: "done",
  failed: "failed",
  skipped: "skipped",
  cancelled: "cancelled",
  needs_input: "needs input",
};

export function renderSubIssueState(args: {
  sessionId: string;
  taskId: string;
  parent: number;
  view: TaskView;
}): string {
  const { view, taskId, parent } = args;
  const attempt = view.attempts > 1 ? ` (attempt ${view.attempts})` : "";
  const parts = [
    `${STATUS_EMOJI[view.status]} **Orchestrator:** task \`${taskId}\` is **${WORDS[view.status]}**${attempt}`,
  ];
  const runUrl = safeUrl(view.runUrl);
  if (runUrl) parts.push(`[workflow run](${runUrl})`);
  const prUrl = safeUrl(view.prUrl);
  if (prUrl && view.prNumber !== undefined) parts.push(`pull request [#${view.prNumber}](${prUrl})`);
  const lines = [parts.join(" · ")];
  if (view.status === "succeeded")
    lines.push("", "Its pull request closes this issue when it is merged into the default branch.");
  if ((view.status === "failed" || view.status === "skipped" || view.status === "cancelled") && view.reason)
    lines.push("", `Why: ${inert(view.reason, 300)}`);
  if (view.status === "failed")
    lines.push("", `Retry it with \`/orchestrate retry ${taskId}\` on #${parent}.`);
  lines.push(
    "",
    `One step of the session on #${parent}: its status comment shows the whole graph.`,
    "",
    `<!-- orchestrator:sub-issue ${args.sessionId} ${taskId} -->`,
  );
  return lines.join("\n");
}
