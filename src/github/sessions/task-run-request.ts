import { attemptCapUsd } from "../../core/attempt-budget.js";
import type { RunMode, TaskRunRequest } from "../../core/dispatch-inputs.js";
import type { ResolvedTask, TaskGraph } from "../../core/task-graph.js";

/**
 * What one attempt of a task is dispatched with. Where the branch starts (DESIGN §3 `base`):
 * - "dependencies" with one dependency: the dependency's branch, and the PR targets it, so the
 *   PR shows only this task's work (a stacked PR);
 * - "dependencies" with several: all their branches are merged first, the PR targets the base;
 * - "merged" / "base_branch" (or no dependencies): the base branch.
 */
export function taskRunRequest(args: {
  graph: TaskGraph;
  taskId: string;
  attempt: number;
  sessionId: string;
  sha: string;
  baseBranch: string;
  /** Path of the tasks file at `sha`; absent for inline tasks, whose prompt goes in the inputs. */
  tasksFile: string | undefined;
  /** What this attempt may spend, granted from the session budget (attempt-budget.ts). */
  grantUsd?: number | undefined;
  /** The sub-issue the task works on (issue sessions only: older task workflows lack the input). */
  issue?: number | undefined;
  /** What the run does; absent: a task ("plan" for a planner session's task). */
  mode?: RunMode | undefined;
  /** Tools a person allowed for this task ("Allow & retry"), added to the task's own. */
  allowedTools?: readonly string[] | undefined;
  /** Feedback for this attempt (a revise's, or the answer to the agent's question): the `feedback` input, untrusted text added to the prompt by the Action. */
  feedback?: string | undefined;
}): TaskRunRequest {
  const { graph, baseBranch } = args;
  const task = graph.byId.get(args.taskId);
  if (!task) throw new Error(`task "${args.taskId}" is not in the session`);
  const dependencyBranches =
    task.base === "dependencies"
      ? task.dependencies.map((id) => (graph.byId.get(id) as ResolvedTask).branch)
      : [];
  const request: TaskRunRequest = {
    sessionId: args.sessionId,
    taskId: task.id,
    attempt: args.attempt,
    tasksFile: args.tasksFile ?? "",
    branch: task.branch,
    baseBranch,
    baseStrategy: task.base,
    dependencyBranches,
    prBase: dependencyBranches.length === 1 ? (dependencyBranches[0] as string) : baseBranch,
    timeoutMinutes: task.timeoutMinutes,
    allowNoChanges: task.allowNoChanges,
  };
  if (args.tasksFile !== undefined) request.tasksRef = args.sha;
  else request.prompt = task.prompt;
  if (task.model !== undefined) request.model = task.model;
  if (task.maxTurns !== undefined) request.maxTurns = task.maxTurns;
  const capUsd = attemptCapUsd(task, { grantUsd: args.grantUsd });
  if (capUsd !== undefined) request.maxBudgetUsd = capUsd;
  const allowedTools = [...new Set([...(task.allowedTools ?? []), ...(args.allowedTools ?? [])])];
  if (allowedTools.length > 0) request.allowedTools = allowedTools;
  if (args.issue !== undefined) request.issue = args.issue;
  if (args.mode !== undefined && args.mode !== "task") request.mode = args.mode;
  if (args.feedback !== undefined) request.feedback = args.feedback;
  return request;
}
