import { parseResultBlock } from "../../src/core/task-result-block.js";
import { ActionFailure } from "./action-failure.js";
import { describeApiError } from "../../src/github/github-client.js";
import type { GitHubClient, Repository } from "./github-client.js";

export interface PullRequestRef {
  number: number;
  url: string;
  draft: boolean;
  body: string;
  base: string;
  nodeId: string;
}

export interface UpsertPullRequestOptions {
  client: GitHubClient;
  repository: Repository;
  branch: string;
  base: string;
  title: string;
  /** Builds the body from the existing one (empty for a new PR), so reviewers' text is kept. */
  renderBody: (existing: string) => string;
  /** Open as a draft (failed work); a PR that exists is never turned into one. */
  draft: boolean;
  /** GraphQL endpoint, for marking a draft we opened for failed work ready once the task succeeds. */
  graphqlUrl: string;
  log?: (message: string) => void;
}

export interface UpsertedPullRequest {
  number: number;
  url: string;
  created: boolean;
}

/**
 * Creates the task's pull request or updates the open one for its branch: a retried attempt or a
 * re-run of the same workflow run must not open a second PR. Creating can race with another run
 * (or GitHub's search lagging behind a PR opened a moment ago): "already exists" is then read as
 * "update it".
 */
export async function upsertPullRequest(options: UpsertPullRequestOptions): Promise<UpsertedPullRequest> {
  try {
    const existing = await findOpenPullRequest(options);
    if (existing) return await updatePullRequest(options, existing);
    try {
      return await createPullRequest(options);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      const raced = await findOpenPullRequest(options);
      if (!raced) throw error;
      return await updatePullRequest(options, raced);
    }
  } catch (error) {
    if (error instanceof ActionFailure) throw error;
    throw new ActionFailure(
      "pr_api_error",
      `Could not open or update the pull request for ${options.branch} → ${options.base}: ${describeApiError(error)}. ` +
        `The work is pushed to ${options.branch}; retry the task, or open the pull request by hand.`,
      { cause: error },
    );
  }
}

/** The open PR whose head is this branch of this repository, if any. */
export async function findOpenPullRequest(args: {
  client: GitHubClient;
  repository: Repository;
  branch: string;
}): Promise<PullRequestRef | null> {
  const { client, repository, branch } = args;
  const { data } = await client.request("GET /repos/{owner}/{repo}/pulls", {
    ...repository,
    head: `${repository.owner}:${branch}`,
    state: "open",
    per_page: 10,
  });
  const pull = data.find((candidate) => candidate.head.ref === branch);
  return pull ? toRef(pull) : null;
}

/** Each dependency branch with its most recent PR (open or not), for "Builds on" links. */
export async function findDependencyPullRequests(args: {
  client: GitHubClient;
  repository: Repository;
  branches: readonly string[];
}): Promise<Array<{ branch: string; number?: number }>> {
  const { client, repository } = args;
  const found: Array<{ branch: string; number?: number }> = [];
  for (const branch of args.branches) {
    const { data } = await client.request("GET /repos/{owner}/{repo}/pulls", {
      ...repository,
      head: `${repository.owner}:${branch}`,
      state: "all",
      per_page: 1,
    });
    const number = data[0]?.number;
    found.push(number === undefined ? { branch } : { branch, number });
  }
  return found;
}

async function createPullRequest(options: UpsertPullRequestOptions): Promise<UpsertedPullRequest> {
  const { client, repository } = options;
  const create = (draft: boolean) =>
    client.request("POST /repos/{owner}/{repo}/pulls", {
      ...repository,
      head: options.branch,
      base: options.base,
      title: options.title,
      body: options.renderBody(""),
      draft,
      maintainer_can_modify: true,
    });
  try {
    const { data } = await create(options.draft);
    return { number: data.number, url: data.html_url, created: true };
  } catch (error) {
    // Private repositories on free plans have no draft PRs; a normal PR still carries the result.
    if (!options.draft || !isDraftUnsupported(error)) throw error;
    options.log?.("Draft pull requests are not available here; opening a normal one.");
    const { data } = await create(false);
    return { number: data.number, url: data.html_url, created: true };
  }
}

async function updatePullRequest(
  options: UpsertPullRequestOptions,
  pull: PullRequestRef,
): Promise<UpsertedPullRequest> {
  const { client, repository } = options;
  const body = options.renderBody(pull.body);
  const { data } = await client.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
    ...repository,
    pull_number: pull.number,
    body,
    ...(pull.base === options.base ? {} : { base: options.base }),
  });
  // Only a draft this action opened for a failed attempt is marked ready: a PR someone turned
  // into a draft themselves stays one.
  const openedForFailure = parseResultBlock(pull.body)?.conclusion === "failure";
  if (pull.draft && !options.draft && openedForFailure) await markReady(options, pull);
  return { number: data.number, url: data.html_url, created: false };
}

/** REST has no "ready for review"; GraphQL does. A failure here leaves a usable (draft) PR. */
async function markReady(options: UpsertPullRequestOptions, pull: PullRequestRef): Promise<void> {
  try {
    await options.client.request("POST /graphql", {
      baseUrl: options.graphqlUrl.replace(/\/graphql$/, ""),
      query:
        "mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { clientMutationId } }",
      variables: { id: pull.nodeId },
    });
  } catch (error) {
    options.log?.(`Could not mark pull request #${pull.number} ready for review: ${describeApiError(error)}`);
  }
}

function toRef(pull: {
  number: number;
  html_url: string;
  draft?: boolean;
  body: string | null;
  base: { ref: string };
  node_id: string;
}): PullRequestRef {
  return {
    number: pull.number,
    url: pull.html_url,
    draft: pull.draft === true,
    body: pull.body ?? "",
    base: pull.base.ref,
    nodeId: pull.node_id,
  };
}

function validationMessages(error: unknown): string {
  if (typeof error !== "object" || error === null || (error as { status?: unknown }).status !== 422)
    return "";
  const data = (error as { response?: { data?: { message?: unknown; errors?: unknown } } }).response?.data;
  const parts = [String(data?.message ?? "")];
  if (Array.isArray(data?.errors)) {
    for (const item of data.errors)
      parts.push(typeof item === "object" ? JSON.stringify(item) : String(item));
  }
  return parts.join(" ");
}

function isAlreadyExists(error: unknown): boolean {
  return /already exists/i.test(validationMessages(error));
}

function isDraftUnsupported(error: unknown): boolean {
  return /draft/i.test(validationMessages(error));
}
