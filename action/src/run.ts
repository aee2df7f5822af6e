import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import * as core from "@actions/core";
import { DISPATCH_INPUT_NAMES, type DispatchInputs } from "../../src/core/dispatch-inputs.js";
import { inertComments } from "../../src/core/task-result-block.js";
import { agentEnvironment } from "./agent-environment.js";
import { createGitHubClient, parseRepository } from "./github-client.js";
import { renderJobSummary } from "./job-summary.js";
import { main, type ActionOutcome } from "./main.js";
import { workerStartedAt } from "./worker-start.js";

export const DEFAULT_CLAUDE_CODE_VERSION = "2.1.330";
const LOG_TAIL_BYTES = 256 * 1024;

/** The action's runtime layer: reads the runner's environment, runs `main`, reports the outcome. */
export async function run(): Promise<void> {
  try {
    const env = process.env;
    const apiUrl = env.GITHUB_API_URL ?? "https://api.github.com";
    const serverUrl = env.GITHUB_SERVER_URL ?? "https://github.com";
    const repository = parseRepository(env.GITHUB_REPOSITORY);
    const runId = env.GITHUB_RUN_ID ? Number(env.GITHUB_RUN_ID) : undefined;
    const token = core.getInput("github-token", { required: true });
    const inputs = readDispatchInputs();
    const author = {
      name: core.getInput("author-name") || "github-actions[bot]",
      email: core.getInput("author-email") || "41898282+github-actions[bot]@users.noreply.github.com",
    };
    const claudeCodeVersion = core.getInput("claude-code-version") || DEFAULT_CLAUDE_CODE_VERSION;
    hideCredentialsFromChildren(env);
    const outcome = await main({
      inputs,
      workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
      repository,
      github: createGitHubClient({ token, baseUrl: apiUrl }),
      gitToken: token,
      graphqlUrl: env.GITHUB_GRAPHQL_URL ?? `${apiUrl}/graphql`,
      author,
      claudeCodeVersion,
      toolCacheDir: env.RUNNER_TOOL_CACHE || join(homedir(), ".cache"),
      tempDir: env.RUNNER_TEMP || tmpdir(),
      env,
      ...(runId === undefined || !Number.isInteger(runId) ? {} : { runId }),
      ...(runId === undefined
        ? {}
        : { runUrl: `${serverUrl}/${repository.owner}/${repository.repo}/actions/runs/${runId}` }),
      startedAt: Date.now() - process.uptime() * 1000,
      workerStartedAt: workerStartedAt(),
      log: { info: (message) => core.info(message), warning: (message) => core.warning(message) },
    });
    await report(outcome, inputs.task_id ?? "");
  } catch (error) {
    core.setFailed(
      `The orchestrator action failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * Once the inputs are read, the token lives in this process's memory only: every child (git, npm,
 * Claude Code and what the agent runs) inherits `process.env`, and a git hook or a tool the agent
 * left behind would read it there. Git gets it back per command (`remoteAccess`).
 */
function hideCredentialsFromChildren(env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(agentEnvironment(env))) delete env[name];
}

function readDispatchInputs(): DispatchInputs {
  const inputs: DispatchInputs = {};
  for (const name of DISPATCH_INPUT_NAMES) inputs[name] = core.getInput(name);
  return inputs;
}

async function report(outcome: ActionOutcome, taskIdInput: string): Promise<void> {
  const { result, run } = outcome;
  if (outcome.taskLog) await printLogTail(outcome.taskLog);
  core.setOutput("conclusion", outcome.conclusion);
  core.setOutput("branch", outcome.request?.branch ?? "");
  core.setOutput("pr-number", outcome.pullRequest?.number ?? "");
  core.setOutput("pr-url", outcome.pullRequest?.url ?? "");
  core.setOutput("cost-usd", run?.costUsd ?? "");
  core.setOutput("turns", run?.turns ?? "");
  core.setOutput("duration-ms", run?.agentDurationMs ?? "");

  const taskId = outcome.request?.taskId ?? taskIdInput;
  const summary = renderJobSummary({
    taskId: taskId || "(unknown)",
    ...(outcome.task ? { taskName: outcome.task.name } : {}),
    ...(result ? { result } : {}),
    ...(outcome.failure ? { failureMessage: outcome.failure.message } : {}),
    ...(outcome.pullRequest ? { pullRequest: outcome.pullRequest } : {}),
    changedFiles: outcome.changedFiles,
    ...(run?.deniedTools ? { deniedTools: run.deniedTools } : {}),
  });
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summary).write();

  if (outcome.pullRequest) core.info(`Pull request: ${outcome.pullRequest.url}`);
  // The failure message becomes the job's error annotation, which the App reads as the reason; it
  // may quote the agent, so it is made inert like the PR body (core escapes it as a command).
  if (outcome.failure) {
    const message = inertComments(outcome.failure.message);
    core.setFailed(taskId ? `Task ${taskId}: ${message}` : message);
  }
}

/**
 * Text the agent wrote, framed so the runner reads none of its lines as a workflow command
 * (`::error::`, `::add-mask::`, `::set-output`, `::stop-commands::`…): between
 * `::stop-commands::<token>` and `::<token>::`, with a token made after the agent ended, so it
 * cannot know it and end the frame early.
 */
export function withoutWorkflowCommands(text: string, token = randomBytes(16).toString("hex")): string[] {
  return [`::stop-commands::${token}`, text, `::${token}::`];
}

/**
 * The task's log, folded in the job log: the runner's stage lines (where the branch started, what
 * was committed and pushed) and Claude Code's stream-json output (what each turn did).
 */
async function printLogTail(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch {
    return;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    core.startGroup(`Task log${size > length ? ` (last ${LOG_TAIL_BYTES / 1024} KB)` : ""}`);
    for (const line of withoutWorkflowCommands(buffer.toString("utf8"))) core.info(line);
    core.endGroup();
  } finally {
    await handle.close();
  }
}
