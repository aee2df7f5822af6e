import { RecentMap } from "./recent-map.js";
import {
  MAX_FILE_BYTES,
  SYMLINK_REASON,
  parseTasksFile,
  tooLargeReason,
} from "../../core/parse-tasks-file.js";
import { graphFromTasks, type ResolvedTask, type TaskGraph } from "../../core/task-graph.js";
import type { TasksFile } from "../../core/tasks-schema.js";
import type { ValidationIssue } from "../../core/validation-issue.js";
import { describeApiError, httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";

/**
 * The tasks of a session: the tasks file read at the session's commit S (immutable, so cached by
 * `owner/repo@sha:path` for the life of the process), or the tasks given inline at the start.
 */

export const INLINE_FILE_LABEL = "(inline tasks)";

export type TasksSourceResult =
  | { ok: true; file: TasksFile; graph: TaskGraph }
  | { ok: false; kind: "file_not_found" | "invalid_tasks_file"; message: string; issues: ValidationIssue[] };

/** Parsed tasks files by commit; small, bounded, dropped on restart without harm. */
export class TasksCache extends RecentMap<string, TasksSourceResult> {
  constructor(limit = 200) {
    super(limit);
  }
}

/** Reads and validates the tasks file at `sha`. Only a missing file or invalid content is a result; other API errors throw. */
export async function readTasksFile(args: {
  client: GitHubClient;
  repo: RepoRef;
  sha: string;
  path: string;
  cache: TasksCache;
}): Promise<TasksSourceResult> {
  const { client, repo, sha, path } = args;
  const key = `${repo.owner}/${repo.repo}@${sha}:${path}`;
  const cached = args.cache.get(key);
  if (cached) return cached;
  const fetched = await fetchText({ client, repo, sha, path });
  const result: TasksSourceResult =
    fetched.kind === "missing"
      ? {
          ok: false,
          kind: "file_not_found",
          message: `the tasks file \`${path}\` does not exist at commit ${sha.slice(0, 7)}`,
          issues: [],
        }
      : fetched.kind === "refused"
        ? {
            ok: false,
            kind: "invalid_tasks_file",
            message: `the tasks file \`${path}\` cannot be read; nothing was started`,
            issues: [{ file: path, message: fetched.reason }],
          }
        : fromParse(parseTasksFile({ text: fetched.text, fileName: path }), path);
  args.cache.set(key, result);
  return result;
}

/** Tasks given inline (quick start, API) go through the same validation as a file. */
export function readInlineTasks(file: TasksFile): TasksSourceResult {
  return fromParse(
    parseTasksFile({ text: JSON.stringify(file, null, 2), fileName: INLINE_FILE_LABEL }),
    INLINE_FILE_LABEL,
  );
}

function fromParse(parsed: ReturnType<typeof parseTasksFile>, path: string): TasksSourceResult {
  if (parsed.ok) return { ok: true, file: parsed.file, graph: parsed.graph };
  const count = parsed.issues.length;
  return {
    ok: false,
    kind: "invalid_tasks_file",
    message: `the tasks file \`${path}\` has ${count} ${count === 1 ? "problem" : "problems"}; nothing was started`,
    issues: parsed.issues,
  };
}

type Fetched = { kind: "text"; text: string } | { kind: "missing" } | { kind: "refused"; reason: string };

/**
 * The file's text at `sha`, read the way the CLI and the Action read it: a symbolic link is refused
 * whatever it points to (GitHub answers `type: "symlink"` for a link leading out of the repository,
 * and for one to a file in it answers that file, under the target's path), and no more than
 * MAX_FILE_BYTES is fetched (the blob API would serve up to 100 MB). The reason never repeats the
 * link's target.
 */
async function fetchText(args: {
  client: GitHubClient;
  repo: RepoRef;
  sha: string;
  path: string;
}): Promise<Fetched> {
  const { client, repo, sha, path } = args;
  let data: unknown;
  try {
    ({ data } = await client.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...repo,
      path,
      ref: sha,
    }));
  } catch (error) {
    if (httpStatus(error) === 404) return { kind: "missing" };
    throw new Error(`could not read the tasks file \`${path}\`: ${describeApiError(error)}`, {
      cause: error,
    });
  }
  if (Array.isArray(data) || typeof data !== "object" || data === null) return { kind: "missing" };
  const file = data as {
    type?: string;
    path?: string;
    encoding?: string;
    content?: string;
    sha?: string;
    size?: number;
  };
  if (file.type === "symlink") return { kind: "refused", reason: SYMLINK_REASON };
  if (file.type !== "file") return { kind: "missing" };
  if (typeof file.path === "string" && trimSlashes(file.path) !== trimSlashes(path)) {
    return { kind: "refused", reason: SYMLINK_REASON };
  }
  if (typeof file.size === "number" && file.size > MAX_FILE_BYTES) {
    return { kind: "refused", reason: tooLargeReason(file.size) };
  }
  if (file.encoding === "base64" && typeof file.content === "string") {
    return { kind: "text", text: Buffer.from(file.content, "base64").toString("utf8") };
  }
  // Files over 1 MB come without content from the contents API; the blob API serves them.
  if (typeof file.sha !== "string") return { kind: "missing" };
  const blob = await client.request("GET /repos/{owner}/{repo}/git/blobs/{file_sha}", {
    ...repo,
    file_sha: file.sha,
  });
  if (typeof blob.data.size === "number" && blob.data.size > MAX_FILE_BYTES) {
    return { kind: "refused", reason: tooLargeReason(blob.data.size) };
  }
  return {
    kind: "text",
    text: Buffer.from(blob.data.content, blob.data.encoding === "base64" ? "base64" : "utf8").toString(
      "utf8",
    ),
  };
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, "");
}

/**
 * The part of the graph a session runs: all of it, or the tasks named by `--only` with everything
 * they depend on (a task cannot start without its dependencies' work).
 */
export function selectTasks(
  graph: TaskGraph,
  only: readonly string[] | undefined,
): { ok: true; graph: TaskGraph } | { ok: false; unknown: string[] } {
  if (only === undefined || only.length === 0) return { ok: true, graph };
  const unknown = only.filter((id) => !graph.byId.has(id));
  if (unknown.length > 0) return { ok: false, unknown };
  const keep = new Set<string>();
  const stack = [...only];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (keep.has(id)) continue;
    keep.add(id);
    stack.push(...((graph.byId.get(id) as ResolvedTask).dependencies ?? []));
  }
  const settings: { maxParallelAgents: number; baseBranch?: string; budgetUsd?: number } = {
    maxParallelAgents: graph.maxParallelAgents,
  };
  if (graph.baseBranch !== undefined) settings.baseBranch = graph.baseBranch;
  if (graph.budgetUsd !== undefined) settings.budgetUsd = graph.budgetUsd;
  return {
    ok: true,
    graph: graphFromTasks(
      graph.tasks.filter((task) => keep.has(task.id)),
      settings,
    ),
  };
}
