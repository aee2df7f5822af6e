/**
 * Pull request reviews: a review's comments (file, line, text), and asking for a review again.
 * Reviews are seeded by tests with `addReview` (GitHub's review itself comes as a webhook); the
 * reviewers asked for are kept per pull request for tests to read with `requestedReviewers`.
 */
import { nodeId, userShape } from "../shapes/accounts.js";
import { pullRequestShape } from "../shapes/conversations.js";
import type { FakeAccount, FakeGitHubState } from "../state.js";
import {
  FakeHttpError,
  intParam,
  notFound,
  repoOf,
  type RouteRequest,
  type RouteTable,
} from "./route-types.js";

export interface FakeReviewComment {
  readonly id: number;
  readonly path: string;
  readonly line: number | null;
  readonly body: string;
  readonly user: FakeAccount;
  readonly createdAt: string;
}

export interface FakeReview {
  readonly id: number;
  readonly repo: string;
  readonly pullNumber: number;
  readonly user: FakeAccount;
  readonly body: string;
  readonly comments: readonly FakeReviewComment[];
}

interface ReviewState {
  reviews: Map<number, FakeReview>;
  /** `repo#number` → logins asked for, in order (every request, repeats kept). */
  requested: Map<string, string[]>;
}

const states = new WeakMap<FakeGitHubState, ReviewState>();

function reviewState(state: FakeGitHubState): ReviewState {
  let found = states.get(state);
  if (found === undefined) {
    found = { reviews: new Map(), requested: new Map() };
    states.set(state, found);
  }
  return found;
}

/** Seeds a review with its comments on a pull request; returns it (its `id` goes in the webhook). */
export function addReview(
  state: FakeGitHubState,
  input: {
    repo: string;
    pullNumber: number;
    user: string;
    body: string;
    comments: ReadonlyArray<{ path: string; line: number | null; body: string }>;
  },
): FakeReview {
  const user = state.account(input.user);
  const review: FakeReview = {
    id: state.id(),
    repo: input.repo,
    pullNumber: input.pullNumber,
    user,
    body: input.body,
    comments: input.comments.map((comment) => ({
      id: state.id(),
      ...comment,
      user,
      createdAt: state.timestamp(),
    })),
  };
  reviewState(state).reviews.set(review.id, review);
  return review;
}

/** The logins asked to review pull request `number` again, in the order asked. */
export function requestedReviewers(state: FakeGitHubState, repo: string, number: number): string[] {
  return [...(reviewState(state).requested.get(`${repo}#${number}`) ?? [])];
}

export const reviewRoutes: RouteTable = {
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments": (request) => {
    const repo = repoOf(request);
    const pullNumber = intParam(request, "pull_number");
    const review = reviewState(request.ctx.state).reviews.get(intParam(request, "review_id"));
    if (review === undefined || review.repo !== repo.fullName || review.pullNumber !== pullNumber)
      throw notFound();
    const api = `${request.ctx.api}/repos/${repo.fullName}`;
    const html = `${request.ctx.web}/${repo.fullName}/pull/${pullNumber}`;
    const sha =
      request.ctx.state.resolveCommit(repo, `refs/heads/${repo.defaultBranch}`)?.sha ?? "0".repeat(40);
    const perPage = Number(request.query.get("per_page") ?? "30");
    return {
      status: 200,
      body: review.comments.slice(0, perPage).map((comment) => ({
        url: `${api}/pulls/comments/${comment.id}`,
        pull_request_review_id: review.id,
        id: comment.id,
        node_id: nodeId("PullRequestReviewComment", comment.id),
        diff_hunk: "@@ -1 +1 @@",
        path: comment.path,
        position: comment.line,
        original_position: comment.line ?? 1,
        commit_id: sha,
        original_commit_id: sha,
        user: userShape(request.ctx, comment.user),
        body: comment.body,
        created_at: comment.createdAt,
        updated_at: comment.createdAt,
        html_url: `${html}#discussion_r${comment.id}`,
        pull_request_url: `${api}/pulls/${pullNumber}`,
        author_association: "COLLABORATOR",
        _links: {
          self: { href: `${api}/pulls/comments/${comment.id}` },
          html: { href: `${html}#discussion_r${comment.id}` },
          pull_request: { href: `${api}/pulls/${pullNumber}` },
        },
        ...(comment.line === null ? {} : { line: comment.line, original_line: comment.line, side: "RIGHT" }),
      })),
    };
  },

  "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers": (request: RouteRequest) => {
    const repo = repoOf(request);
    const pull = request.ctx.state.pull(repo.fullName, intParam(request, "pull_number"));
    if (pull === undefined) throw notFound();
    const reviewers = request.body.reviewers;
    if (!Array.isArray(reviewers) || reviewers.some((login) => typeof login !== "string"))
      throw new FakeHttpError(422, "Reviews may only be requested from collaborators.");
    // GitHub refuses to ask the author of the pull request to review it.
    if (reviewers.includes(pull.user.login))
      throw new FakeHttpError(422, "Review cannot be requested from pull request author.");
    const key = `${repo.fullName}#${pull.number}`;
    const asked = reviewState(request.ctx.state).requested;
    asked.set(key, [...(asked.get(key) ?? []), ...(reviewers as string[])]);
    return { status: 201, body: pullRequestShape({ ctx: request.ctx, repo, pull, full: false }) };
  },
};
