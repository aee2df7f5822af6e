/** Shapes of workflows, workflow runs and jobs, for the REST API and for `workflow_run` webhooks. */
import type { FakeCommit, FakeRepo, FakeWorkflowJob, FakeWorkflowRun } from "../state.js";
import { minimalRepositoryShape, nodeId, userShape, type ShapeContext } from "./accounts.js";

export interface WorkflowInfo {
  readonly id: number;
  readonly path: string;
  readonly name: string;
  readonly createdAt: string;
}

export function workflowShape(
  ctx: ShapeContext,
  repo: FakeRepo,
  workflow: WorkflowInfo,
): Record<string, unknown> {
  return {
    id: workflow.id,
    node_id: nodeId("Workflow", workflow.id),
    name: workflow.name,
    path: workflow.path,
    state: "active",
    created_at: workflow.createdAt,
    updated_at: workflow.createdAt,
    url: `${ctx.api}/repos/${repo.fullName}/actions/workflows/${workflow.id}`,
    html_url: `${ctx.web}/${repo.fullName}/blob/${repo.defaultBranch}/${workflow.path}`,
    badge_url: `${ctx.web}/${repo.fullName}/workflows/${encodeURIComponent(workflow.name)}/badge.svg`,
  };
}

export function workflowRunShape(
  ctx: ShapeContext,
  repo: FakeRepo,
  run: FakeWorkflowRun,
): Record<string, unknown> {
  const url = `${ctx.api}/repos/${repo.fullName}/actions/runs/${run.id}`;
  const head = repo.commits.get(run.headSha);
  return {
    id: run.id,
    name: run.workflowName,
    node_id: nodeId("WorkflowRun", run.id),
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: run.workflowPath,
    display_title: run.displayTitle,
    run_number: run.runNumber,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflowId,
    check_suite_id: run.checkSuiteId,
    check_suite_node_id: nodeId("CheckSuite", run.checkSuiteId),
    url,
    html_url: `${ctx.web}/${repo.fullName}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    actor: userShape(ctx, run.actor),
    triggering_actor: userShape(ctx, run.actor),
    run_attempt: run.runAttempt,
    referenced_workflows: [],
    run_started_at: run.runStartedAt,
    jobs_url: `${url}/jobs`,
    logs_url: `${url}/logs`,
    check_suite_url: `${ctx.api}/repos/${repo.fullName}/check-suites/${run.checkSuiteId}`,
    artifacts_url: `${url}/artifacts`,
    cancel_url: `${url}/cancel`,
    rerun_url: `${url}/rerun`,
    previous_attempt_url: run.runAttempt > 1 ? `${url}/attempts/${run.runAttempt - 1}` : null,
    workflow_url: `${ctx.api}/repos/${repo.fullName}/actions/workflows/${run.workflowId}`,
    head_commit: head === undefined ? null : simpleCommitShape(repo, head),
    repository: minimalRepositoryShape(ctx, repo),
    head_repository: minimalRepositoryShape(ctx, repo),
    head_repository_id: repo.id,
  };
}

/** `job`: one step stands for the job's work, so a failed job has a failed step as on GitHub. */
export function workflowJobShape(
  ctx: ShapeContext,
  repo: FakeRepo,
  run: FakeWorkflowRun,
  job: FakeWorkflowJob,
): Record<string, unknown> {
  const url = `${ctx.api}/repos/${repo.fullName}/actions/jobs/${job.id}`;
  const assigned = job.status !== "queued";
  return {
    id: job.id,
    run_id: run.id,
    run_url: `${ctx.api}/repos/${repo.fullName}/actions/runs/${run.id}`,
    run_attempt: run.runAttempt,
    node_id: nodeId("CheckRun", job.id),
    head_sha: run.headSha,
    url,
    html_url: `${ctx.web}/${repo.fullName}/actions/runs/${run.id}/job/${job.id}`,
    status: job.status,
    conclusion: job.conclusion,
    created_at: job.createdAt,
    started_at: job.startedAt,
    completed_at: job.completedAt,
    name: job.name,
    steps: [
      {
        name: "Run the task",
        status: job.status,
        conclusion: job.conclusion,
        number: 1,
        started_at: assigned ? job.startedAt : null,
        completed_at: job.completedAt,
      },
    ],
    check_run_url: `${ctx.api}/repos/${repo.fullName}/check-runs/${job.id}`,
    labels: [...job.labels],
    runner_id: assigned ? 1 : null,
    runner_name: assigned ? "GitHub Actions 1" : null,
    runner_group_id: assigned ? 0 : null,
    runner_group_name: assigned ? "GitHub Actions" : null,
    workflow_name: run.workflowName,
    head_branch: run.headBranch,
  };
}

function simpleCommitShape(repo: FakeRepo, commit: FakeCommit): Record<string, unknown> {
  const person = { name: repo.owner.login, email: `${repo.owner.login}@users.noreply.example` };
  return {
    id: commit.sha,
    tree_id: commit.treeSha,
    message: commit.message,
    timestamp: commit.date,
    author: person,
    committer: person,
  };
}
