import { describeApiError, type GitHubClient, type RepoRef } from "../github-client.js";
import type { SessionRecord } from "./session-record.js";

/**
 * Of the given succeeded tasks, those whose pull request is merged (one read each). A pull
 * request that cannot be read is reported in `warnings` and counts as not merged yet.
 */
export async function readMergedTasks(args: {
  client: GitHubClient;
  repo: RepoRef;
  record: SessionRecord;
  ids: readonly string[];
  warnings: string[];
}): Promise<string[]> {
  const merged: string[] = [];
  for (const id of args.ids) {
    const prNumber = args.record.runs[id]?.prNumber;
    if (prNumber === undefined) continue;
    try {
      const { data } = await args.client.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
        ...args.repo,
        pull_number: prNumber,
      });
      if (data.merged) merged.push(id);
    } catch (error) {
      args.warnings.push(`could not read pull request #${prNumber}: ${describeApiError(error)}`);
    }
  }
  return merged;
}
