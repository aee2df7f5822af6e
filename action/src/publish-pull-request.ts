import type { TaskRunRequest } from "../../src/core/dispatch-inputs.js";
import type { TaskRunResult } from "../../src/runner/run-task.js";
import type { GitHubClient, Repository } from "./github-client.js";
import { pullRequestTitle, renderPullRequestBody } from "./pull-request-body.js";
import { findDependencyPullRequests, findOpenPullRequest, upsertPullRequest } from "./pull-request.js";
import type { TaskToRun } from "./read-task.js";
import { taskResult, type Failure } from "./task-result.js";

/** Where and how the run's pull request is written. */
export interface PublishContext {
  github: GitHubClient;
  repository: Repository;
  graphqlUrl: string;
  runId?: number;
  runUrl?: string;
  log: { info(message: string): void; warning(message: string): void };
}

/** One finished run of the task's pipeline, as the pull request tells it. */
export interface RunReport {
  request: TaskRunRequest;
  task: TaskToRun;
  run: TaskRunResult;
  failure?: Failure;
}

export interface PublishedPullRequest {
  number: number;
  url: string;
  created: boolean;
}

/**
 * Opens or updates the task's pull request with the run's result; a failed run's PR is a draft.
 * Throws an `ActionFailure` (`pr_api_error`) when GitHub refuses.
 */
export async function publishPullRequest(args: {
  context: PublishContext;
  report: RunReport;
}): Promise<PublishedPullRequest> {
  const { context, report } = args;
  const { request, task, run } = report;
  const dependencies = await findDependencyPullRequests({
    client: context.github,
    repository: context.repository,
    branches: request.dependencyBranches,
  }).catch(() => request.dependencyBranches.map((branch) => ({ branch })));
  const result = resultOf(args);
  return upsertPullRequest({
    client: context.github,
    repository: context.repository,
    branch: request.branch,
    base: request.prBase,
    title: pullRequestTitle(task),
    draft: report.failure !== undefined,
    graphqlUrl: context.graphqlUrl,
    log: context.log.info,
    renderBody: (existing) =>
      renderPullRequestBody({
        existing,
        content: {
          task,
          result,
          dependencies,
          changedFiles: run.changedFiles ?? [],
          ...(run.summary ? { agentSummary: run.summary } : {}),
          ...runUrl(context),
          issue: request.issue,
        },
      }),
  });
}

/**
 * A failed run still leaves its result where the App reads it. Work that was pushed gets a draft
 * PR: the diff is where a person decides whether to retry or finish by hand, and a draft cannot
 * be merged by accident. Without pushed work, only a PR that already exists (an earlier attempt's)
 * is updated, so its result block does not keep claiming an old success. Never throws: the step
 * fails with the task's own reason, and a PR problem on top of it is only a warning.
 */
export async function recordFailureOnPullRequest(args: {
  context: PublishContext;
  report: RunReport & { failure: Failure };
}): Promise<PublishedPullRequest | undefined> {
  const { context, report } = args;
  try {
    if (report.run.pushed) return await publishPullRequest(args);
    const existing = await findOpenPullRequest({
      client: context.github,
      repository: context.repository,
      branch: report.request.branch,
    });
    if (!existing) return undefined;
    const body = renderPullRequestBody({
      existing: existing.body,
      content: {
        task: report.task,
        result: resultOf(args),
        dependencies: [],
        changedFiles: [],
        ...runUrl(context),
        issue: report.request.issue,
      },
    });
    await context.github.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
      ...context.repository,
      pull_number: existing.number,
      body,
    });
    return { number: existing.number, url: existing.url, created: false };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    context.log.warning(`Could not record the failure on the pull request: ${reason}`);
    return undefined;
  }
}

function resultOf(args: { context: PublishContext; report: RunReport }) {
  const { report, context } = args;
  return taskResult({
    request: report.request,
    run: report.run,
    ...(report.failure ? { failure: report.failure } : {}),
    ...(context.runId === undefined ? {} : { runId: context.runId }),
  });
}

function runUrl(context: PublishContext): { runUrl?: string } {
  return context.runUrl ? { runUrl: context.runUrl } : {};
}
