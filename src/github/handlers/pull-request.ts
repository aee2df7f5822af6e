import type { Context } from "probot";
import { parseResultBlock } from "../../core/task-result-block.js";
import type { GitHubClient } from "../github-client.js";
import type { AppService } from "../app-service.js";
import { logWarnings, wakeSession } from "../sessions/index.js";
import { sessionInRepository } from "./same-repository.js";

/**
 * A pull request was merged. Tasks with `base: "merged"` wait until their dependencies' pull
 * requests are merged, and each session pass reads those pull requests; so a merged pull
 * request of a task (its body holds the result block naming the session) wakes its session,
 * telling it which task's pull request merged and at which head: the dependents built on that
 * task's branch are restacked onto the base branch and their pull requests retargeted
 * (sessions/restack-dependents.ts). Anything else is dropped without an API call. A forged block
 * can do no more than wake a session of this repository: the pass trusts only the pull requests
 * its own record names (the number must be the one recorded for the task).
 */
export async function handlePullRequestClosed(
  context: Context<"pull_request.closed">,
  service: AppService,
): Promise<void> {
  const pull = context.payload.pull_request;
  if (!pull.merged) return;
  const block = parseResultBlock(pull.body);
  if (!block || !sessionInRepository(block.session_id, context.repo())) return;
  const woken = await wakeSession({
    client: context.octokit as GitHubClient,
    sessionId: block.session_id,
    merged: { taskId: block.task_id, number: pull.number, headSha: pull.head.sha },
    config: service.config,
    runtime: service.runtime,
  });
  if (woken) logWarnings(context.log, woken.warnings);
}
