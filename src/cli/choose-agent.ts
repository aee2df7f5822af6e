import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { resolve } from "node:path";
import { AgentCommandError, parseAgentCommand } from "../runner/command-agent.js";
import type { AgentSpec } from "../runner/run-task.js";
import { CliError } from "./cli-error.js";
import { findOnPath, resolveAgentProgram } from "./resolve-agent-program.js";

/**
 * The agent `orchestrator run` uses: `--agent CMD`, else the command a resumed session used,
 * else the Claude Code CLI (ORCHESTRATOR_CLAUDE_PATH, or `claude` on PATH). The program is checked
 * here, before any task starts; a relative path in it is taken from `cwd` (see resolveAgentProgram).
 */
export async function chooseAgent(args: {
  agent: string | undefined;
  previousCommand: string[] | undefined;
  cwd: string;
  env: NodeJS.ProcessEnv;
}): Promise<AgentSpec> {
  const { env } = args;
  if (args.agent !== undefined) {
    let command: string[];
    try {
      command = parseAgentCommand(args.agent);
    } catch (error) {
      if (error instanceof AgentCommandError) throw new CliError(error.message);
      throw error;
    }
    return {
      kind: "command",
      command: await resolveAgentProgram({ command, cwd: args.cwd, env, source: "--agent" }),
      env,
    };
  }
  if (args.previousCommand !== undefined && args.previousCommand.length > 0) {
    const command = await resolveAgentProgram({
      command: args.previousCommand,
      cwd: args.cwd,
      env,
      source: "the resumed session's agent",
      errorKind: "failed",
    });
    return { kind: "command", command, env };
  }
  const claudePath = await findClaude(args);
  if (claudePath === null) {
    throw new CliError(
      "the Claude Code CLI was not found (no `claude` on PATH, ORCHESTRATOR_CLAUDE_PATH not set). " +
        "Install it with `npm install -g @anthropic-ai/claude-code`, then log in (run `claude` once) or set " +
        "ANTHROPIC_API_KEY. Or run any other agent with --agent CMD.",
    );
  }
  return { kind: "claude", claudePath, env };
}

export async function findClaude(args: { cwd: string; env: NodeJS.ProcessEnv }): Promise<string | null> {
  const configured = args.env.ORCHESTRATOR_CLAUDE_PATH;
  if (configured !== undefined && configured !== "") {
    const path = resolve(args.cwd, configured);
    if (await isExecutable(path)) return path;
    throw new CliError(`ORCHESTRATOR_CLAUDE_PATH is set to ${configured}, but no executable is there.`);
  }
  return findOnPath("claude", args.env);
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}
