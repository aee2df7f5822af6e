import { closestMatch } from "../../core/closest-match.js";
import { formatSessionId } from "../../core/session-id.js";
import { DEFAULT_TASKS_FILES, type SessionOptions } from "../../core/session-options.js";
import type { TasksFile } from "../../core/tasks-schema.js";
import type { ValidationIssue } from "../../core/validation-issue.js";
import { describeApiError, httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";
import { advanceSession } from "./advance-session.js";
import type { AppConfig } from "./app-config.js";
import { SUMMARY_CHECK_NAME, SUMMARY_EXTERNAL_ID } from "./load-session.js";
import { offerOnboarding, type OnboardingOutcome } from "./onboarding.js";
import { markSessionActive } from "./orchestrator-refs.js";
import {
  issueSourceLabel,
  issueTasksOf,
  readIssueSource,
  type IssueSourceErrorKind,
} from "./issue-source.js";
import { recordInvalidFile } from "./record-invalid-file.js";
import { RECORD_NOTE } from "./save-session.js";
import {
  encodeSessionRecord,
  SessionRecordTooLargeError,
  type SessionRecord,
  type SessionTrigger,
} from "./session-record.js";
import type { SessionRuntime } from "./session-runtime.js";
import type { SessionStatus } from "./session-status.js";
import { sessionWarnings, type Warning } from "./warnings.js";
import {
  INLINE_FILE_LABEL,
  readInlineTasks,
  readTasksFile,
  selectTasks,
  type TasksSourceResult,
} from "./tasks-source.js";

/**
 * Options as every way in parses them (core/session-options.ts: `file` defaults to the first of
 * DEFAULT_TASKS_FILES that exists, `ref` to the default branch), plus tasks given directly.
 */
export interface StartSessionOptions extends SessionOptions {
  /** Tasks given directly (quick start, API) instead of a file. */
  inlineTasks?: TasksFile;
  /** A planner session (start-plan.ts): its one inline task plans this issue. */
  planner?: { issue: number; label: string };
}

export type StartSessionErrorKind =
  | "invalid_options"
  | "repo_not_found"
  | "ref_not_found"
  | "file_not_found"
  | "invalid_tasks_file"
  | "workflow_not_found"
  | "nothing_to_run"
  | IssueSourceErrorKind;

export type StartSessionResult = (
  | { ok: true; sessionId: string; status: SessionStatus }
  | {
      ok: false;
      error: {
        kind: StartSessionErrorKind;
        message: string;
        issues?: ValidationIssue[];
        /** What the App did about missing setup files (the message already says it). */
        onboarding?: OnboardingOutcome;
      };
      /** Set when a (failed) summary check run records the problem: invalid tasks file. */
      sessionId?: string;
      status?: SessionStatus;
    }
) & { warnings: Warning[] };

/**
 * Starts a session: resolves the commit S, reads and validates the tasks file at S, creates the
 * summary check run (its id is the session id) and the active-session ref, then advances the
 * session once (the first dispatches). An invalid tasks file still gets a summary check run,
 * concluded `failure` with an annotation per problem; nothing is dispatched (record-invalid-file.ts).
 *
 * The options come parsed (their limits were checked where they came in). Answering the trigger
 * (a reply on the issue, an HTTP answer) is the caller's: the session's own status comment is
 * the only thing this writes on an issue, through the first pass.
 */
export async function startSession(args: {
  client: GitHubClient;
  repo: RepoRef;
  options: StartSessionOptions;
  trigger: SessionTrigger;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<StartSessionResult> {
  const { client, repo, options, config, runtime } = args;
  const fail = (kind: StartSessionErrorKind, message: string): StartSessionResult => ({
    ok: false,
    error: { kind, message },
    warnings: [],
  });
  if (options.inlineTasks && options.file) {
    return fail("invalid_options", "give either a tasks file or inline tasks, not both");
  }
  if (options.issue !== undefined && (options.inlineTasks || options.file)) {
    return fail("invalid_options", "give either an issue or a tasks file (or inline tasks), not both");
  }

  let defaultBranch: string;
  let htmlUrl: string;
  try {
    ({
      data: { default_branch: defaultBranch, html_url: htmlUrl },
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
  // A missing tasks file or workflow, where the App looks by default, is a repository to set up:
  // onboarding (sessions/onboarding.ts) adds to the answer. Only on these failures: a repository
  // that has both files costs no request more.
  const onboard = async (
    kind: StartSessionErrorKind,
    message: string,
    /** What to do, when onboarding has nothing better to say. */
    hint = "",
  ): Promise<StartSessionResult> => {
    if (options.inlineTasks || options.file || ref !== defaultBranch) return fail(kind, `${message}${hint}`);
    try {
      const outcome = await offerOnboarding({
        client,
        repo,
        config,
        workflowsPermission: "unknown",
        repository: { defaultBranch, htmlUrl },
      });
      if (outcome.kind === "nothing_missing") return fail(kind, `${message}${hint}`);
      const warnings: Warning[] =
        outcome.kind === "links" && outcome.detail !== undefined
          ? [{ message: `onboarding ${repo.owner}/${repo.repo}: ${outcome.reason} (${outcome.detail})` }]
          : [];
      return {
        ok: false,
        error: { kind, message: `${message}\n\n${outcome.guide}`, onboarding: outcome },
        warnings,
      };
    } catch (error) {
      // The command's own answer matters more than the guide: say why nothing started.
      return {
        ...fail(kind, message),
        warnings: [{ message: `onboarding failed: ${describeApiError(error)}` }],
      };
    }
  };
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

  // An issue session's tasks are the issue's open sub-issues, read now and fixed for the session.
  const issueSource =
    options.issue === undefined
      ? undefined
      : await readIssueSource({ client, repo, issueNumber: options.issue, appId: config.appId });
  if (issueSource && !issueSource.ok) return fail(issueSource.kind, issueSource.message);
  const source = issueSource
    ? {
        result: { ok: true as const, file: issueSource.tasks.file, graph: issueSource.tasks.graph },
        path: issueSourceLabel(issueSource.snapshot.parent.number),
        tried: [],
      }
    : await readSource({ client, repo, sha, options, runtime });
  if (!source.result.ok) {
    if (source.result.kind === "file_not_found") {
      const tried = source.tried.map((path) => `\`${path}\``).join(", ");
      return onboard(
        "file_not_found",
        `no tasks file at \`${ref}\` (${sha.slice(0, 7)}): looked for ${tried}`,
      );
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
    return onboard(
      "workflow_not_found",
      `the task workflow \`.github/workflows/${config.workflowFile}\` is not on \`${defaultBranch}\` ` +
        `(workflow_dispatch runs only workflows on the default branch)`,
      "; copy it from the orchestrator's README",
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
  if (options.planner) {
    record.planner = { issue: options.planner.issue };
    record.file = options.planner.label;
    // The proposal is shown where the goal is written.
    record.statusComment = { issueNumber: options.planner.issue };
  }
  if (issueSource) {
    const parent = issueSource.snapshot.parent.number;
    record.inlineTasks = issueSource.tasks.file;
    record.issueGraph = {
      parent,
      tasks: issueTasksOf(issueSource.tasks, issueSource.snapshot),
      ...(issueSource.tasks.waiting.length > 0 ? { waiting: issueSource.tasks.waiting } : {}),
      ...(issueSource.tasks.notes.length > 0 ? { notes: issueSource.tasks.notes } : {}),
    };
    // The parent carries the status comment, however the session was started.
    record.statusComment = { issueNumber: parent };
  }
  let text: string;
  try {
    text = `${RECORD_NOTE}\n\n${encodeSessionRecord(record)}`;
  } catch (error) {
    if (error instanceof SessionRecordTooLargeError)
      return fail(
        "invalid_options",
        `the ${issueSource ? "sub-issues" : "inline tasks"} are too large: ${error.message}`,
      );
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
  const indexed = await markSessionActive({ client, repo, checkRunId, sha });
  const advanced = await runtime.queue.run(sessionId, () =>
    advanceSession({ client, sessionId, input: {}, config, runtime }),
  );
  if (!advanced) throw new Error(`session ${sessionId} could not be read back right after it was created`);
  const warnings = sessionWarnings(sessionId, [indexed, ...advanced.warnings]);
  return { ok: true, sessionId, status: advanced.status, warnings };
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
  const candidates = args.options.file ? [args.options.file] : DEFAULT_TASKS_FILES;
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
