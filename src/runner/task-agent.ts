import type { ResolvedTask } from "../core/task-graph.js";
import type { AgentFailure, AgentResult } from "./agent-result.js";
import { runClaudeAgent } from "./claude-agent.js";
import type { PermissionMode } from "./claude-agent-args.js";
import { runCommandAgent } from "./command-agent.js";

/** Which agent does a task's work. */
export type AgentSpec =
  | {
      kind: "claude";
      /** Defaults to `claude` on PATH. */
      claudePath?: string;
      permissionMode?: PermissionMode;
      /** Tools refused whatever else allows them (the planner's). */
      disallowedTools?: readonly string[];
      /** Added to the agent's environment (e.g. ANTHROPIC_BASE_URL). */
      env?: NodeJS.ProcessEnv;
    }
  | {
      kind: "command";
      /** argv; the prompt goes to stdin, exit 0 means success. */
      command: readonly string[];
      env?: NodeJS.ProcessEnv;
    };

/**
 * Makes the agent ready once the task's branch is (the Action installs the pinned Claude Code CLI
 * here), so a task that cannot even be prepared spends no time on it. A failure it can name is
 * returned as a value; a throw is an unexpected error.
 */
export type AgentSetup = () => Promise<AgentSpec | { failure: AgentFailure }>;

/**
 * When the agent must stop, for a caller whose own time runs out (the Action's job timeout): at
 * `at` (ms since epoch), but never sooner than `minimumMs` after it starts.
 */
export interface AgentDeadline {
  at: number;
  minimumMs: number;
}

/** The agent's time from a deadline, as it starts at `now`. */
export function agentTimeLeftMs(args: { deadline: AgentDeadline; now: number }): number {
  return Math.max(args.deadline.minimumMs, args.deadline.at - args.now);
}

/** The task fields the agent needs. */
export type AgentTask = Pick<ResolvedTask, "id" | "name" | "prompt"> &
  Partial<Pick<ResolvedTask, "model" | "maxTurns" | "maxBudgetUsd" | "allowedTools">>;

export interface RunTaskAgentOptions {
  cwd: string;
  task: AgentTask;
  attempt: number;
  sessionId: string;
  agent: AgentSpec;
  timeoutMs: number;
  killGraceMs?: number;
  logFile?: string;
  signal?: AbortSignal;
}

/** Runs the chosen agent on the task's prompt, with the task's limits and environment. */
export function runTaskAgent(options: RunTaskAgentOptions): Promise<AgentResult> {
  const { task, agent } = options;
  const common = {
    cwd: options.cwd,
    prompt: task.prompt,
    timeoutMs: options.timeoutMs,
    ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const env = { ...agent.env, ...taskAgentEnv(options) };
  if (agent.kind === "command") return runCommandAgent({ ...common, command: agent.command, env });
  return runClaudeAgent({
    ...common,
    env,
    ...(agent.claudePath === undefined ? {} : { claudePath: agent.claudePath }),
    ...(agent.permissionMode === undefined ? {} : { permissionMode: agent.permissionMode }),
    ...(agent.disallowedTools === undefined ? {} : { disallowedTools: agent.disallowedTools }),
    ...(task.model === undefined ? {} : { model: task.model }),
    ...(task.maxTurns === undefined ? {} : { maxTurns: task.maxTurns }),
    ...(task.maxBudgetUsd === undefined ? {} : { maxBudgetUsd: task.maxBudgetUsd }),
    ...(task.allowedTools === undefined ? {} : { allowedTools: task.allowedTools }),
  });
}

/** What every agent sees in its environment, so wrappers and hooks know which task they serve. */
export function taskAgentEnv(options: {
  task: Pick<AgentTask, "id" | "name">;
  attempt: number;
  sessionId: string;
}): Record<string, string> {
  return {
    ORCHESTRATOR_TASK_ID: options.task.id,
    ORCHESTRATOR_TASK_NAME: options.task.name,
    ORCHESTRATOR_SESSION_ID: options.sessionId,
    ORCHESTRATOR_ATTEMPT: String(options.attempt),
  };
}

export function describeAgent(agent: AgentSpec): string {
  return agent.kind === "command"
    ? `command: ${agent.command.join(" ")}`
    : `Claude Code: ${agent.claudePath ?? "claude"}`;
}
