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
  /** Login of the issue's author; the App may decide whose text it runs. */
  author?: string | undefined;
  /** How many sub-issues this sub-issue has itself (GitHub's `sub_issues_summary.total`). */
  subIssueCount?: number | undefined;
  /** Issues that block this one. Read for open sub-issues only: a closed one is done. */
  blockedBy: BlockingIssue[];
}

export interface IssueGraphSnapshot {
  /** `owner/name` of the parent issue. */
  repository: string;
  parent: { number: number; title: string; body: string; author?: string | undefined };
  /** Direct sub-issues, in GitHub's order (the order the user arranged them in). */
  subIssues: SubIssueSnapshot[];
}
