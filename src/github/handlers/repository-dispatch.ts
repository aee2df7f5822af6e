import type { Context } from "probot";
import { z } from "zod";
import type { GitHubClient } from "../github-client.js";
import {
  cancelPayloadSchema,
  describeFirstIssue,
  retryPayloadSchema,
  startOptionsShape,
  toStartOptions,
} from "../http-api/api-schemas.js";
import { ApiError } from "../http-api/api-error.js";
import { cancelSession, listActiveSessions, retrySession, startSession } from "../sessions/index.js";
import type { HandlerDeps } from "./handler-deps.js";
import { sessionInRepository } from "./same-repository.js";
import { claimTrigger } from "./trigger-claim.js";

/**
 * `repository_dispatch` events (sent with a token that can write to the repository, e.g. from
 * curl or an iOS Shortcut):
 *
 *   event_type "orchestrate"         client_payload { file | tasks_file, ref, parallel, only, budget_usd }
 *   event_type "orchestrate-retry"   client_payload { session_id?, tasks?: "failed" | ["a","b"] | "a,b" }
 *   event_type "orchestrate-cancel"  client_payload { session_id? }
 *
 * Without session_id, retry and cancel act on the repository's newest running session. The
 * sender already proved write access by sending the event. GitHub answers the sender 204 before
 * we see the event, so problems can only be logged, and the session's check run shows the rest.
 */
export const DISPATCH_EVENT_TYPES = ["orchestrate", "orchestrate-retry", "orchestrate-cancel"] as const;

const startPayloadSchema = z.strictObject(startOptionsShape);

export async function handleRepositoryDispatch(
  context: Context<"repository_dispatch">,
  deps: HandlerDeps,
): Promise<void> {
  const eventType = context.payload.action;
  if (!(DISPATCH_EVENT_TYPES as readonly string[]).includes(eventType)) return;
  const payload: unknown = context.payload.client_payload ?? {};
  const client = context.octokit as GitHubClient;
  const repo = context.repo();
  const actor = context.payload.sender.login;
  const { config, runtime } = deps;
  const refuse = (message: string): void => {
    context.log.warn(
      { eventType, repository: `${repo.owner}/${repo.repo}` },
      `repository_dispatch refused: ${message}`,
    );
  };

  if (eventType === "orchestrate") {
    const parsed = startPayloadSchema.safeParse(payload);
    if (!parsed.success) return refuse(describeFirstIssue(parsed.error)[0]);
    let options: ReturnType<typeof toStartOptions>;
    try {
      options = toStartOptions(parsed.data);
    } catch (error) {
      if (error instanceof ApiError) return refuse(error.message);
      throw error;
    }
    // Starting is not idempotent: the delivery is claimed first (a redelivery finds the claim),
    // and once begun a failure is logged, not thrown, so one event never starts two sessions.
    const claimed = await claimTrigger({
      client,
      repo,
      key: `dispatch-${context.id}`,
      branch: context.payload.branch,
    });
    if (!claimed) {
      context.log.info(
        { delivery: context.id },
        "repository_dispatch already handled (a redelivery): not run again",
      );
      return;
    }
    try {
      const result = await startSession({
        client,
        repo,
        options,
        trigger: { kind: "repository_dispatch", actor },
        config,
        runtime,
      });
      if (result.ok)
        context.log.info({ sessionId: result.sessionId }, "session started from repository_dispatch");
      else refuse(`${result.error.kind}: ${result.error.message}`);
    } catch (error) {
      context.log.error({ err: error }, "repository_dispatch: starting the session failed");
    }
    return;
  }

  const parsed = (eventType === "orchestrate-retry" ? retryPayloadSchema : cancelPayloadSchema).safeParse(
    payload,
  );
  if (!parsed.success) return refuse(describeFirstIssue(parsed.error)[0]);
  const data: { session_id?: string; tasks?: string[] | "failed" } = parsed.data;
  let sessionId = data.session_id;
  if (sessionId === undefined) {
    const active = await listActiveSessions({ client, repo, config, runtime });
    sessionId = active[0]?.sessionId;
    if (sessionId === undefined) return refuse("no running session; name one with session_id");
  }
  if (!sessionInRepository(sessionId, repo))
    return refuse(`${sessionId} is not a session of ${repo.owner}/${repo.repo}`);
  // Retry and cancel are idempotent: errors are thrown, so a failed delivery is redelivered.
  const tasks = data.tasks ?? "failed";
  const outcome =
    eventType === "orchestrate-retry"
      ? await retrySession({ client, sessionId, tasks, actor, config, runtime })
      : await cancelSession({ client, sessionId, actor, config, runtime });
  if (outcome.ok) context.log.info({ sessionId }, outcome.message);
  else refuse(outcome.error.message);
}
