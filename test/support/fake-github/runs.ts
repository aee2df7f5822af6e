/**
 * Workflow run lifecycle, as GitHub moves it: `queued` on dispatch, `in_progress` when a runner
 * picks it up, `completed` with a conclusion. Each step returns the `workflow_run` webhook GitHub
 * would send, so a test can deliver it (or drop, duplicate and reorder it).
 */
import type { FakeWebhook } from "./routes/route-types.js";
import type { ShapeContext } from "./shapes/accounts.js";
import { workflowRunEventShape, type WorkflowRunAction } from "./shapes/webhooks.js";
import type { FakeWorkflowRun } from "./state.js";

export type RunConclusion =
  "success" | "failure" | "cancelled" | "timed_out" | "skipped" | "neutral" | "action_required";

export function runWebhook(ctx: ShapeContext, run: FakeWorkflowRun, action: WorkflowRunAction): FakeWebhook {
  const repo = ctx.state.requireRepo(run.repo);
  return {
    id: crypto.randomUUID(),
    name: "workflow_run",
    payload: workflowRunEventShape({ ctx, repo, run, action }),
  };
}

export function startRun(ctx: ShapeContext, run: FakeWorkflowRun): FakeWebhook {
  if (run.status === "completed") throw new Error(`Workflow run ${run.id} is already completed`);
  const now = ctx.state.timestamp();
  run.status = "in_progress";
  run.runStartedAt = now;
  run.updatedAt = now;
  for (const job of ctx.state.jobsOf(run.id)) {
    job.status = "in_progress";
    job.startedAt = now;
  }
  return runWebhook(ctx, run, "in_progress");
}

/**
 * How a run ends. Its jobs end the same way; a failed job carries a failure annotation: the
 * `failureMessage` (what the task Action's `core.setFailed` says), or without one GitHub's
 * generic "Process completed with exit code 1.". A timed-out job gets GitHub's timeout note.
 */
export interface RunCompletion {
  readonly conclusion: RunConclusion;
  readonly failureMessage?: string;
}

export function completeRun(ctx: ShapeContext, run: FakeWorkflowRun, completion: RunCompletion): FakeWebhook {
  if (run.status === "completed") throw new Error(`Workflow run ${run.id} is already completed`);
  const now = ctx.state.timestamp();
  const { conclusion } = completion;
  run.status = "completed";
  run.conclusion = conclusion;
  run.updatedAt = now;
  for (const job of ctx.state.jobsOf(run.id)) {
    if (job.status === "completed") continue;
    job.status = "completed";
    job.conclusion = conclusion;
    job.completedAt = now;
    const message =
      conclusion === "failure"
        ? (completion.failureMessage ?? "Process completed with exit code 1.")
        : conclusion === "timed_out"
          ? `The job running on runner GitHub Actions 1 has exceeded the maximum execution time of ${minutesBetween(job.startedAt, now)} minutes.`
          : undefined;
    if (message !== undefined) {
      job.annotations.push({
        path: ".github",
        startLine: 1,
        endLine: 1,
        level: "failure",
        title: null,
        message,
      });
    }
  }
  return runWebhook(ctx, run, "completed");
}

function minutesBetween(from: string, to: string): number {
  return Math.max(1, Math.round((Date.parse(to) - Date.parse(from)) / 60_000));
}
