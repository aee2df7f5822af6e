import type { GitHubClient } from "../github-client.js";
import type { AppConfig } from "./app-config.js";
import { retryMessage, runSessionCommand, sessionNotFound, type CommandResult } from "./session-commands.js";
import type { SessionRuntime } from "./session-runtime.js";
import { sessionWarnings } from "./warnings.js";

/**
 * Retries failed (or named failed/cancelled) tasks: each goes back to pending keeping its attempt
 * count, so the next dispatch is a new attempt (a new run-name); its skipped dependents are
 * un-skipped. An ended session reopens.
 */
export async function retrySession(args: {
  client: GitHubClient;
  sessionId: string;
  tasks: readonly string[] | "failed";
  actor: string;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<CommandResult> {
  const result = await runSessionCommand({ ...args, command: { kind: "retry", tasks: args.tasks } });
  if (!result) return sessionNotFound(args.sessionId);
  const warnings = sessionWarnings(args.sessionId, result.warnings);
  const message = retryMessage({ status: result.status, requested: args.tasks, retried: result.retried });
  if (result.retried.length === 0) {
    return { ok: false, error: { kind: "nothing_to_do", message }, status: result.status, warnings };
  }
  return { ok: true, status: result.status, message, retried: result.retried, warnings };
}
