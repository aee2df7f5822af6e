import { formatSessionId } from "../../core/session-id.js";
import { describeApiError, httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";

/**
 * Every hidden ref the App keeps under `refs/orchestrator/` (none shows as a branch or tag):
 *
 * - `active/<summary check run id>`: the index of running sessions, one ref each, created at the
 *   start and deleted at the end; one read lists them all (the sweep, `GET /api/sessions`).
 * - `claims/<check run id>/<task>/<attempt>`: the claim of one attempt's dispatch; when that
 *   dispatch provably created no run (dispatch-task.ts), the attempt is dispatched again under a
 *   fresh claim `claims/<check run id>/<task>/<attempt>-<n>` (n = 2, 3, ...).
 * - `triggers/<key>`: the claim of one delivery that starts a session.
 *
 * Claims are create-if-absent: creating a ref that exists fails with 422, so exactly one process
 * (of any number of replicas, redeliveries or retries) wins. They are created without Probot's
 * retry: a retried create after a lost answer would look like someone else's claim. Claims are
 * kept; a ref must point at a commit, so each points at one the session already names.
 */

const ACTIVE_PREFIX = "refs/orchestrator/active/";

export function activeRefName(checkRunId: number): string {
  return `${ACTIVE_PREFIX}${checkRunId}`;
}

export function claimRefName(args: {
  checkRunId: number;
  taskId: string;
  attempt: number;
  /** Which dispatch of the attempt (1, the default, is the plain claim). */
  claim?: number | undefined;
}): string {
  const suffix = args.claim === undefined || args.claim <= 1 ? "" : `-${args.claim}`;
  return `refs/orchestrator/claims/${args.checkRunId}/${refSafeTaskId(args.taskId)}/${args.attempt}${suffix}`;
}

export function triggerRefName(key: string): string {
  return `refs/orchestrator/triggers/${key.replace(/[^A-Za-z0-9._-]/g, "-")}`;
}

/**
 * Task ids use letters, digits, `.`, `_` and `-`; git rejects `..` and components starting with
 * `.` or ending in `.lock`. `,` never occurs in ids, so mapping `.` to `,` keeps names unique.
 */
export function refSafeTaskId(taskId: string): string {
  return taskId.replace(/\./g, ",");
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

/** Claims one attempt of one task (its `claim`-th dispatch) before the dispatch (DESIGN §2.3). */
export function claimTaskAttempt(args: {
  client: GitHubClient;
  repo: RepoRef;
  checkRunId: number;
  taskId: string;
  attempt: number;
  claim?: number | undefined;
  sha: string;
}): Promise<boolean> {
  return claimRef({ ...args, ref: claimRefName(args) });
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
