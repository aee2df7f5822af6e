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
  return runWebhook(ctx, run, "in_progress");
}

export function completeRun(ctx: ShapeContext, run: FakeWorkflowRun, conclusion: RunConclusion): FakeWebhook {
  if (run.status === "completed") throw new Error(`Workflow run ${run.id} is already completed`);
  run.status = "completed";
  run.conclusion = conclusion;
  run.updatedAt = ctx.state.timestamp();
  return runWebhook(ctx, run, "completed");
}
