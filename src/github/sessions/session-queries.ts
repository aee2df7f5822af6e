import type { GitHubClient, RepoRef } from "../github-client.js";
import { listActiveSessionIds } from "./orchestrator-refs.js";
import type { AppConfig } from "./app-config.js";
import { loadSession, loadSessionGraph } from "./load-session.js";
import type { SessionRuntime } from "./session-runtime.js";
import { buildSessionStatus, type SessionStatus } from "./session-status.js";

/** A session's status, read-only (no pass, no writes). Null when there is no such session. */
export async function getSessionStatus(args: {
  client: GitHubClient;
  sessionId: string;
  config?: Pick<AppConfig, "appId">;
  runtime: SessionRuntime;
}): Promise<SessionStatus | null> {
  const session = await loadSession({
    client: args.client,
    sessionId: args.sessionId,
    config: args.config ?? {},
  });
  if (!session) return null;
  const graph = session.record.error
    ? null
    : await loadSessionGraph({
        client: args.client,
        session,
        runtime: args.runtime,
      });
  return buildSessionStatus({
    sessionId: session.sessionId,
    repo: session.repo,
    record: session.record,
    graph,
    checkRunUrl: session.checkRun.htmlUrl,
  });
}

/** The running sessions of a repository, newest first. */
export async function listActiveSessions(args: {
  client: GitHubClient;
  repo: RepoRef;
  config?: Pick<AppConfig, "appId">;
  runtime: SessionRuntime;
}): Promise<SessionStatus[]> {
  const ids = await listActiveSessionIds(args);
  const statuses: SessionStatus[] = [];
  for (const sessionId of ids) {
    const status = await getSessionStatus({ ...args, sessionId });
    if (status) statuses.push(status);
  }
  return statuses.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
