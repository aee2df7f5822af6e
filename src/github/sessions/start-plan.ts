import { plannerPrompt } from "../../core/planner-prompt.js";
import type { TasksFile } from "../../core/tasks-schema.js";
import { describeApiError, httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";
import { repositoryPermission } from "../handlers/repository-permission.js";
import type { AppConfig } from "./app-config.js";
import type { SessionTrigger } from "./session-record.js";
import type { SessionRuntime } from "./session-runtime.js";
import { startSession, type StartSessionResult } from "./start-session.js";

/** A planner reads and thinks; half an hour is plenty, and bounds what a stuck one costs. */
export const PLANNER_TIMEOUT_MINUTES = 30;

/** The planner task's id (and with it its branch, `orchestrator/plan-<issue>`). */
export function plannerTaskId(issue: number): string {
  return `plan-${issue}`;
}

/**
 * `/orchestrate plan` on an issue that describes a goal: a session of one task, the planner
 * (Claude Code in the task workflow with read-only tools, `mode: plan`), whose proposal is shown
 * on the issue (status-comment.ts) for someone with write access to approve (approve-plan.ts).
 * The issue's text becomes the planner's prompt, so, as for issue sessions, it must be written by
 * someone who can push.
 */
export async function startPlanSession(args: {
  client: GitHubClient;
  repo: RepoRef;
  issueNumber: number;
  /** The planner's cap (`--budget`). */
  budgetUsd?: number | undefined;
  trigger: SessionTrigger;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<StartSessionResult> {
  const { client, repo, issueNumber } = args;
  const fail = (message: string): StartSessionResult => ({
    ok: false,
    error: { kind: "invalid_options", message },
    warnings: [],
  });
  let issue;
  try {
    ({ data: issue } = await client.request("GET /repos/{owner}/{repo}/issues/{issue_number}", {
      ...repo,
      issue_number: issueNumber,
    }));
  } catch (error) {
    if (httpStatus(error) === 404)
      return fail(`issue #${issueNumber} was not found in ${repo.owner}/${repo.repo}`);
    return fail(`issue #${issueNumber} could not be read: ${describeApiError(error)}`);
  }
  if (issue.pull_request)
    return fail(
      "`/orchestrate plan` plans an issue, not a pull request: comment it on the issue that describes the goal",
    );
  if (issue.author_association !== "OWNER") {
    const login = issue.user?.login;
    const permission =
      login === undefined
        ? { allowed: false, role: "unknown" }
        : await repositoryPermission({ client, repo, username: login });
    if (!permission.allowed) {
      return fail(
        `#${issueNumber} was written by ${login === undefined ? "an unknown author" : `\`${login}\``}, who cannot push to ${repo.owner}/${repo.repo} ` +
          `(\`${permission.role}\`): an issue's text runs as the planner's prompt, so only issues of people with write access are planned ` +
          "(someone with write access can open it as their own)",
      );
    }
  }
  const id = plannerTaskId(issueNumber);
  const tasks: TasksFile = {
    max_parallel_agents: 1,
    tasks: [
      {
        id,
        name: `Plan #${issueNumber}`,
        prompt: plannerPrompt({
          repository: `${repo.owner}/${repo.repo}`,
          issue: issueNumber,
          title: issue.title,
          body: issue.body ?? "",
        }),
        branch_name: `orchestrator/${id}`,
        timeout_minutes: PLANNER_TIMEOUT_MINUTES,
        allow_no_changes: true,
        ...(args.budgetUsd === undefined ? {} : { max_budget_usd: args.budgetUsd }),
      },
    ],
  };
  return startSession({
    client,
    repo,
    options: { inlineTasks: tasks, planner: { issue: issueNumber, label: `plan for #${issueNumber}` } },
    trigger: args.trigger,
    config: args.config,
    runtime: args.runtime,
  });
}
