import { parseSessionId } from "../../core/session-id.js";
import type { GitHubClient, RepoRef } from "../github-client.js";

/** Most comments read to find the issue's latest session (30 pages of 100). */
const MAX_PAGES = 30;

/**
 * The id of the latest session started from an issue, found in the App's own status comment
 * there: a hidden `<!-- orchestrator:session-id ID -->` marker if present, else the id the
 * comment shows (`session \`owner:repo:123\``). Comments by anyone else are not trusted.
 */
export async function latestSessionOnIssue(args: {
  client: GitHubClient;
  repo: RepoRef;
  issueNumber: number;
  appId: number;
  /** What a comment names; by default any session's status comment (`sessionIdInComment`). */
  find?: (body: string) => string | null;
}): Promise<string | null> {
  const find = args.find ?? sessionIdInComment;
  let latest: string | null = null;
  let pages = 0;
  const comments = args.client.paginate.iterator("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
    ...args.repo,
    issue_number: args.issueNumber,
    per_page: 100,
  });
  for await (const { data } of comments) {
    for (const comment of data) {
      if (comment.performed_via_github_app?.id !== args.appId) continue;
      const id = find(comment.body ?? "");
      if (id !== null) latest = id;
    }
    if (++pages >= MAX_PAGES) break;
  }
  return latest;
}

export function sessionIdInComment(body: string): string | null {
  const hidden = /<!--\s*orchestrator:session-id\s+(\S+)\s*-->/.exec(body);
  if (hidden && parseSessionId(hidden[1] as string)) return hidden[1] as string;
  for (const match of body.matchAll(/session `([^`\s]+)`/g)) {
    if (parseSessionId(match[1] as string)) return match[1] as string;
  }
  return null;
}
