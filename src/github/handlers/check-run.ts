import type { Context } from "probot";
import type { GitHubClient } from "../github-client.js";
import {
  cancelSession,
  checkRunTarget,
  retrySession,
  SUMMARY_ACTIONS,
  TASK_RETRY_ACTION,
} from "../sessions/index.js";
import type { HandlerDeps } from "./handler-deps.js";
import { sessionInRepository } from "./same-repository.js";

/**
 * The Checks tab's controls. "Re-run" (`rerequested`) on the session's summary check run retries
 * its failed tasks, on a task's check run that task. Buttons (`requested_action`): `retry_failed`
 * and `cancel` on the summary, `retry` on a failed task. GitHub sends these only to the App that
 * created the check run, and only people with write access can press them; both are checked
 * again here anyway (the App id, and that the session belongs to this repository).
 */
export async function handleCheckRun(
  context: Context<"check_run.rerequested" | "check_run.requested_action">,
  deps: HandlerDeps,
): Promise<void> {
  const { check_run: checkRun, sender } = context.payload;
  if (checkRun.app?.id !== deps.appId) return;
  const repo = context.repo();
  const target = checkRunTarget({ id: checkRun.id, external_id: checkRun.external_id }, repo);
  if (!target || !sessionInRepository(target.sessionId, repo)) return;
  const identifier =
    context.payload.action === "requested_action"
      ? context.payload.requested_action?.identifier
      : "rerequested";
  const client = context.octokit as GitHubClient;
  const { config, runtime } = deps;
  const actor = sender.login;
  const sessionId = target.sessionId;

  let outcome: Awaited<ReturnType<typeof retrySession>> | null = null;
  if (identifier === SUMMARY_ACTIONS.cancel.identifier) {
    outcome = await cancelSession({ client, sessionId, actor, config, runtime });
  } else if (
    identifier === SUMMARY_ACTIONS.retryFailed.identifier ||
    (identifier === "rerequested" && target.kind === "session")
  ) {
    outcome = await retrySession({ client, sessionId, tasks: "failed", actor, config, runtime });
  } else if (
    target.kind === "task" &&
    (identifier === TASK_RETRY_ACTION.identifier || identifier === "rerequested")
  ) {
    outcome = await retrySession({ client, sessionId, tasks: [target.taskId], actor, config, runtime });
  }
  if (outcome === null) {
    context.log.warn({ identifier, sessionId }, "check run action not understood");
    return;
  }
  // The summary check run and the status comment show the result; the log keeps why not.
  if (outcome.ok) context.log.info({ sessionId, identifier }, outcome.message);
  else context.log.info({ sessionId, identifier }, `check run action: ${outcome.error.message}`);
}
