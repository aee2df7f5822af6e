import { checkProposal, type PlanProposal } from "../../core/plan-proposal.js";
import { PLAN_RESULT_FILE, parsePlanResult } from "../../core/plan-result.js";
import { describeApiError, httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";
import { readRunResult, type RunResult } from "./read-run-result.js";
import type { RunKey, WorkflowRunLike } from "./workflow-run.js";

/**
 * What a finished planner run means (core/plan-result.ts): on success, the proposal it pushed to
 * its branch, believed only if the file names this very run and checked again as a proposal (an
 * agent wrote it). A failed run is read like any task's (its failure annotation says why).
 */
export async function readPlanResult(args: {
  client: GitHubClient;
  repo: RepoRef;
  run: WorkflowRunLike;
  key: RunKey;
  branch: string;
  timeoutMinutes: number;
}): Promise<RunResult & { proposal?: PlanProposal }> {
  const { run } = args;
  if (run.conclusion !== "success") return readRunResult({ ...args, allowNoChanges: true });
  const fail = (reason: string): RunResult => ({
    succeeded: false,
    checkConclusion: "failure",
    runConclusion: "success",
    reason: `${reason}${run.html_url ? `; see ${run.html_url}` : ""}`,
  });
  let text: string;
  try {
    const { data } = await args.client.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...args.repo,
      path: PLAN_RESULT_FILE,
      ref: args.branch,
    });
    if (Array.isArray(data) || data.type !== "file" || typeof data.content !== "string")
      return fail(`\`${PLAN_RESULT_FILE}\` on \`${args.branch}\` is not a file`);
    text = Buffer.from(data.content, "base64").toString("utf8");
  } catch (error) {
    if (httpStatus(error) === 404)
      return fail(
        `the planner's run succeeded but left no proposal on \`${args.branch}\` (was the task workflow changed?)`,
      );
    return fail(`the planner's proposal could not be read: ${describeApiError(error)}`);
  }
  const result = parsePlanResult(text);
  if (
    result === null ||
    result.session_id !== args.key.sessionId ||
    result.task_id !== args.key.taskId ||
    result.attempt !== args.key.attempt ||
    result.run_id !== Number(run.id)
  ) {
    return fail(`the proposal on \`${args.branch}\` is not this run's`);
  }
  const checked = checkProposal(result.proposal);
  if (!checked.ok) return fail(`the planner's proposal is not usable: ${checked.problems.join("; ")}`);
  return {
    succeeded: true,
    checkConclusion: "success",
    runConclusion: "success",
    proposal: checked.proposal,
    ...(result.cost_usd === undefined ? {} : { costUsd: result.cost_usd }),
    ...(result.turns === undefined ? {} : { turns: result.turns }),
    ...(result.duration_ms === undefined ? {} : { durationMs: result.duration_ms }),
  };
}
