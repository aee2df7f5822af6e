import { formatSessionId, parseSessionId, type SessionRef } from "../../core/session-id.js";
import type { TaskGraph } from "../../core/task-graph.js";
import { describeApiError, httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";
import type { AppConfig } from "./app-config.js";
import { decodeSessionRecord, type SessionRecord } from "./session-record.js";
import type { SessionRuntime } from "./session-runtime.js";
import { readInlineTasks, readTasksFile, selectTasks, type TasksSourceResult } from "./tasks-source.js";

/** The session's summary check run: its name on the Checks tab and the mark that it is one. */
export const SUMMARY_CHECK_NAME = "Orchestrator";
export const SUMMARY_EXTERNAL_ID = "orchestrator-session";

export interface SummaryCheckRun {
  id: number;
  htmlUrl?: string;
  status: string;
  conclusion: string | null;
  title: string;
  summary: string;
  text: string;
}

export interface LoadedSession {
  sessionId: string;
  ref: SessionRef;
  repo: RepoRef;
  record: SessionRecord;
  checkRun: SummaryCheckRun;
}

/** A session that exists on GitHub but cannot be carried on (its tasks file vanished, ...). */
export class SessionLoadError extends Error {
  constructor(
    readonly sessionId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`session ${sessionId}: ${message}`, options);
    this.name = "SessionLoadError";
  }
}

/**
 * Finds a session from its id alone: one read of the summary check run, whose hidden text holds
 * the record. Null when the id is malformed, the check run is gone, or it is not a session of ours.
 */
export async function loadSession(args: {
  client: GitHubClient;
  sessionId: string;
  config: Pick<AppConfig, "appId">;
}): Promise<LoadedSession | null> {
  const ref = parseSessionId(args.sessionId);
  if (!ref) return null;
  const repo = { owner: ref.owner, repo: ref.repo };
  let data;
  try {
    ({ data } = await args.client.request("GET /repos/{owner}/{repo}/check-runs/{check_run_id}", {
      ...repo,
      check_run_id: ref.checkRunId,
    }));
  } catch (error) {
    if (httpStatus(error) === 404) return null;
    throw new SessionLoadError(args.sessionId, `could not read its check run: ${describeApiError(error)}`, {
      cause: error,
    });
  }
  if (data.external_id !== SUMMARY_EXTERNAL_ID) return null;
  if (args.config.appId !== undefined && data.app?.id !== args.config.appId) return null;
  const record = decodeSessionRecord(data.output.text);
  if (!record || record.sha !== data.head_sha) return null;
  const checkRun: SummaryCheckRun = {
    id: Number(data.id),
    status: data.status,
    conclusion: data.conclusion,
    title: data.output.title ?? "",
    summary: data.output.summary ?? "",
    text: data.output.text ?? "",
  };
  if (data.html_url) checkRun.htmlUrl = data.html_url;
  return { sessionId: formatSessionId(ref), ref, repo, record, checkRun };
}

/** The graph the session runs (the tasks file at S, narrowed by `--only`), cached per commit. */
export async function loadSessionGraph(args: {
  client: GitHubClient;
  session: LoadedSession;
  runtime: SessionRuntime;
}): Promise<TaskGraph> {
  const { session } = args;
  const { record } = session;
  // An issue session's tasks change with its graph: each version is cached under its own key.
  const inlineKey = `inline:${session.sessionId}:${record.issueGraph?.revision ?? 0}`;
  const source = record.inlineTasks
    ? (args.runtime.tasks.get(inlineKey) ??
      cacheInline(args.runtime, inlineKey, readInlineTasks(record.inlineTasks)))
    : await readTasksFile({
        client: args.client,
        repo: session.repo,
        sha: record.sha,
        path: record.file,
        cache: args.runtime.tasks,
      });
  if (!source.ok) throw new SessionLoadError(session.sessionId, source.message);
  const selected = selectTasks(source.graph, record.options.only);
  if (!selected.ok) {
    throw new SessionLoadError(session.sessionId, `unknown tasks in --only: ${selected.unknown.join(", ")}`);
  }
  return selected.graph;
}

function cacheInline(runtime: SessionRuntime, key: string, result: TasksSourceResult): TasksSourceResult {
  runtime.tasks.set(key, result);
  return result;
}
