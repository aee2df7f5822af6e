import { parseSessionId } from "../../core/session-id.js";
import { describeApiError, type GitHubClient, type RepoRef } from "../github-client.js";
import { advanceSession } from "./advance-session.js";
import type { AppConfig } from "./app-config.js";
import { listActiveSessionIds, markSessionEnded } from "./orchestrator-refs.js";
import type { SessionRuntime } from "./session-runtime.js";
import { sessionWarnings, type Warning } from "./warnings.js";

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
  runtime: SessionRuntime;
}): Promise<{ sessions: number; woken: number; ended: number; warnings: Warning[] }> {
  const { client, repo, config, runtime } = args;
  const ids = await listActiveSessionIds({ client, repo });
  const summary = { sessions: ids.length, woken: 0, ended: 0, warnings: [] as Warning[] };
  for (const sessionId of ids) {
    try {
      const result = await runtime.queue.run(sessionId, () =>
        advanceSession({ client, sessionId, input: { sweep: true }, config, runtime }),
      );
      if (result === null || result.status.state === "completed") {
        // Gone, not ours, or ended before its index entry was removed (a crash in between).
        const checkRunId = parseSessionId(sessionId)?.checkRunId;
        const warning =
          checkRunId === undefined ? null : await markSessionEnded({ client, repo, checkRunId });
        summary.warnings.push(...sessionWarnings(sessionId, [warning]));
        summary.ended++;
        continue;
      }
      summary.woken++;
      summary.warnings.push(...sessionWarnings(sessionId, result.warnings));
    } catch (error) {
      // One broken session must not stop the sweep of the others.
      summary.warnings.push({ sessionId, message: describeApiError(error) });
    }
  }
  return summary;
}
