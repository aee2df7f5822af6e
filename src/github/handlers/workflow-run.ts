import type { Context } from "probot";
import { acceptRun, type RunExpectation } from "../../core/accept-run.js";
import { parseRunName } from "../../core/dispatch-inputs.js";
import { httpStatus, type GitHubClient } from "../github-client.js";
import type { AppService } from "../app-service.js";
import { logWarnings, wakeSession, type WorkflowRunLike } from "../sessions/index.js";
import { sessionInRepository } from "./same-repository.js";

/**
 * A workflow run of a task was requested, started or finished: wake its session (the event is
 * only a hint; the session pass decides, with the same rule). Only runs believed to be task
 * attempts wake anything (core/accept-run.ts): named like one, of this repository and not a
 * fork, of the task workflow, started by workflow_dispatch. Others are dropped without an API
 * call; those named like an attempt are logged, as someone made them look like one.
 */
export async function handleWorkflowRun(
  context: Context<"workflow_run">,
  service: AppService,
): Promise<void> {
  const run = context.payload.workflow_run as WorkflowRunLike;
  const sessionId = believedSession(context, service, run);
  if (!sessionId) return;
  const runId = Number(run.id);
  const { runtime } = service;
  if (run.status === "completed") runtime.completedRuns.add(runId);
  // `requested` and `in_progress` of a run this process dispatched: its pass linked it already.
  else if (runtime.linkedRuns.has(runId)) return;
  await wake({ context, service, sessionId, run });
}

/**
 * A job of a task run finished: a second chance for a missed `workflow_run.completed`, which
 * normally follows within seconds. A job does not say what its run is (the event, the workflow
 * file, the repository it was built from), and anyone can name a job like a task attempt, so a
 * job of interest — named like an attempt of a session here, or of the task workflow by name —
 * is only a reason to read its run (one request); the run is then judged like a workflow_run
 * event. The read waits `jobEventGraceMs` and is skipped when the run's own event came meanwhile.
 */
export async function handleWorkflowJob(
  context: Context<"workflow_job.completed">,
  service: AppService,
): Promise<void> {
  const job = context.payload.workflow_job;
  const repo = context.repo();
  const named = parseRunName(job.name ?? "");
  const ofInterest = named
    ? sessionInRepository(named.sessionId, repo)
    : job.workflow_name === service.workflowName;
  if (!ofInterest) return;
  const { background, completedRuns } = service.runtime;
  const readRun = async (): Promise<void> => {
    if (completedRuns.has(job.run_id)) return;
    const client = context.octokit as GitHubClient;
    let run: WorkflowRunLike;
    try {
      const { data } = await client.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", {
        ...repo,
        run_id: job.run_id,
      });
      run = data as WorkflowRunLike;
    } catch (error) {
      // Deleted since: nothing to learn from it.
      if (httpStatus(error) === 404) return;
      throw error;
    }
    const sessionId = believedSession(context, service, run);
    if (!sessionId) return;
    if (run.status === "completed") completedRuns.add(job.run_id);
    await wake({ context, service, sessionId, run });
  };
  const grace = service.config.jobEventGraceMs;
  if (grace <= 0) return readRun();
  background.later(grace, readRun, (error) =>
    context.log.error({ err: error, runId: job.run_id }, "could not read the run of a finished job"),
  );
}

/** The session a run is believed to be an attempt of, or undefined (logged when it claims to be one). */
function believedSession(
  context: Context<"workflow_run" | "workflow_job.completed">,
  service: AppService,
  run: WorkflowRunLike,
): string | undefined {
  const repo = context.repo();
  const expected: RunExpectation = {
    repository: `${repo.owner}/${repo.repo}`,
    workflowFile: service.config.workflowFile,
  };
  const verdict = acceptRun(run, expected);
  if (verdict.accepted) return verdict.key.sessionId;
  // A restack run (no attempt) wakes its session too: the pass reads how it ended.
  if (verdict.restackOf) return verdict.restackOf.sessionId;
  if (parseRunName(run.display_title ?? "")) {
    context.log.warn(
      { runId: Number(run.id), title: run.display_title, event: run.event, path: run.path },
      `workflow run not believed as a task attempt: ${verdict.reason}`,
    );
  }
  return undefined;
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
