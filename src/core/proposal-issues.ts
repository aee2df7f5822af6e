import type { PlanProposal, ProposedTask } from "./plan-proposal.js";

/**
 * What approving a proposal writes on GitHub: one sub-issue per proposed task (its title, its
 * prompt as the body, its options in the `orchestrator` block an issue session reads) and one
 * "blocked by" link per edge. Approval may be interrupted and asked again, so what exists is
 * found first, by a hidden marker naming the proposal's session and the task, and only what is
 * missing is made: asking twice never makes an issue twice.
 */

export function plannedIssueMarker(sessionId: string, taskId: string): string {
  return `<!-- orchestrator:planned ${sessionId} ${taskId} -->`;
}

/** The task id of a sub-issue made from this session's proposal, or null. */
export function plannedTaskOf(body: string, sessionId: string): string | null {
  for (const match of body.matchAll(/<!--\s*orchestrator:planned\s+(\S+)\s+(\S+)\s*-->/g)) {
    if (match[1] === sessionId) return match[2] as string;
  }
  return null;
}

/** The new sub-issue's body: the prompt, its options block, and the marker. */
export function plannedIssueBody(task: ProposedTask, sessionId: string): string {
  const options: string[] = [];
  if (task.estimate_minutes !== undefined) options.push(`estimate: ${task.estimate_minutes}`);
  if (task.max_budget_usd !== undefined) options.push(`max_budget_usd: ${task.max_budget_usd}`);
  if (task.timeout_minutes !== undefined) options.push(`timeout: ${task.timeout_minutes}`);
  if (task.retries !== undefined) options.push(`retries: ${task.retries}`);
  if (task.model !== undefined) options.push(`model: ${JSON.stringify(task.model)}`);
  const block = options.length === 0 ? [] : ["", "```orchestrator", ...options, "```"];
  return [task.prompt.trim(), ...block, "", plannedIssueMarker(sessionId, task.id)].join("\n");
}

export interface ExistingSubIssue {
  number: number;
  /** Database id. */
  id: number;
  body: string;
  /** Database ids of the issues blocking it. */
  blockedBy: readonly number[];
}

export interface ApprovalSteps {
  /** Tasks whose sub-issue is still to be made, in the proposal's order. */
  create: ProposedTask[];
  /** Tasks whose sub-issue exists already. */
  existing: Record<string, { number: number; id: number }>;
}

export function approvalSteps(args: {
  proposal: PlanProposal;
  sessionId: string;
  subIssues: readonly ExistingSubIssue[];
}): ApprovalSteps {
  const existing: ApprovalSteps["existing"] = {};
  const ids = new Set(args.proposal.tasks.map((task) => task.id));
  for (const sub of args.subIssues) {
    const taskId = plannedTaskOf(sub.body, args.sessionId);
    if (taskId !== null && ids.has(taskId) && existing[taskId] === undefined)
      existing[taskId] = { number: sub.number, id: sub.id };
  }
  return { create: args.proposal.tasks.filter((task) => existing[task.id] === undefined), existing };
}

/** The "blocked by" links still to make, once every task has its issue. */
export function missingLinks(args: {
  proposal: PlanProposal;
  issues: Readonly<Record<string, { number: number; id: number }>>;
  /** Issue database id → ids of the issues that already block it. */
  blockedBy: ReadonlyMap<number, readonly number[]>;
}): Array<{ task: string; issue: number; blocker: { task: string; number: number; id: number } }> {
  const links = [];
  for (const task of args.proposal.tasks) {
    const issue = args.issues[task.id];
    if (issue === undefined) continue;
    const have = new Set(args.blockedBy.get(issue.id) ?? []);
    for (const blockerId of task.blocked_by ?? []) {
      const blocker = args.issues[blockerId];
      if (blocker === undefined || have.has(blocker.id)) continue;
      links.push({ task: task.id, issue: issue.number, blocker: { task: blockerId, ...blocker } });
    }
  }
  return links;
}
