import type { AgentResult } from "./agent-result.js";
import { asClaudeResult, claudeResultFields, parseJsonObject } from "./claude-agent-output.js";
import { exitDescription, runProcessTree } from "./process-tree.js";

export { AgentCommandError, parseAgentCommand } from "./command-agent-argv.js";

export interface CommandAgentOptions {
  cwd: string;
  /** argv, not a shell string: see parseAgentCommand for user input. */
  command: readonly string[];
  /** Written to the command's stdin. */
  prompt: string;
  /** Entries override the inherited environment (the caller adds ORCHESTRATOR_TASK_ID and friends). */
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  killGraceMs?: number;
  logFile?: string;
  signal?: AbortSignal;
}

/** Enough to hold a wrapper's final Claude-style JSON line whole. */
const STDOUT_TAIL_CHARS = 1_000_000;
const MESSAGE_TAIL_CHARS = 2_000;

/**
 * Runs any command as the agent: exit 0 is success. When the last line of its stdout is a JSON
 * object with Claude's result fields (`total_cost_usd`, `num_turns`, `result`, `is_error`), a
 * wrapper around `claude -p --output-format json` still reports cost, turns and errors.
 */
export async function runCommandAgent(options: CommandAgentOptions): Promise<AgentResult> {
  const [program, ...args] = options.command;
  if (program === undefined) {
    return {
      ok: false,
      failure: { kind: "spawn_error", message: "The agent command is empty." },
      durationMs: 0,
      exitCode: null,
    };
  }
  let stdoutTail = "";
  let stderrTail = "";
  const outcome = await runProcessTree({
    command: program,
    args,
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdin: options.prompt,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    onStdout: (chunk) => {
      stdoutTail = (stdoutTail + chunk).slice(-STDOUT_TAIL_CHARS);
    },
    onStderr: (chunk) => {
      stderrTail = (stderrTail + chunk).slice(-MESSAGE_TAIL_CHARS);
    },
  });
  const base = { durationMs: outcome.durationMs, exitCode: outcome.exitCode };
  const shown = options.command.join(" ");

  if (outcome.startError !== undefined) {
    const message =
      outcome.startError.code === "ENOENT"
        ? `Agent command not found: ${program} (from "${shown}"). Check the --agent setting.`
        : `Could not start the agent command "${shown}": ${outcome.startError.message}`;
    return { ok: false, failure: { kind: "spawn_error", message }, ...base };
  }
  if (outcome.stoppedBy === "timeout") {
    const seconds = Math.round((options.timeoutMs ?? 0) / 1000);
    const message = `The agent command did not finish within ${seconds} s and was stopped (with every process it started).`;
    return { ok: false, failure: { kind: "timeout", message }, ...base };
  }
  if (outcome.stoppedBy === "abort") {
    return {
      ok: false,
      failure: { kind: "cancelled", message: "The run was cancelled; the agent was stopped." },
      ...base,
    };
  }

  const claudeResult = lastLineResult(stdoutTail);
  if (claudeResult !== undefined) {
    const fields = claudeResultFields(claudeResult);
    if (fields.ok && outcome.exitCode !== 0) {
      const message = `The agent command exited with ${exitDescription(outcome)}.`;
      return { ...fields, ok: false, failure: { kind: "exit_code", message }, ...base };
    }
    return { ...fields, ...base };
  }

  const output = tail(stdoutTail);
  if (outcome.exitCode === 0) return { ok: true, ...(output === "" ? {} : { summary: output }), ...base };
  const said = tail(stderrTail) || output;
  const message = `The agent command exited with ${exitDescription(outcome)}${said === "" ? "." : `: ${said}`}`;
  return { ok: false, failure: { kind: "exit_code", message }, ...base };
}

function lastLineResult(stdout: string) {
  const lines = stdout.trimEnd().split("\n");
  const last = parseJsonObject(lines[lines.length - 1] ?? "");
  return last === undefined ? undefined : asClaudeResult(last);
}

function tail(text: string): string {
  return text.trim().slice(-MESSAGE_TAIL_CHARS).trim();
}
