import type { AgentSetup } from "../../src/runner/task-agent.js";
import { ActionFailure } from "./action-failure.js";
import { agentEnvironment } from "./agent-environment.js";
import { installClaude, type NpmInstaller } from "./install-claude.js";

/**
 * The Action's agent: the pinned Claude Code CLI, installed when the task's branch is ready (a
 * task that cannot be prepared spends no time on it), in an environment without the runner's
 * credentials.
 */
export function claudeSetup(args: {
  claudeCodeVersion: string;
  toolCacheDir: string;
  /** The environment the agent inherits; also where `claude` is looked for (PATH). */
  env: NodeJS.ProcessEnv;
  npm?: NpmInstaller;
  log: (message: string) => void;
}): AgentSetup {
  return async () => {
    try {
      const claude = await installClaude({
        version: args.claudeCodeVersion,
        toolCacheDir: args.toolCacheDir,
        pathVariable: args.env.PATH,
        ...(args.npm ? { npm: args.npm } : {}),
        log: args.log,
      });
      args.log(`Claude Code ${claude.version} (${claude.source}): ${claude.path}`);
      return { kind: "claude", claudePath: claude.path, env: agentEnvironment(args.env) };
    } catch (error) {
      if (error instanceof ActionFailure && error.kind === "install_failed")
        return { failure: { kind: error.kind, message: error.message } };
      throw error;
    }
  };
}
