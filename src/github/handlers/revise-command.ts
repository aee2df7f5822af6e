import { reviewFeedback } from "../../core/review-feedback.js";
import type { GitHubClient, RepoRef } from "../github-client.js";
import type { AppService } from "../app-service.js";
import { logWarnings, reviseTaskFromPullRequest, type WarningLog } from "../sessions/index.js";
import { reviseReply } from "./pull-request-review.js";

/**
 * `/orchestrate revise [text]` in a comment on a task's pull request (the commenter's write
 * access was checked by the comment handler): the pull request is read for its result block and
 * head, and the task is revised with the text as feedback. Returns the reply, without the
 * `@login` the comment handler adds.
 */
export async function reviseFromComment(args: {
  client: GitHubClient;
  repo: RepoRef;
  service: AppService;
  issueNumber: number;
  onPullRequest: boolean;
  text: string;
  log: WarningLog;
}): Promise<{ ok: boolean; message: string }> {
  const { client, repo } = args;
  if (!args.onPullRequest) {
    return {
      ok: false,
      message: "`/orchestrate revise` works in a comment on a task's pull request; this is an issue.",
    };
  }
  const { data: pull } = await client.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
    ...repo,
    pull_number: args.issueNumber,
  });
  const outcome = await reviseTaskFromPullRequest({
    client,
    repo,
    pull: {
      number: pull.number,
      body: pull.body,
      headRef: pull.head.ref,
      headRepo: pull.head.repo?.full_name,
    },
    feedback: reviewFeedback({ text: args.text }),
    config: args.service.config,
    runtime: args.service.runtime,
  });
  logWarnings(args.log, outcome.warnings);
  return { ok: outcome.ok, message: reviseReply(outcome, "command") };
}
