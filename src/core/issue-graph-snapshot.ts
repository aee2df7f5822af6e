/**
 * An issue graph as read from GitHub at one moment: a parent issue and its direct sub-issues,
 * each open sub-issue with the issues that block it ("blocked by" issue dependencies). Plain
 * data, so the App and the local CLI read it their own way (`src/github/issue-graph/`) and the
 * core turns it into tasks (`issue-graph.ts`) without I/O.
 *
 * GitHub links sub-issues and dependencies by database id, not by issue number: numbers repeat
 * across repositories and a blocker may live in another one, so `id` is the identity here too.
 */

export type IssueState = "open" | "closed";

/** An issue that blocks a sub-issue. */
export interface BlockingIssue {
  number: number;
  /** Database id (what the sub-issue and dependency APIs take). */
  id: number;
  state: IssueState;
  /** `owner/name`, set only when the issue is in another repository than the parent. */
  repository?: string | undefined;
}

export interface SubIssueSnapshot {
  number: number;
  /** Database id. */
  id: number;
  title: string;
  body: string;
  state: IssueState;
  /** `owner/name`, set only when the sub-issue is in another repository than the parent. */
  repository?: string | undefined;
  /** Login of the issue's author. */
  author?: string | undefined;
  /** GitHub's `author_association` (OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE, …). */
  authorAssociation?: string | undefined;
  /** The App that created the issue (`performed_via_github_app`), e.g. from an approved plan. */
  createdByApp?: number | undefined;
  /** How many sub-issues this sub-issue has itself (GitHub's `sub_issues_summary.total`). */
  subIssueCount?: number | undefined;
  /** Issues that block this one. Read for open sub-issues only: a closed one is done. */
  blockedBy: BlockingIssue[];
}

export interface IssueGraphSnapshot {
  /** `owner/name` of the parent issue. */
  repository: string;
  parent: {
    number: number;
    title: string;
    body: string;
    author?: string | undefined;
    authorAssociation?: string | undefined;
  };
  /** Direct sub-issues, in GitHub's order (the order the user arranged them in). */
  subIssues: SubIssueSnapshot[];
}

/**
 * Associations whose holders can push to the repository. An issue's body becomes an agent's
 * prompt and options, and only its author (or someone with write access) can edit it, so an
 * issue written by anyone else must not run unless a maintainer vouches for it.
 */
const WRITERS = new Set(["OWNER", "MEMBER", "COLLABORATOR"]);

/**
 * The issues of `snapshot` whose text would run (the parent and its open sub-issues) but whose
 * author is not known to have write access, as `#N (@login, CONTRIBUTOR)`. The App refuses to
 * run such a graph; the local CLI runs what its user asked for.
 */
export function issuesByOutsiders(snapshot: IssueGraphSnapshot): string[] {
  const outside = (issue: { author?: string | undefined; authorAssociation?: string | undefined }) =>
    !WRITERS.has(issue.authorAssociation ?? "");
  const describe = (issue: {
    number: number;
    author?: string | undefined;
    authorAssociation?: string | undefined;
  }) => `#${issue.number} (@${issue.author ?? "unknown"}, ${issue.authorAssociation ?? "unknown"})`;
  const found: string[] = [];
  if (outside(snapshot.parent)) found.push(describe(snapshot.parent));
  for (const sub of snapshot.subIssues)
    if (sub.state === "open" && sub.repository === undefined && outside(sub)) found.push(describe(sub));
  return found;
}
