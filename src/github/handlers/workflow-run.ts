import type { Context } from "probot";
import { parseRunName } from "../../core/dispatch-inputs.js";
import type { GitHubClient } from "../github-client.js";
import { runKeyFromWorkflowRun, wakeSession, type WorkflowRunLike } from "../sessions/index.js";
import type { HandlerDeps } from "./handler-deps.js";
import { sessionInRepository } from "./same-repository.js";

/**
 * A workflow run of a task was requested, started or finished: wake its session (the event is
 * only a hint; the session pass decides). The run's `display_title` (its run-name) names the
 * session, task and attempt, so runs of other workflows are dropped without any API call.
 */
export async function handleWorkflowRun(context: Context<"workflow_run">, deps: HandlerDeps): Promise<void> {
  const run = context.payload.workflow_run as WorkflowRunLike;
  const key = runKeyFromWorkflowRun(run);
  if (!key || !sessionInRepository(key.sessionId, context.repo())) return;
  await wakeSession({
    client: context.octokit as GitHubClient,
    sessionId: key.sessionId,
    run,
    config: deps.config,
    runtime: deps.runtime,
  });
}

/**
 * A job of a task run finished. Job events do not carry the run's title, so they are picked by
 * the workflow's name (or a job named like the run) without API calls; then the run is read
 * (one request) and handled like a workflow_run event. They are a second chance for a missed
 * `workflow_run.completed`, which normally follows within seconds.
 */
export async function handleWorkflowJob(
  context: Context<"workflow_job.completed">,
  deps: HandlerDeps,
): Promise<void> {
  const job = context.payload.workflow_job;
  const named = parseRunName(job.name ?? "");
  if (!named && job.workflow_name !== deps.workflowName) return;
  const repo = context.repo();
  if (named && !sessionInRepository(named.sessionId, repo)) return;
  const client = context.octokit as GitHubClient;
  const { data } = await client.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", {
    ...repo,
    run_id: job.run_id,
  });
  const run = data as WorkflowRunLike;
  const key = runKeyFromWorkflowRun(run);
  if (!key || !sessionInRepository(key.sessionId, repo)) return;
  await wakeSession({ client, sessionId: key.sessionId, run, config: deps.config, runtime: deps.runtime });
}
