import type { Context } from "probot";
import { reviewFeedback, type ReviewComment } from "../../core/review-feedback.js";
import { parseResultBlock } from "../../core/task-result-block.js";
import { describeApiError, type GitHubClient, type RepoRef } from "../github-client.js";
import type { AppService } from "../app-service.js";
import { logWarnings, reviseTaskFromPullRequest, type ReviseOutcome } from "../sessions/index.js";
import { senderMayCommand } from "./repository-permission.js";

/**
 * A review that requests changes on a task's pull request starts a revise of the task
 * (sessions/revise-task.ts): its body and its comments (file, line, text) become the feedback of
 * the task's next attempt, and the reviewer is asked to review again once that attempt succeeds.
 * Reviews of other pull requests (no result block in the body) cost no request. Only people with
 * write access (or bots the operator named) start a revise; the answer is a comment on the pull
 * request. Nothing of the review's text is shown back: it goes to the agent only.
 */
export async function handlePullRequestReview(
  context: Context<"pull_request_review.submitted">,
  service: AppService,
): Promise<void> {
  const { review, pull_request: pull, sender } = context.payload;
  if (review.state.toLowerCase() !== "changes_requested") return;
  if (parseResultBlock(pull.body) === null) return;
  const client = context.octokit as GitHubClient;
  const repo = context.repo();
  const reviewer = review.user?.login ?? sender.login;
  const verdict = await senderMayCommand({
    client,
    repo,
    sender: { login: sender.login, type: sender.type },
    policy: service.commandPolicy,
  });
  if (!verdict.allowed) {
    // A bot's review gets no answer (no reply loops); a person learns why nothing happened.
    if (!verdict.bot)
      await postOnPullRequest(client, repo, pull.number, `@${sender.login} ${verdict.reason}.`);
    return;
  }
  try {
    const comments = await reviewComments(client, repo, pull.number, review.id);
    const outcome = await reviseTaskFromPullRequest({
      client,
      repo,
      pull: {
        number: pull.number,
        body: pull.body,
        headRef: pull.head.ref,
        headRepo: pull.head.repo?.full_name,
      },
      feedback: reviewFeedback({ reviewer, reviewBody: review.body, comments }),
      reviewer,
      config: service.config,
      runtime: service.runtime,
    });
    logWarnings(context.log, outcome.warnings);
    await postOnPullRequest(client, repo, pull.number, `@${sender.login} ${reviseReply(outcome, "review")}`);
  } catch (error) {
    context.log.error({ err: error, review: review.id }, "revise from a review failed");
    await postOnPullRequest(
      client,
      repo,
      pull.number,
      `@${sender.login} the revise asked for by your review failed: ${describeApiError(error)}. ` +
        "Comment `/orchestrate revise` to try again.",
    );
  }
}

/** At most this many review comments are read (one page); a review rarely has more. */
const MAX_REVIEW_COMMENTS = 100;

async function reviewComments(
  client: GitHubClient,
  repo: RepoRef,
  pullNumber: number,
  reviewId: number,
): Promise<ReviewComment[]> {
  const { data } = await client.request(
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments",
    { ...repo, pull_number: pullNumber, review_id: reviewId, per_page: MAX_REVIEW_COMMENTS },
  );
  return data.map((comment) => ({
    path: comment.path,
    line: comment.line ?? comment.original_line ?? null,
    body: comment.body,
  }));
}

/**
 * The answer to a revise, for a review or a `/orchestrate revise` comment. Refusals come from the
 * session machine's rules (task ids, counts, amounts: no text of the requester's).
 */
export function reviseReply(outcome: ReviseOutcome, from: "review" | "command"): string {
  if (outcome.ok) {
    const what = from === "review" ? "your review" : "your comment";
    return (
      `revising \`${outcome.taskId}\`: attempt ${outcome.attempt} runs on its branch with ${what} ` +
      "as feedback, and this pull request is updated when it is done."
    );
  }
  return `nothing was revised: ${outcome.message}`;
}

export async function postOnPullRequest(
  client: GitHubClient,
  repo: RepoRef,
  pullNumber: number,
  body: string,
): Promise<void> {
  await client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
    ...repo,
    issue_number: pullNumber,
    body,
  });
}
