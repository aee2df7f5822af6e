import type { GitHubClient } from "../github-client.js";
import type { AppConfig } from "./app-config.js";
import type { SessionCommand } from "./advance-session.js";
import { runSessionCommand, sessionNotFound, type CommandResult } from "./session-commands.js";
import type { SessionRuntime } from "./session-runtime.js";
import { sessionWarnings } from "./warnings.js";

/**
 * A person's input for a task that needs it: "Allow & retry" (the tools its attempt was refused,
 * allowed for this task) or an answer (added to the next attempt's prompt). The task goes back to
 * pending and starts again as a new attempt that does not use up a retry; an ended session reopens.
 */
export async function giveInput(args: {
  client: GitHubClient;
  sessionId: string;
  command: Extract<SessionCommand, { kind: "allow" | "answer" }>;
  actor: string;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<CommandResult> {
  const { taskId } = args.command;
  const result = await runSessionCommand({ ...args, command: args.command });
  if (!result) return sessionNotFound(args.sessionId);
  const warnings = sessionWarnings(args.sessionId, result.warnings);
  if (!result.retried.includes(taskId)) {
    const task = result.status.tasks.find((item) => item.id === taskId);
    const message = task
      ? `\`${taskId}\` is ${task.status}; only a task that needs input takes an answer or allowed tools.`
      : `\`${taskId}\` is not a task of this session.`;
    return { ok: false, error: { kind: "nothing_to_do", message }, status: result.status, warnings };
  }
  const message =
    args.command.kind === "allow"
      ? `Allowed the refused tools for \`${taskId}\`; it runs again.`
      : `Answered \`${taskId}\`; it runs again with the answer.`;
  return { ok: true, status: result.status, message, retried: result.retried, warnings };
}
