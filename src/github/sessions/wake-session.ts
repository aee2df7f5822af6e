import type { GitHubClient } from "../github-client.js";
import { advanceSession, type AdvanceResult } from "./advance-session.js";
import type { AppConfig } from "./app-config.js";
import type { MergedPull } from "./restack-dependents.js";
import type { PendingWake, SessionRuntime } from "./session-runtime.js";
import type { SessionStatus } from "./session-status.js";
import { sessionWarnings, type Warning } from "./warnings.js";
import type { WorkflowRunLike } from "./workflow-run.js";

/**
 * "Look at session X again", optionally with the workflow run that prompted it. Wake-ups for one
 * session run one at a time; those that arrive while another waits join it, so a burst of
 * events becomes one pass (one read of the record, one write). Null when the session does not
 * exist or is not ours. The pass's warnings come back to the wake-up that began it only, so they
 * are logged once.
 */
export async function wakeSession(args: {
  client: GitHubClient;
  sessionId: string;
  run?: WorkflowRunLike;
  /** The session's issue graph changed (a `sub_issues` or `issue_dependencies` webhook). */
  rereadGraph?: boolean;
  /** A pull request of a task was merged (`pull_request.closed`): its dependents are restacked. */
  merged?: MergedPull;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<{ status: SessionStatus; warnings: Warning[] } | null> {
  const { runtime, sessionId } = args;
  const waiting = runtime.pendingWakes.get(sessionId);
  if (waiting) {
    if (args.run) waiting.runs.push(args.run);
    if (args.rereadGraph) waiting.rereadGraph = true;
    if (args.merged) (waiting.merged ??= []).push(args.merged);
    const joined = (await waiting.promise) as AdvanceResult | null;
    return joined && { status: joined.status, warnings: [] };
  }
  const batch: PendingWake = { runs: args.run ? [args.run] : [], promise: Promise.resolve(null) };
  if (args.rereadGraph) batch.rereadGraph = true;
  if (args.merged) batch.merged = [args.merged];
  runtime.pendingWakes.set(sessionId, batch);
  batch.promise = runtime.queue.run(sessionId, () => {
    // From here on, new wake-ups start a batch of their own: this one has begun reading.
    if (runtime.pendingWakes.get(sessionId) === batch) runtime.pendingWakes.delete(sessionId);
    return advanceSession({
      client: args.client,
      sessionId,
      input: {
        runs: batch.runs,
        ...(batch.rereadGraph ? { rereadGraph: true } : {}),
        ...(batch.merged ? { merged: batch.merged } : {}),
      },
      config: args.config,
      runtime,
    });
  });
  const result = (await batch.promise) as AdvanceResult | null;
  return result && { status: result.status, warnings: sessionWarnings(sessionId, result.warnings) };
}
