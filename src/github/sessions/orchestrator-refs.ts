import { formatSessionId } from "../../core/session-id.js";
import { describeApiError, httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";

/**
 * Every hidden ref the App keeps under `refs/orchestrator/` (none shows as a branch or tag):
 *
 * - `active/<summary check run id>`: the index of running sessions, one ref each, created at the
 *   start and deleted at the end; one read lists them all (the sweep, `GET /api/sessions`).
 * - `claims/…`: left by earlier versions, which claimed each dispatch before sending it;
 *   nothing reads or writes them now (dispatch-task.ts says why).
 * - `triggers/<key>`: the claim of one delivery that starts a session.
 *
 * Trigger claims are create-if-absent: creating a ref that exists fails with 422, so exactly one process
 * (of any number of replicas, redeliveries or retries) wins. They are created without Probot's
 * retry: a retried create after a lost answer would look like someone else's claim. Claims are
 * kept; a ref must point at a commit, so each points at one the session already names.
 */

const ACTIVE_PREFIX = "refs/orchestrator/active/";

export function activeRefName(checkRunId: number): string {
  return `${ACTIVE_PREFIX}${checkRunId}`;
}

export function triggerRefName(key: string): string {
  return `refs/orchestrator/triggers/${key.replace(/[^A-Za-z0-9._-]/g, "-")}`;
}

/** The running sessions of a repository, from the index. */
export async function listActiveSessionIds(args: { client: GitHubClient; repo: RepoRef }): Promise<string[]> {
  // GitHub answers every matching ref at once: this list has no pages.
  const { data } = await args.client.request("GET /repos/{owner}/{repo}/git/matching-refs/{ref}", {
    ...args.repo,
    ref: ACTIVE_PREFIX.replace(/^refs\//, ""),
  });
  const ids: string[] = [];
  for (const item of data) {
    const match = /^refs\/orchestrator\/active\/([1-9][0-9]*)$/.exec(item.ref);
    if (match) ids.push(formatSessionId({ ...args.repo, checkRunId: Number(match[1]) }));
  }
  return ids;
}

/** Puts a session into the index; a warning (not an error) when that fails, see `indexWarning`. */
export async function markSessionActive(args: {
  client: GitHubClient;
  repo: RepoRef;
  checkRunId: number;
  /** The session's commit S (a ref must point at a commit). */
  sha: string;
}): Promise<string | null> {
  const ref = activeRefName(args.checkRunId);
  return args.client
    .request("POST /repos/{owner}/{repo}/git/refs", { ...args.repo, ref, sha: args.sha })
    .then(() => null, indexWarning);
}

/** Takes a session out of the index; a warning (not an error) when that fails. */
export async function markSessionEnded(args: {
  client: GitHubClient;
  repo: RepoRef;
  checkRunId: number;
}): Promise<string | null> {
  const ref = activeRefName(args.checkRunId).replace(/^refs\//, "");
  return args.client
    .request("DELETE /repos/{owner}/{repo}/git/refs/{ref}", { ...args.repo, ref })
    .then(() => null, indexWarning);
}

/**
 * Only the sweep and the session list use the index, so the session goes on whatever happens
 * to it. Already there (422) or already gone (404) is as it should be.
 */
function indexWarning(error: unknown): string | null {
  const status = httpStatus(error);
  if (status === 404 || status === 422) return null;
  return `could not update the active-session index: ${describeApiError(error)}`;
}

/** True when this process won the ref; false when it already existed. Other failures throw. */
async function claimRef(args: {
  client: GitHubClient;
  repo: RepoRef;
  ref: string;
  sha: string;
}): Promise<boolean> {
  try {
    await args.client.request("POST /repos/{owner}/{repo}/git/refs", {
      ...args.repo,
      ref: args.ref,
      sha: args.sha,
      request: { retries: 0 },
    });
    return true;
  } catch (error) {
    if (httpStatus(error) === 422) return false;
    throw error;
  }
}

/**
 * Claims a one-off trigger (a delivery that starts a session), so a redelivered event, or the
 * same delivery reaching two replicas, starts one session. The ref points at the branch's head
 * only because a ref must point at something.
 */
export async function claimTrigger(args: {
  client: GitHubClient;
  repo: RepoRef;
  key: string;
  branch: string;
}): Promise<boolean> {
  const { data } = await args.client.request("GET /repos/{owner}/{repo}/git/ref/{ref}", {
    ...args.repo,
    ref: `heads/${args.branch}`,
  });
  return claimRef({
    client: args.client,
    repo: args.repo,
    ref: triggerRefName(args.key),
    sha: data.object.sha,
  });
}
