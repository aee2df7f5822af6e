import type { AgentDeadline } from "../../src/runner/task-agent.js";

/**
 * What the agent's process may see. It runs whatever the task asks for (Bash, when allowed), so
 * the runner's own credentials are removed: the action's inputs (the GitHub token arrives as
 * `INPUT_GITHUB-TOKEN`) and the Actions runtime tokens (cache, artifacts, OIDC). The Anthropic
 * credentials and everything else the workflow set stay.
 */
const HIDDEN_EXACT = new Set([
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "ACTIONS_RUNTIME_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_URL",
]);

/**
 * A workflow passes every credential it might use (`ANTHROPIC_API_KEY: ${{ secrets.X }}`); an
 * unset secret arrives as an empty string, which Claude Code could take as "this method, with an
 * empty key" instead of moving on to the credential that is set.
 */
const CREDENTIALS = ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"];

/** Overrides for `runClaudeAgent`'s `env`: undefined removes a variable. */
export function agentEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const overrides: NodeJS.ProcessEnv = {};
  for (const name of Object.keys(env)) {
    if (name.startsWith("INPUT_") || HIDDEN_EXACT.has(name)) overrides[name] = undefined;
    if (CREDENTIALS.includes(name) && env[name] === "") overrides[name] = undefined;
  }
  return overrides;
}

export const DEFAULT_TIMEOUT_MINUTES = 60;
/** Time kept back for committing, pushing and the pull request after the agent is stopped. */
const MAX_RESERVE_MS = 3 * 60_000;
const MIN_AGENT_MS = 60_000;

/**
 * The job's `timeout-minutes` is the task's timeout, and a job killed by it can neither push the
 * partial work nor say why. So the agent must stop by the task's time, counted from the job's
 * start, less a reserve for the steps after it.
 */
export function agentDeadline(args: {
  timeoutMinutes: number | undefined;
  startedAt: number;
}): AgentDeadline {
  const totalMs = (args.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES) * 60_000;
  const reserve = Math.min(MAX_RESERVE_MS, totalMs * 0.2);
  return { at: args.startedAt + totalMs - reserve, minimumMs: MIN_AGENT_MS };
}
