import { tasksFromIssueGraph, type IssueGraphTasks } from "../../core/issue-graph.js";
import type { IssueGraphSnapshot } from "../../core/issue-graph-snapshot.js";
import type { GitHubClient, RepoRef } from "../github-client.js";
import { repositoryPermission } from "../handlers/repository-permission.js";
import { IssueGraphReadError, readIssueGraph } from "../issue-graph/read-issue-graph.js";
import type { IssueGraphRecord } from "./session-record.js";

/**
 * The tasks of an issue session, read from GitHub: the parent issue's sub-issues and their
 * "blocked by" links (`read-issue-graph.ts`), turned into a tasks file by the core
 * (`core/issue-graph.ts`). Used when the session starts and when its graph changes.
 */

export type IssueGraphOk = Extract<IssueGraphTasks, { ok: true }>;

export type IssueSourceErrorKind = "issue_not_found" | "invalid_issue_graph" | "issue_graph_unavailable";

export type IssueSourceResult =
  | { ok: true; tasks: IssueGraphOk; snapshot: IssueGraphSnapshot; requests: number }
  | { ok: false; kind: IssueSourceErrorKind; message: string; problems: string[]; notes: string[] };

/** What the session's record and status show in place of a tasks file's path. */
export function issueSourceLabel(parent: number): string {
  return `sub-issues of #${parent}`;
}

/** Problems the user reads in a reply or the status comment, at most this many listed. */
const MAX_PROBLEMS_SHOWN = 20;

export async function readIssueSource(args: {
  client: GitHubClient;
  repo: RepoRef;
  issueNumber: number;
  /** This App: sub-issues it created (from an approved plan) count as written by a writer. */
  appId?: number | undefined;
}): Promise<IssueSourceResult> {
  let read;
  try {
    read = await readIssueGraph({ client: args.client, ...args.repo, issueNumber: args.issueNumber });
  } catch (error) {
    if (!(error instanceof IssueGraphReadError)) throw error;
    const kind: IssueSourceErrorKind =
      error.kind === "not-found" || error.kind === "not-an-issue"
        ? "issue_not_found"
        : error.kind === "unavailable"
          ? "issue_graph_unavailable"
          : "invalid_issue_graph";
    return { ok: false, kind, message: error.message, problems: [error.message], notes: [] };
  }
  const outsiders = await authorsWhoCannotPush({ ...args, snapshot: read.snapshot });
  if (outsiders.length > 0) {
    return {
      ok: false,
      kind: "invalid_issue_graph",
      message: describeProblems(args.issueNumber, outsiders),
      problems: outsiders,
      notes: [],
    };
  }
  const tasks = tasksFromIssueGraph(read.snapshot);
  if (!tasks.ok) {
    return {
      ok: false,
      kind: "invalid_issue_graph",
      message: describeProblems(args.issueNumber, tasks.problems),
      problems: tasks.problems,
      notes: tasks.notes,
    };
  }
  return { ok: true, tasks, snapshot: read.snapshot, requests: read.requests };
}

/**
 * An issue's text becomes an agent's prompt (and the parent's options block the session's
 * settings), so it is as much a command as `/orchestrate` itself: it must be written by someone
 * who could run the task workflow anyway (write, maintain or admin). Anyone may open an issue on
 * a public repository and edit it later; their issues are refused, by name, never run. One read
 * per distinct author; the parent and the open sub-issues of this repository (the ones whose
 * text runs) are checked.
 */
async function authorsWhoCannotPush(args: {
  client: GitHubClient;
  repo: RepoRef;
  snapshot: IssueGraphSnapshot;
  appId?: number | undefined;
}): Promise<string[]> {
  const { snapshot } = args;
  const written = new Map<string, number[]>();
  const note = (issue: {
    number: number;
    author?: string | undefined;
    authorAssociation?: string | undefined;
  }): void => {
    // The repository's owner can push; every other association (MEMBER, COLLABORATOR, …) may
    // hold read access only, or hide write access granted by a team: asked of the API.
    if (issue.authorAssociation === "OWNER") return;
    const login = issue.author ?? "(unknown)";
    written.set(login, [...(written.get(login) ?? []), issue.number]);
  };
  note(snapshot.parent);
  for (const sub of snapshot.subIssues) {
    if (sub.state !== "open" || sub.repository !== undefined) continue;
    // Made by this App from a plan someone with write access approved (approve-plan.ts); only
    // the App and people with write access can edit it.
    if (args.appId !== undefined && sub.createdByApp === args.appId) continue;
    note(sub);
  }
  const problems: string[] = [];
  for (const [login, issues] of written) {
    const permission =
      login === "(unknown)"
        ? { allowed: false, role: "unknown" }
        : await repositoryPermission({ client: args.client, repo: args.repo, username: login });
    if (permission.allowed) continue;
    const named = issues.map((number) => `#${number}`).join(", ");
    problems.push(
      `${named} ${issues.length === 1 ? "was" : "were"} written by ${login === "(unknown)" ? "an unknown author" : `\`${login}\``}, ` +
        `who cannot push to ${args.repo.owner}/${args.repo.repo} (\`${permission.role}\`): an issue's text runs as an agent's prompt, ` +
        "so only issues of people with write access run (someone with write access can open it as their own)",
    );
  }
  return problems;
}

/** `the sub-issues of #12 cannot run:` and a list, one problem a line. */
export function describeProblems(parent: number, problems: readonly string[]): string {
  if (problems.length === 1) return `the sub-issues of #${parent} cannot run: ${problems[0]}`;
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map((problem) => `- ${problem}`);
  if (problems.length > MAX_PROBLEMS_SHOWN)
    shown.push(`- … and ${problems.length - MAX_PROBLEMS_SHOWN} more`);
  return [`the sub-issues of #${parent} cannot run:`, ...shown].join("\n");
}

/** The record's map of tasks to sub-issues (numbers and database ids), from a reading. */
export function issueTasksOf(
  tasks: IssueGraphOk,
  snapshot: IssueGraphSnapshot,
  known: IssueGraphRecord["tasks"] = {},
): IssueGraphRecord["tasks"] {
  const idOf = new Map(snapshot.subIssues.map((sub) => [sub.number, sub.id]));
  const map: IssueGraphRecord["tasks"] = {};
  for (const [taskId, number] of Object.entries(tasks.issueOfTask)) {
    map[taskId] = { ...known[taskId], number, id: idOf.get(number) ?? known[taskId]?.id ?? 0 };
  }
  return map;
}
