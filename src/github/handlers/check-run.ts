import type { Context } from "probot";
import type { GitHubClient } from "../github-client.js";
import type { AppService } from "../app-service.js";
import {
  cancelSession,
  checkRunTarget,
  logWarnings,
  giveInput,
  retrySession,
  SUMMARY_ACTIONS,
  TASK_ALLOW_ACTION,
  TASK_RETRY_ACTION,
  type SessionCommand,
} from "../sessions/index.js";
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
  service: AppService,
): Promise<void> {
  const { check_run: checkRun, sender } = context.payload;
  if (checkRun.app?.id !== service.appId) return;
  const repo = context.repo();
  const target = checkRunTarget({ id: checkRun.id, external_id: checkRun.external_id }, repo);
  if (!target || !sessionInRepository(target.sessionId, repo)) return;
  const identifier =
    context.payload.action === "requested_action"
      ? context.payload.requested_action?.identifier
      : "rerequested";
  const sessionId = target.sessionId;
  const command = commandOf(identifier, target);
  if (command === null) {
    context.log.warn({ identifier, sessionId }, "check run action not understood");
    return;
  }

  const { config, runtime } = service;
  const run = { client: context.octokit as GitHubClient, sessionId, actor: sender.login, config, runtime };
  const outcome =
    command.kind === "cancel"
      ? await cancelSession(run)
      : command.kind === "retry"
        ? await retrySession({ ...run, tasks: command.tasks })
        : await giveInput({ ...run, command });

  // The summary check run and the status comment show the result; the log keeps why not.
  logWarnings(context.log, outcome.warnings);
  if (outcome.ok) context.log.info({ sessionId, identifier }, outcome.message);
  else context.log.info({ sessionId, identifier }, `check run action: ${outcome.error.message}`);
}

/** What a button (or "Re-run") asks of the session; null for an identifier we never set. */
function commandOf(
  identifier: string | undefined,
  target: NonNullable<ReturnType<typeof checkRunTarget>>,
): Exclude<SessionCommand, { kind: "plan_approved" }> | null {
  if (identifier === SUMMARY_ACTIONS.cancel.identifier) return { kind: "cancel" };
  const rerun = identifier === "rerequested";
  if (identifier === SUMMARY_ACTIONS.retryFailed.identifier || (rerun && target.kind === "session")) {
    return { kind: "retry", tasks: "failed" };
  }
  if (target.kind === "task" && (identifier === TASK_RETRY_ACTION.identifier || rerun)) {
    return { kind: "retry", tasks: [target.taskId] };
  }
  if (target.kind === "task" && identifier === TASK_ALLOW_ACTION.identifier) {
    return { kind: "allow", taskId: target.taskId };
  }
  return null;
}
