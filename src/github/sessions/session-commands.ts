import { closestMatch } from "../../core/closest-match.js";
import type { GitHubClient } from "../github-client.js";
import { advanceSession, type AdvanceResult, type SessionCommand } from "./advance-session.js";
import type { AppConfig } from "./app-config.js";
import type { SessionRuntime } from "./session-runtime.js";
import type { SessionStatus } from "./session-status.js";
import type { Warning } from "./warnings.js";

/** What a command did, or why it did nothing; `warnings` of its pass go to the caller's log. */
export type CommandResult = (
  | { ok: true; status: SessionStatus; message: string; retried?: string[] }
  | {
      ok: false;
      error: { kind: "session_not_found" | "nothing_to_do"; message: string };
      status?: SessionStatus;
    }
) & { warnings: Warning[] };

/** Runs a command in the session's queue, as one level-triggered pass. */
export async function runSessionCommand(args: {
  client: GitHubClient;
  sessionId: string;
  command: SessionCommand;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<AdvanceResult | null> {
  const { runtime } = args;
  return runtime.queue.run(args.sessionId, () =>
    advanceSession({
      client: args.client,
      sessionId: args.sessionId,
      input: { command: args.command },
      config: args.config,
      runtime,
    }),
  );
}

export function sessionNotFound(sessionId: string): CommandResult {
  return {
    ok: false,
    error: { kind: "session_not_found", message: `no orchestrator session \`${sessionId}\` was found` },
    warnings: [],
  };
}

/** Explains why named tasks were not retried (unknown id, or not failed/cancelled). */
export function retryMessage(args: {
  status: SessionStatus;
  requested: readonly string[] | "failed";
  retried: readonly string[];
}): string {
  const { status, requested, retried } = args;
  const lines: string[] = [];
  if (retried.length > 0) lines.push(`Retrying ${retried.map((id) => `\`${id}\``).join(", ")}.`);
  if (requested === "failed") {
    if (retried.length === 0) lines.push("No task has failed: there is nothing to retry.");
    return lines.join(" ");
  }
  const ids = status.tasks.map((task) => task.id);
  for (const id of requested) {
    if (retried.includes(id)) continue;
    const task = status.tasks.find((item) => item.id === id);
    if (!task) {
      const near = closestMatch(id, ids);
      lines.push(`\`${id}\` is not a task of this session${near ? ` (did you mean \`${near}\`?)` : ""}.`);
    } else if (task.status === "skipped" && task.reason) {
      // A skipped task runs again when what it waits for is retried: point there.
      lines.push(
        `\`${id}\` was skipped (${task.reason}); retry that task and \`${id}\` runs again after it.`,
      );
    } else {
      lines.push(`\`${id}\` is ${task.status}; only failed or cancelled tasks can be retried.`);
    }
  }
  return lines.join(" ");
}
