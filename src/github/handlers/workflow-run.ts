import type { Context } from "probot";
import { parseRunName } from "../../core/dispatch-inputs.js";
import type { GitHubClient } from "../github-client.js";
import type { AppService } from "../app-service.js";
import { logWarnings, runKeyFromWorkflowRun, wakeSession, type WorkflowRunLike } from "../sessions/index.js";
import { sessionInRepository } from "./same-repository.js";

/**
 * A workflow run of a task was requested, started or finished: wake its session (the event is
 * only a hint; the session pass decides). The run's `display_title` (its run-name) names the
 * session, task and attempt, so runs of other workflows are dropped without any API call.
 */
export async function handleWorkflowRun(
  context: Context<"workflow_run">,
  service: AppService,
): Promise<void> {
  const run = context.payload.workflow_run as WorkflowRunLike;
  const key = runKeyFromWorkflowRun(run);
  if (!key || !sessionInRepository(key.sessionId, context.repo())) return;
  await wake({ context, service, sessionId: key.sessionId, run });
}

/**
 * A job of a task run finished: a second chance for a missed `workflow_run.completed`, which
 * normally follows within seconds. The task workflow names its one job like the run (session,
 * task, attempt), so such a job is matched and stands for its run without any API call. Jobs
 * named otherwise (a workflow changed by hand) are picked by the workflow's name, and their run
 * is read (one request) and handled like a workflow_run event.
 */
export async function handleWorkflowJob(
  context: Context<"workflow_job.completed">,
  service: AppService,
): Promise<void> {
  const job = context.payload.workflow_job;
  const repo = context.repo();
  const named = parseRunName(job.name ?? "");
  if (named) {
    if (!sessionInRepository(named.sessionId, repo)) return;
    await wake({ context, service, sessionId: named.sessionId, run: runOfJob(job) });
    return;
  }
  if (job.workflow_name !== service.workflowName) return;
  const client = context.octokit as GitHubClient;
  const { data } = await client.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", {
    ...repo,
    run_id: job.run_id,
  });
  const run = data as WorkflowRunLike;
  const key = runKeyFromWorkflowRun(run);
  if (!key || !sessionInRepository(key.sessionId, repo)) return;
  await wake({ context, service, sessionId: key.sessionId, run });
}

/** Wakes the session and logs what its pass could not do. */
async function wake(args: {
  context: Context<"workflow_run" | "workflow_job.completed">;
  service: AppService;
  sessionId: string;
  run: WorkflowRunLike;
}): Promise<void> {
  const { context, service } = args;
  const woken = await wakeSession({
    client: context.octokit as GitHubClient,
    sessionId: args.sessionId,
    run: args.run,
    config: service.config,
    runtime: service.runtime,
  });
  if (woken) logWarnings(context.log, woken.warnings);
}

type CompletedJob = Context<"workflow_job.completed">["payload"]["workflow_job"];

/**
 * The run of the task workflow's only job, as far as the job tells: the run ends as its one job
 * does. Its web address is the job's without the `/job/<id>` part (unknown for older formats).
 */
function runOfJob(job: CompletedJob): WorkflowRunLike {
  const run: WorkflowRunLike = {
    id: job.run_id,
    display_title: job.name,
    status: "completed",
    conclusion: job.conclusion,
    run_started_at: job.started_at,
    created_at: job.created_at,
  };
  if (job.workflow_name) run.name = job.workflow_name;
  if (job.completed_at) run.updated_at = job.completed_at;
  if (job.run_attempt !== undefined) run.run_attempt = job.run_attempt;
  const runUrl = /^(.*\/actions\/runs\/\d+)(?:\/|$)/.exec(job.html_url ?? "")?.[1];
  if (runUrl) run.html_url = runUrl;
  return run;
}
