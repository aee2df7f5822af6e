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
/**
 * Time kept back after the agent is stopped, before the job's `timeout-minutes` kills it: the
 * agent's process tree stopped (a few seconds' grace), the checkpoint committed and pushed (with
 * the push's retries), the pull request and the job summary written. A fifth of the task's time,
 * at least `MIN_RESERVE_MS` and at most `MAX_RESERVE_MS`.
 */
const MIN_RESERVE_MS = 30_000;
const MAX_RESERVE_MS = 3 * 60_000;

/**
 * The job's `timeout-minutes` is the task's timeout, and a job killed by it can neither push the
 * partial work nor say why. So the agent must stop by the task's time, counted from the job's
 * start, less a reserve for the steps after it, even if that leaves it no time at all: an agent
 * stopped at once still gets its timeout reported, one that runs into the job's limit does not.
 *
 * The job's start is the runner's worker process's start (`workerStartedAt`) when it is known and
 * plausible: the checkout and the Claude Code install before this step count against the job's
 * limit too. A worker start longer ago than the whole limit cannot be this job's (the job would
 * have been killed): then this action's own start is used.
 */
export function agentDeadline(args: {
  timeoutMinutes: number | undefined;
  /** When this action's process started. */
  startedAt: number;
  workerStartedAt?: number | undefined;
}): AgentDeadline {
  const totalMs = (args.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES) * 60_000;
  const reserve = Math.min(MAX_RESERVE_MS, Math.max(MIN_RESERVE_MS, totalMs * 0.2));
  const worker = args.workerStartedAt;
  const jobStart =
    worker !== undefined && worker <= args.startedAt && worker > args.startedAt - totalMs
      ? worker
      : args.startedAt;
  return { at: jobStart + totalMs - reserve, minimumMs: 0 };
}
