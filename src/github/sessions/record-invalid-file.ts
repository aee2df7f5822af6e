import { formatSessionId } from "../../core/session-id.js";
import { formatIssue, type ValidationIssue } from "../../core/validation-issue.js";
import type { GitHubClient, RepoRef } from "../github-client.js";
import type { AppConfig } from "./app-config.js";
import { SUMMARY_CHECK_NAME, SUMMARY_EXTERNAL_ID } from "./load-session.js";
import { RECORD_NOTE } from "./save-session.js";
import { encodeSessionRecord, type SessionRecord, type SessionTrigger } from "./session-record.js";
import { buildSessionStatus } from "./session-status.js";
import type { StartSessionOptions, StartSessionResult } from "./start-session.js";
import type { TasksSourceResult } from "./tasks-source.js";

/** Most annotations one request may carry. */
const ANNOTATIONS_PER_REQUEST = 50;

/**
 * An invalid tasks file: a failed summary check run that lists every problem (an annotation on
 * each line at fault), and nothing else. The session id finds it like any other session.
 */
export async function recordInvalidFile(args: {
  client: GitHubClient;
  repo: RepoRef;
  options: StartSessionOptions;
  trigger: SessionTrigger;
  config: AppConfig;
  sha: string;
  path: string;
  defaultBranch: string;
  source: Extract<TasksSourceResult, { ok: false }>;
}): Promise<StartSessionResult> {
  const { client, repo, source, sha, path } = args;
  const now = args.config.now().toISOString();
  const record: SessionRecord = {
    version: 2,
    sha,
    file: path,
    baseBranch: args.defaultBranch,
    dispatchRef: args.defaultBranch,
    workflowFile: args.config.workflowFile,
    options: { parallel: args.options.parallel ?? args.config.defaultParallel },
    trigger: args.trigger,
    createdAt: now,
    cancelRequested: false,
    error: { kind: source.kind, message: source.message },
    tasks: {},
    runs: {},
  };
  if (args.trigger.kind === "comment") record.statusComment = { issueNumber: args.trigger.issueNumber };
  const problems = renderIssues(source.issues, 50_000);
  const inRepo = !args.options.inlineTasks;
  const annotations = inRepo
    ? source.issues.slice(0, ANNOTATIONS_PER_REQUEST).map((issue) => {
        const line = issue.line ?? 1;
        const annotation: {
          path: string;
          start_line: number;
          end_line: number;
          start_column?: number;
          end_column?: number;
          annotation_level: "failure";
          message: string;
          title?: string;
        } = {
          path,
          start_line: line,
          end_line: line,
          annotation_level: "failure",
          message: issue.message,
        };
        if (issue.column !== undefined) {
          annotation.start_column = issue.column;
          annotation.end_column = issue.column;
        }
        const title = [issue.task && `task ${issue.task}`, issue.field && `field ${issue.field}`]
          .filter(Boolean)
          .join(", ");
        if (title) annotation.title = title;
        return annotation;
      })
    : [];
  const { data: check } = await client.request("POST /repos/{owner}/{repo}/check-runs", {
    ...repo,
    name: SUMMARY_CHECK_NAME,
    head_sha: sha,
    external_id: SUMMARY_EXTERNAL_ID,
    status: "completed",
    conclusion: "failure",
    started_at: now,
    completed_at: now,
    output: {
      title: `Invalid tasks file: ${source.issues.length} ${source.issues.length === 1 ? "problem" : "problems"}`,
      summary: `Nothing was started: fix \`${path}\` and start again.\n\n${problems}`,
      text: `${RECORD_NOTE}\n\n${encodeSessionRecord(record)}`,
      ...(annotations.length > 0 ? { annotations } : {}),
    },
  });
  const sessionId = formatSessionId({ ...repo, checkRunId: Number(check.id) });
  const message = `${source.message}:\n\n${problems}`;
  const status = buildSessionStatus({
    sessionId,
    repo,
    record,
    graph: null,
    checkRunUrl: check.html_url ?? undefined,
  });
  return {
    ok: false,
    error: { kind: "invalid_tasks_file", message, issues: source.issues },
    sessionId,
    status,
    warnings: [],
  };
}

function renderIssues(issues: readonly ValidationIssue[], maxChars: number): string {
  const lines: string[] = [];
  let length = 0;
  for (const [index, issue] of issues.entries()) {
    const line = `- ${formatIssue(issue).replace(/\s+/g, " ")}`;
    if (length + line.length > maxChars) {
      lines.push(`- … ${issues.length - index} more`);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join("\n");
}
