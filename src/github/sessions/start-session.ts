import { closestMatch } from "../../core/closest-match.js";
import { formatSessionId } from "../../core/session-id.js";
import { LIMITS, type TasksFile } from "../../core/tasks-schema.js";
import { formatIssue, type ValidationIssue } from "../../core/validation-issue.js";
import { describeApiError, httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";
import { activeRefName } from "./active-sessions.js";
import { advanceSession } from "./advance-session.js";
import type { AppConfig } from "./app-config.js";
import { SUMMARY_CHECK_NAME, SUMMARY_EXTERNAL_ID } from "./load-session.js";
import { RECORD_NOTE } from "./save-session.js";
import {
  encodeSessionRecord,
  SessionRecordTooLargeError,
  type SessionRecord,
  type SessionTrigger,
} from "./session-record.js";
import { defaultSessionRuntime, type SessionRuntime } from "./session-runtime.js";
import type { SessionStatus } from "./session-status.js";
import {
  INLINE_FILE_LABEL,
  readInlineTasks,
  readTasksFile,
  selectTasks,
  type TasksSourceResult,
} from "./tasks-source.js";

export const DEFAULT_TASKS_FILE = "tasks/tasks.json";
/** Tried in this order when no file is named. */
const DEFAULT_CANDIDATES = [DEFAULT_TASKS_FILE, "tasks/tasks.yaml", "tasks/tasks.yml"];

export interface StartSessionOptions {
  /** Path of the tasks file (default `tasks/tasks.json`, then `.yaml`/`.yml`). */
  file?: string;
  /** Branch, tag or commit to read the tasks file at (default: the default branch). */
  ref?: string;
  parallel?: number;
  only?: string[];
  budgetUsd?: number;
  /** Tasks given directly (quick start, API) instead of a file. */
  inlineTasks?: TasksFile;
}

export type StartSessionErrorKind =
  | "invalid_options"
  | "repo_not_found"
  | "ref_not_found"
  | "file_not_found"
  | "invalid_tasks_file"
  | "workflow_not_found"
  | "nothing_to_run";

export type StartSessionResult =
  | { ok: true; sessionId: string; status: SessionStatus }
  | {
      ok: false;
      error: { kind: StartSessionErrorKind; message: string; issues?: ValidationIssue[] };
      /** Set when a (failed) summary check run records the problem: invalid tasks file. */
      sessionId?: string;
      status?: SessionStatus;
    };

/**
 * Starts a session: resolves the commit S, reads and validates the tasks file at S, creates the
 * summary check run (its id is the session id) and the active-session ref, then advances the
 * session once (the first dispatches). An invalid tasks file still gets a summary check run,
 * concluded `failure` with an annotation per problem; nothing is dispatched.
 *
 * When the trigger is a comment, this also answers on the issue: the status comment for a
 * session, or a comment naming the problem when nothing started.
 */
export async function startSession(args: {
  client: GitHubClient;
  repo: RepoRef;
  options: StartSessionOptions;
  trigger: SessionTrigger;
  config: AppConfig;
  runtime?: SessionRuntime;
}): Promise<StartSessionResult> {
  const result = await start(args);
  if (!result.ok && args.trigger.kind === "comment" && result.error.kind !== "invalid_tasks_file") {
    await replyWithError({ ...args, issueNumber: args.trigger.issueNumber, message: result.error.message });
  }
  return result;
}

async function start(args: {
  client: GitHubClient;
  repo: RepoRef;
  options: StartSessionOptions;
  trigger: SessionTrigger;
  config: AppConfig;
  runtime?: SessionRuntime;
}): Promise<StartSessionResult> {
  const { client, repo, options, config } = args;
  const runtime = args.runtime ?? defaultSessionRuntime;
  const fail = (kind: StartSessionErrorKind, message: string): StartSessionResult => ({
    ok: false,
    error: { kind, message },
  });
  const optionProblem = checkOptions(options);
  if (optionProblem) return fail("invalid_options", optionProblem);

  let defaultBranch: string;
  try {
    ({
      data: { default_branch: defaultBranch },
    } = await client.request("GET /repos/{owner}/{repo}", { ...repo }));
  } catch (error) {
    if (httpStatus(error) === 404) {
      return fail(
        "repo_not_found",
        `the repository ${repo.owner}/${repo.repo} was not found, or the App is not installed on it`,
      );
    }
    throw error;
  }
  const ref = options.ref ?? defaultBranch;
  let sha: string;
  try {
    ({
      data: { sha },
    } = await client.request("GET /repos/{owner}/{repo}/commits/{ref}", { ...repo, ref }));
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404 || status === 422)
      return fail("ref_not_found", `no branch, tag or commit \`${ref}\` in ${repo.owner}/${repo.repo}`);
    throw error;
  }

  const source = await readSource({ client, repo, sha, options, runtime });
  if (!source.result.ok) {
    if (source.result.kind === "file_not_found") {
      const tried = source.tried.map((path) => `\`${path}\``).join(", ");
      return fail("file_not_found", `no tasks file at \`${ref}\` (${sha.slice(0, 7)}): looked for ${tried}`);
    }
    return recordInvalidFile({ ...args, sha, path: source.path, defaultBranch, source: source.result });
  }
  const { file } = source.result;
  const selected = selectTasks(source.result.graph, options.only);
  if (!selected.ok) {
    const ids = source.result.graph.order;
    const named = selected.unknown
      .map((id) => {
        const near = closestMatch(id, ids);
        return near ? `\`${id}\` (did you mean \`${near}\`?)` : `\`${id}\``;
      })
      .join(", ");
    return fail("nothing_to_run", `--only names tasks that are not in \`${source.path}\`: ${named}`);
  }

  try {
    const { data } = await client.request("GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}", {
      ...repo,
      workflow_id: config.workflowFile,
    });
    if (data.state !== "active") {
      return fail(
        "workflow_not_found",
        `the task workflow \`.github/workflows/${config.workflowFile}\` is ${data.state.replace(/_/g, " ")}; enable it in the Actions tab`,
      );
    }
  } catch (error) {
    if (httpStatus(error) !== 404) throw error;
    return fail(
      "workflow_not_found",
      `the task workflow \`.github/workflows/${config.workflowFile}\` is not on \`${defaultBranch}\`; ` +
        `copy it from the orchestrator's README (workflow_dispatch runs only workflows on the default branch)`,
    );
  }

  const now = config.now().toISOString();
  const record: SessionRecord = {
    version: 2,
    sha,
    file: source.path,
    baseBranch: file.base_branch ?? defaultBranch,
    dispatchRef: defaultBranch,
    workflowFile: config.workflowFile,
    options: { parallel: options.parallel ?? file.max_parallel_agents ?? config.defaultParallel },
    trigger: args.trigger,
    createdAt: now,
    cancelRequested: false,
    tasks: {},
    runs: {},
  };
  if (options.only && options.only.length > 0) record.options.only = [...options.only];
  if (options.budgetUsd !== undefined) record.options.budgetUsd = options.budgetUsd;
  if (options.inlineTasks) record.inlineTasks = options.inlineTasks;
  if (args.trigger.kind === "comment") record.statusComment = { issueNumber: args.trigger.issueNumber };
  let text: string;
  try {
    text = `${RECORD_NOTE}\n\n${encodeSessionRecord(record)}`;
  } catch (error) {
    if (error instanceof SessionRecordTooLargeError)
      return fail("invalid_options", `the inline tasks are too large: ${error.message}`);
    throw error;
  }

  const { data: check } = await client.request("POST /repos/{owner}/{repo}/check-runs", {
    ...repo,
    name: SUMMARY_CHECK_NAME,
    head_sha: sha,
    external_id: SUMMARY_EXTERNAL_ID,
    status: "in_progress",
    started_at: now,
    output: {
      title: "Starting",
      summary: `Starting ${selected.graph.order.length} tasks from \`${source.path}\` at \`${sha.slice(0, 7)}\`.`,
      text,
    },
  });
  const checkRunId = Number(check.id);
  const sessionId = formatSessionId({ ...repo, checkRunId });
  try {
    await client.request("POST /repos/{owner}/{repo}/git/refs", {
      ...repo,
      ref: activeRefName(checkRunId),
      sha,
    });
  } catch (error) {
    // Only the sweep and the session list use the index; the session itself goes on.
    if (httpStatus(error) !== 422) {
      console.warn(
        `session ${sessionId}: could not create its active-session ref: ${describeApiError(error)}`,
      );
    }
  }
  const advanced = await runtime.queue.run(sessionId, () =>
    advanceSession({ client, sessionId, input: {}, config, runtime }),
  );
  if (!advanced) throw new Error(`session ${sessionId} could not be read back right after it was created`);
  return { ok: true, sessionId, status: advanced.status };
}

function checkOptions(options: StartSessionOptions): string | null {
  const { parallel, budgetUsd, only } = options;
  if (
    parallel !== undefined &&
    (!Number.isInteger(parallel) || parallel < 1 || parallel > LIMITS.maxParallelAgents)
  ) {
    return `--parallel must be a whole number from 1 to ${LIMITS.maxParallelAgents}`;
  }
  if (budgetUsd !== undefined && !(budgetUsd > 0 && budgetUsd <= LIMITS.maxBudgetUsd)) {
    return `--budget must be more than 0 and at most ${LIMITS.maxBudgetUsd} (US dollars)`;
  }
  if (only !== undefined && only.some((id) => id.trim() === "")) return "--only lists an empty task id";
  if (options.inlineTasks && options.file) return "give either a tasks file or inline tasks, not both";
  return null;
}

async function readSource(args: {
  client: GitHubClient;
  repo: RepoRef;
  sha: string;
  options: StartSessionOptions;
  runtime: SessionRuntime;
}): Promise<{ result: TasksSourceResult; path: string; tried: string[] }> {
  if (args.options.inlineTasks) {
    return { result: readInlineTasks(args.options.inlineTasks), path: INLINE_FILE_LABEL, tried: [] };
  }
  const candidates = args.options.file ? [args.options.file] : DEFAULT_CANDIDATES;
  const tried: string[] = [];
  let last: TasksSourceResult | null = null;
  for (const path of candidates) {
    tried.push(path);
    last = await readTasksFile({
      client: args.client,
      repo: args.repo,
      sha: args.sha,
      path,
      cache: args.runtime.tasks,
    });
    if (last.ok || last.kind !== "file_not_found") return { result: last, path, tried };
  }
  return { result: last as TasksSourceResult, path: candidates[0] as string, tried };
}

/** Most annotations one request may carry. */
const ANNOTATIONS_PER_REQUEST = 50;

/** An invalid tasks file: a failed summary check run that lists every problem, and nothing else. */
async function recordInvalidFile(args: {
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
  if (args.trigger.kind === "comment") {
    await replyWithError({
      client,
      repo,
      issueNumber: args.trigger.issueNumber,
      message: `${message}\n\nDetails on the [Checks tab](${check.html_url ?? ""}).`,
    });
  }
  const status: SessionStatus = {
    sessionId,
    repository: `${repo.owner}/${repo.repo}`,
    sha,
    file: path,
    state: "completed",
    conclusion: "failure",
    summary: source.message,
    createdAt: now,
    trigger: args.trigger,
    cancelRequested: false,
    error: { kind: source.kind, message: source.message },
    totals: {
      costUsd: 0,
      tasks: 0,
      succeeded: 0,
      failed: 0,
      running: 0,
      pending: 0,
      skipped: 0,
      cancelled: 0,
    },
    tasks: [],
  };
  if (check.html_url) status.checkRunUrl = check.html_url;
  return {
    ok: false,
    error: { kind: "invalid_tasks_file", message, issues: source.issues },
    sessionId,
    status,
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

async function replyWithError(args: {
  client: GitHubClient;
  repo: RepoRef;
  issueNumber: number;
  message: string;
}): Promise<void> {
  try {
    await args.client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      ...args.repo,
      issue_number: args.issueNumber,
      body: `### ❌ Orchestrator: nothing was started\n\n${args.message}`,
    });
  } catch (error) {
    console.warn(`could not reply on issue #${args.issueNumber}: ${describeApiError(error)}`);
  }
}
