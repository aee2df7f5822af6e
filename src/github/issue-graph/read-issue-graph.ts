import type { BlockingIssue, IssueGraphSnapshot, SubIssueSnapshot } from "../../core/issue-graph-snapshot.js";
import { LIMITS } from "../../core/tasks-schema.js";
import { clientBaseUrl, httpStatus, type GitHubClient } from "../github-client.js";

/**
 * Reads an issue graph from GitHub's REST API: the parent issue, its direct sub-issues (all
 * pages) and, for each open sub-issue, the issues blocking it. Shared by the App and the local
 * CLI (`orchestrator run --issue`); what the graph means is decided in `src/core/issue-graph.ts`.
 *
 * Requests: 1 for the parent, 1 per 100 sub-issues, and 1 per open sub-issue that is blocked by
 * anything — GitHub's `issue_dependencies_summary.total_blocked_by` on each sub-issue tells which
 * are not, and those cost nothing more. (REST has no call that lists the links of many issues at
 * once.)
 */

export type IssueGraphErrorKind = "not-found" | "not-an-issue" | "unavailable" | "too-large";

export class IssueGraphReadError extends Error {
  constructor(
    readonly kind: IssueGraphErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "IssueGraphReadError";
  }
}

export interface IssueGraphRead {
  snapshot: IssueGraphSnapshot;
  /** REST requests made (pages included). */
  requests: number;
}

/** GitHub allows 100 sub-issues per parent; more than a tasks file takes is never read. */
const MAX_SUB_ISSUES_READ = LIMITS.maxTasks + 1;
/** Blockers of one issue read at most (GitHub allows far fewer); past it the read fails. */
export const MAX_BLOCKERS_READ = 1_000;

type ApiIssue = {
  id: number;
  number: number;
  title: string;
  body?: string | null | undefined;
  state: string;
  repository_url: string;
  user?: { login: string } | null | undefined;
  author_association?: string | undefined;
  performed_via_github_app?: { id: number } | null | undefined;
  pull_request?: unknown;
  sub_issues_summary?: { total: number } | undefined;
  issue_dependencies_summary?: { total_blocked_by: number } | undefined;
};

export async function readIssueGraph(args: {
  client: GitHubClient;
  owner: string;
  repo: string;
  issueNumber: number;
}): Promise<IssueGraphRead> {
  const { client, owner, repo, issueNumber } = args;
  const fullName = `${owner}/${repo}`;
  const where = `${fullName}#${issueNumber}`;
  let requests = 0;

  let parent: ApiIssue;
  try {
    requests++;
    const response = await client.request("GET /repos/{owner}/{repo}/issues/{issue_number}", {
      owner,
      repo,
      issue_number: issueNumber,
    });
    parent = response.data as ApiIssue;
  } catch (error) {
    if (httpStatus(error) === 404 || httpStatus(error) === 410)
      throw new IssueGraphReadError(
        "not-found",
        `issue ${where} was not found (or the token cannot read issues of ${fullName})`,
      );
    throw error;
  }
  if (parent.pull_request !== undefined && parent.pull_request !== null)
    throw new IssueGraphReadError("not-an-issue", `${where} is a pull request, not an issue`);

  const subIssues: ApiIssue[] = [];
  try {
    const pages = client.paginate.iterator("GET /repos/{owner}/{repo}/issues/{issue_number}/sub_issues", {
      owner,
      repo,
      issue_number: issueNumber,
      per_page: 100,
    });
    for await (const page of pages) {
      requests++;
      subIssues.push(...(page.data as ApiIssue[]));
      if (subIssues.length >= MAX_SUB_ISSUES_READ) break;
    }
  } catch (error) {
    if (httpStatus(error) === 404) throw unavailable("sub-issues", client);
    throw error;
  }

  const snapshotSubs: SubIssueSnapshot[] = [];
  for (const issue of subIssues.slice(0, MAX_SUB_ISSUES_READ)) {
    const sub: SubIssueSnapshot = {
      number: issue.number,
      id: issue.id,
      title: issue.title,
      body: issue.body ?? "",
      state: issue.state === "closed" ? "closed" : "open",
      repository: otherRepository(issue.repository_url, fullName),
      author: issue.user?.login,
      authorAssociation: issue.author_association,
      ...(issue.performed_via_github_app ? { createdByApp: issue.performed_via_github_app.id } : {}),
      subIssueCount: issue.sub_issues_summary?.total,
      blockedBy: [],
    };
    // Only open sub-issues in this repository become tasks; only they need their blockers.
    const needsBlockers =
      sub.state === "open" &&
      sub.repository === undefined &&
      issue.issue_dependencies_summary?.total_blocked_by !== 0;
    if (needsBlockers) {
      const read = await readBlockers({ client, owner, repo, issueNumber: issue.number, fullName });
      requests += read.requests;
      sub.blockedBy = read.blockers;
    }
    snapshotSubs.push(sub);
  }

  return {
    snapshot: {
      repository: fullName,
      parent: {
        number: parent.number,
        title: parent.title,
        body: parent.body ?? "",
        author: parent.user?.login,
        authorAssociation: parent.author_association,
      },
      subIssues: snapshotSubs,
    },
    requests,
  };
}

async function readBlockers(args: {
  client: GitHubClient;
  owner: string;
  repo: string;
  issueNumber: number;
  fullName: string;
}): Promise<{ blockers: BlockingIssue[]; requests: number }> {
  const { client, owner, repo, issueNumber, fullName } = args;
  const blockers: BlockingIssue[] = [];
  let requests = 0;
  try {
    const pages = client.paginate.iterator(
      "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by",
      { owner, repo, issue_number: issueNumber, per_page: 100 },
    );
    for await (const page of pages) {
      requests++;
      for (const issue of page.data as ApiIssue[])
        blockers.push({
          number: issue.number,
          id: issue.id,
          state: issue.state === "closed" ? "closed" : "open",
          repository: otherRepository(issue.repository_url, fullName),
        });
      if (blockers.length > MAX_BLOCKERS_READ)
        throw new IssueGraphReadError(
          "too-large",
          `#${issueNumber} is blocked by more than ${MAX_BLOCKERS_READ} issues; that is more than a task can wait for`,
        );
    }
  } catch (error) {
    if (httpStatus(error) === 404) throw unavailable('issue dependencies ("blocked by")', client);
    throw error;
  }
  return { blockers, requests };
}

function unavailable(what: string, client: GitHubClient): IssueGraphReadError {
  return new IssueGraphReadError(
    "unavailable",
    `GitHub at ${clientBaseUrl(client)} does not offer ${what} through its REST API ` +
      "(GitHub Enterprise Server may not have it yet): plan with a tasks file instead",
  );
}

/** `owner/name` from an issue's `repository_url` when it is not `fullName`, else undefined. */
function otherRepository(repositoryUrl: string, fullName: string): string | undefined {
  const match = /\/repos\/([^/]+)\/([^/]+)$/.exec(repositoryUrl);
  if (match === null) return undefined;
  const name = `${decodeURIComponent(match[1] as string)}/${decodeURIComponent(match[2] as string)}`;
  return name.toLowerCase() === fullName.toLowerCase() ? undefined : name;
}
