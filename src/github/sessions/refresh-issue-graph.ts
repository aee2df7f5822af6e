import { applyIssueGraphChange } from "../../core/issue-graph-change.js";
import { describeApiError, type GitHubClient } from "../github-client.js";
import { issueTasksOf, readIssueSource } from "./issue-source.js";
import type { LoadedSession } from "./load-session.js";

/**
 * Reads an issue session's sub-issue graph again and applies what changed to the tasks that have
 * not started (the rule: `core/issue-graph-change.ts`). Called by a pass that a `sub_issues` or
 * `issue_dependencies` webhook, or the sweep, asked for. Reads only: the record changes in memory
 * and the pass saves it with the rest (the status comment says what changed).
 *
 * Requests: 1 for the parent, 1 per 100 sub-issues, 1 per open sub-issue with blockers.
 */
export async function refreshIssueGraph(args: {
  client: GitHubClient;
  session: LoadedSession;
  warnings: string[];
  /** This App (its own sub-issues, from approved plans, run like a writer's). */
  appId?: number | undefined;
}): Promise<{ changed: boolean }> {
  const { record } = args.session;
  const issues = record.issueGraph;
  if (!issues || !record.inlineTasks || record.outcome !== undefined || record.error)
    return { changed: false };
  let read;
  try {
    read = await readIssueSource({
      client: args.client,
      repo: args.session.repo,
      issueNumber: issues.parent,
      appId: args.appId,
    });
  } catch (error) {
    // A passing fault: the session goes on with the graph it has; the next wake-up reads again.
    args.warnings.push(`could not read the sub-issues of #${issues.parent}: ${describeApiError(error)}`);
    return { changed: false };
  }
  if (!read.ok && read.kind !== "invalid_issue_graph") {
    // The parent is gone, or the API is: nothing to apply.
    issues.changes = [`the sub-issues of #${issues.parent} could not be read again: ${read.message}`];
    return { changed: false };
  }
  const oldIssueOf: Record<string, number> = {};
  for (const [id, task] of Object.entries(issues.tasks)) oldIssueOf[id] = task.number;
  const change = applyIssueGraphChange({
    parent: issues.parent,
    state: record.tasks,
    oldFile: record.inlineTasks,
    oldIssueOf,
    next: read.ok ? read.tasks : { ok: false, problems: read.problems, notes: read.notes },
  });
  if (change.kind === "unchanged") {
    // Keep what the last change said until the next one; a refusal no longer applies.
    if (issues.changes?.some((note) => note.includes("was not applied"))) delete issues.changes;
  } else issues.changes = change.notes;
  if (read.ok) {
    if (read.tasks.waiting.length > 0) issues.waiting = read.tasks.waiting;
    else delete issues.waiting;
    if (read.tasks.notes.length > 0) issues.notes = read.tasks.notes;
    else delete issues.notes;
  }
  if (change.kind !== "changed" || !read.ok) return { changed: false };

  record.inlineTasks = change.file;
  const known = issues.tasks;
  const byNumber = issueTasksOf(read.tasks, read.snapshot, known);
  const tasks: typeof known = {};
  for (const [id, number] of Object.entries(change.issueOf))
    tasks[id] = byNumber[id] ?? known[id] ?? { number, id: 0 };
  issues.tasks = tasks;
  for (const id of change.removed) {
    delete record.tasks[id];
    delete record.runs[id];
  }
  issues.revision = (issues.revision ?? 0) + 1;
  return { changed: true };
}
