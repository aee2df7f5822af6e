import { boundedFeedback } from "../../core/revise-task.js";
import { parseSessionId } from "../../core/session-id.js";
import { parseResultBlock } from "../../core/task-result-block.js";
import type { GitHubClient, RepoRef } from "../github-client.js";
import { advanceSession } from "./advance-session.js";
import type { AppConfig } from "./app-config.js";
import type { SessionRuntime } from "./session-runtime.js";
import { sessionWarnings, type Warning } from "./warnings.js";

/**
 * A review follow-up on a task's pull request (a review requesting changes, `/orchestrate revise`):
 * the task runs again on its existing branch, its commits kept, with the feedback added to its
 * prompt, within its retries and the session budget (core/revise-task.ts). The pull request leads
 * to its session through the result block in its body, and counts only when the session's own
 * record names it as the task's pull request, on the task's branch, in this repository: a block
 * copied into another pull request's body starts nothing.
 */

/** A revise asked for without words (an empty review, `/orchestrate revise` alone). */
export const DEFAULT_FEEDBACK = "Look at the work on this branch again and improve it.";

export interface TaskPullRequest {
  number: number;
  body: string | null | undefined;
  /** The head branch, and the repository it is in (a fork's pull request is never a task's). */
  headRef: string;
  headRepo: string | undefined;
}

export type ReviseOutcome =
  | { ok: true; sessionId: string; taskId: string; attempt: number; warnings: Warning[] }
  | {
      ok: false;
      kind: "not_a_task_pull_request" | "session_not_found" | "refused";
      message: string;
      warnings: Warning[];
    };

export async function reviseTaskFromPullRequest(args: {
  client: GitHubClient;
  repo: RepoRef;
  pull: TaskPullRequest;
  /** The review and command text (untrusted: it only ever reaches the agent's prompt). */
  feedback: string;
  /** Who asked for changes in a review: asked to review again once the revised attempt succeeds. */
  reviewer?: string | undefined;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<ReviseOutcome> {
  const { repo, pull } = args;
  const notTask: ReviseOutcome = {
    ok: false,
    kind: "not_a_task_pull_request",
    message: `pull request #${pull.number} is not the pull request of an orchestrator task, so there is nothing to revise.`,
    warnings: [],
  };
  const block = parseResultBlock(pull.body);
  const ref = block === null ? null : parseSessionId(block.session_id);
  const sameRepo = (fullName: string | undefined) =>
    fullName?.toLowerCase() === `${repo.owner}/${repo.repo}`.toLowerCase();
  if (block === null || ref === null || !sameRepo(`${ref.owner}/${ref.repo}`) || !sameRepo(pull.headRepo))
    return notTask;
  const sessionId = block.session_id;
  const result = await args.runtime.queue.run(sessionId, () =>
    advanceSession({
      client: args.client,
      sessionId,
      input: {
        revise: {
          id: block.task_id,
          feedback: boundedFeedback(args.feedback) || DEFAULT_FEEDBACK,
          pullNumber: pull.number,
          headRef: pull.headRef,
          reviewer: args.reviewer,
        },
      },
      config: args.config,
      runtime: args.runtime,
    }),
  );
  if (result === null) {
    return {
      ok: false,
      kind: "session_not_found",
      message: `the session of this pull request (\`${sessionId}\`) was not found.`,
      warnings: [],
    };
  }
  const warnings = sessionWarnings(sessionId, result.warnings);
  const revise = result.revise;
  if (revise === undefined || "refused" in revise)
    return { ok: false, kind: "refused", message: revise?.refused ?? "nothing was revised", warnings };
  return { ok: true, sessionId, taskId: block.task_id, attempt: revise.attempt, warnings };
}
