import { formatSessionId } from "../../core/session-id.js";
import type { GitHubClient, RepoRef } from "../github-client.js";

/**
 * The index of a repository's running sessions: one hidden ref per session,
 * `refs/orchestrator/active/<summary check run id>`, created at the start and deleted when the
 * session ends. One read lists them all, for the periodic sweep and `GET /api/sessions`.
 */
export function activeRefName(checkRunId: number): string {
  return `refs/orchestrator/active/${checkRunId}`;
}

export async function listActiveSessionIds(args: { client: GitHubClient; repo: RepoRef }): Promise<string[]> {
  const { data } = await args.client.request("GET /repos/{owner}/{repo}/git/matching-refs/{ref}", {
    ...args.repo,
    ref: "orchestrator/active/",
  });
  const ids: string[] = [];
  for (const item of data) {
    const match = /^refs\/orchestrator\/active\/([1-9][0-9]*)$/.exec(item.ref);
    if (match) ids.push(formatSessionId({ ...args.repo, checkRunId: Number(match[1]) }));
  }
  return ids;
}
