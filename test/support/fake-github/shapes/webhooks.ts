/** Webhook payloads the fake produces for the test to deliver (`workflow_run`). */
import type { FakeRepo, FakeWorkflowRun } from "../state.js";
import { fullRepositoryShape, nodeId, userShape, type ShapeContext } from "./accounts.js";
import { workflowRunShape, workflowShape } from "./actions.js";

export type WorkflowRunAction = "requested" | "in_progress" | "completed";

export function workflowRunEventShape(input: {
  ctx: ShapeContext;
  repo: FakeRepo;
  run: FakeWorkflowRun;
  action: WorkflowRunAction;
}): Record<string, unknown> {
  const { ctx, repo, run, action } = input;
  // Webhooks embed the richer repository object, while the REST run embeds minimal-repository;
  // the webhook's `workflow_run.repository` is the "Repository Lite" shape (minimal fields).
  const restRun = workflowRunShape(ctx, repo, run);
  return {
    action,
    workflow_run: restRun,
    workflow: workflowShape(ctx, repo, {
      id: run.workflowId,
      path: run.workflowPath,
      name: run.workflowName,
      createdAt: repo.createdAt,
    }),
    repository: fullRepositoryShape(ctx, repo),
    sender: userShape(ctx, run.actor),
    installation: { id: repo.installationId, node_id: nodeId("Installation", repo.installationId) },
  };
}
