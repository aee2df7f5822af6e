import { httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";

/**
 * Claims a one-off trigger (a delivery that starts a session) with a create-if-absent ref,
 * `refs/orchestrator/triggers/<key>`: creating a ref that exists fails with 422. So a
 * redelivered event, or the same delivery reaching two replicas, starts one session. The ref
 * points at the branch's head only because a ref must point at something. Claims are kept.
 */
export async function claimTrigger(args: {
  client: GitHubClient;
  repo: RepoRef;
  key: string;
  branch: string;
}): Promise<boolean> {
  const { client, repo } = args;
  const { data } = await client.request("GET /repos/{owner}/{repo}/git/ref/{ref}", {
    ...repo,
    ref: `heads/${args.branch}`,
  });
  try {
    // No blind retry: a retried create after a lost answer would look like someone else's claim.
    await client.request("POST /repos/{owner}/{repo}/git/refs", {
      ...repo,
      ref: `refs/orchestrator/triggers/${args.key.replace(/[^A-Za-z0-9._-]/g, "-")}`,
      sha: data.object.sha,
      request: { retries: 0 },
    });
    return true;
  } catch (error) {
    if (httpStatus(error) === 422) return false;
    throw error;
  }
}
