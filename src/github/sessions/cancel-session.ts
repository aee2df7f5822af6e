import type { GitHubClient } from "../github-client.js";
import type { AppConfig } from "./app-config.js";
import { runSessionCommand, sessionNotFound, type CommandResult } from "./session-commands.js";
import type { SessionRuntime } from "./session-runtime.js";
import { sessionWarnings } from "./warnings.js";

/** Cancels a session: running workflow runs are cancelled, waiting tasks will not start. */
export async function cancelSession(args: {
  client: GitHubClient;
  sessionId: string;
  actor: string;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<CommandResult> {
  const result = await runSessionCommand({ ...args, command: { kind: "cancel" } });
  if (!result) return sessionNotFound(args.sessionId);
  const { status } = result;
  const warnings = sessionWarnings(args.sessionId, result.warnings);
  if (result.wasEnded) {
    return {
      ok: false,
      error: { kind: "nothing_to_do", message: `the session has already ended (${status.summary})` },
      status,
      warnings,
    };
  }
  const stopped = status.tasks.filter((task) => task.status === "cancelled").length;
  return { ok: true, status, message: `Cancelled by @${args.actor}: ${stopped} tasks cancelled.`, warnings };
}
