import { describeApiError, httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";
import { activeRefName, listActiveSessionIds } from "./active-sessions.js";
import { advanceSession } from "./advance-session.js";
import type { AppConfig } from "./app-config.js";
import { defaultSessionRuntime, type SessionRuntime } from "./session-runtime.js";
import { parseSessionId } from "../../core/session-id.js";

/**
 * The safety net for missed events (GitHub does not redeliver on its own): every active session
 * of a repository is looked at again, with the runs of its running tasks read from GitHub.
 * A run that completed without us hearing of it is taken into account; a task whose run never
 * appeared fails after `runNeverStartedAfterMs`. Run it every few minutes per installation.
 */
export async function sweepActiveSessions(args: {
  client: GitHubClient;
  repo: RepoRef;
  config: AppConfig;
  runtime?: SessionRuntime;
}): Promise<{ sessions: number; woken: number; ended: number; warnings: string[] }> {
  const runtime = args.runtime ?? defaultSessionRuntime;
  const ids = await listActiveSessionIds(args);
  const summary = { sessions: ids.length, woken: 0, ended: 0, warnings: [] as string[] };
  for (const sessionId of ids) {
    try {
      const result = await runtime.queue.run(sessionId, () =>
        advanceSession({
          client: args.client,
          sessionId,
          input: { sweep: true },
          config: args.config,
          runtime,
        }),
      );
      if (result === null || result.status.state === "completed") {
        // Gone, not ours, or ended before its index entry was removed (a crash in between).
        await removeActiveRef({ client: args.client, repo: args.repo, sessionId });
        summary.ended++;
        continue;
      }
      summary.woken++;
      summary.warnings.push(...result.warnings.map((warning) => `${sessionId}: ${warning}`));
    } catch (error) {
      // One broken session must not stop the sweep of the others.
      summary.warnings.push(`${sessionId}: ${describeApiError(error)}`);
    }
  }
  return summary;
}

async function removeActiveRef(args: {
  client: GitHubClient;
  repo: RepoRef;
  sessionId: string;
}): Promise<void> {
  const ref = parseSessionId(args.sessionId);
  if (!ref) return;
  try {
    await args.client.request("DELETE /repos/{owner}/{repo}/git/refs/{ref}", {
      ...args.repo,
      ref: activeRefName(ref.checkRunId).replace(/^refs\//, ""),
    });
  } catch (error) {
    if (httpStatus(error) !== 404 && httpStatus(error) !== 422) throw error;
  }
}
