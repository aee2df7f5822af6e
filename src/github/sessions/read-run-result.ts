import { parseRunName } from "../../core/dispatch-inputs.js";
import { attentionInMessage, refusedToolList, type AttemptAttention } from "../../core/task-attention.js";
import { parseResultBlock, type TaskResult } from "../../core/task-result-block.js";
import { describeApiError, type GitHubClient, type RepoRef } from "../github-client.js";
import type { TaskCheckConclusion } from "./session-record.js";
import type { RunKey, WorkflowRunLike } from "./workflow-run.js";

/**
 * What a finished workflow run means for its task attempt. The run's conclusion is the ground
 * truth for success; the pull request's result block (written by the Action, also on a draft PR
 * for failed work) adds the PR, cost, turns and the failure in plain words. Without a block, a
 * failure's reason comes from the failed job's annotations (the Action's `core.setFailed`).
 */
export interface RunResult {
  succeeded: boolean;
  reason?: string;
  /** How the task check run concludes. */
  checkConclusion: TaskCheckConclusion;
  runConclusion: string;
  costUsd?: number;
  turns?: number;
  durationMs?: number;
  prNumber?: number;
  prUrl?: string;
  /**
   * Neither success nor failure: the agent needs input, or the model API's limit stopped it. From
   * the result block, else from the runner's words in the failure annotation (no PR carries a
   * block for an attempt that changed nothing).
   */
  attention?: AttemptAttention;
}

export async function readRunResult(args: {
  client: GitHubClient;
  repo: RepoRef;
  run: WorkflowRunLike;
  key: RunKey;
  branch: string;
  allowNoChanges: boolean;
  timeoutMinutes: number;
}): Promise<RunResult> {
  const { run } = args;
  const conclusion = run.conclusion ?? "unknown";
  const found = await findResult({ ...args, runId: Number(run.id) });
  const result: RunResult =
    conclusion === "success"
      ? successResult({ found, branch: args.branch, allowNoChanges: args.allowNoChanges, run })
      : await failureResult({ ...args, conclusion, found });
  result.runConclusion = conclusion;
  if (found) {
    const { block, pull } = found;
    if (block.cost_usd !== undefined) result.costUsd = block.cost_usd;
    if (block.turns !== undefined) result.turns = block.turns;
    if (block.duration_ms !== undefined) result.durationMs = block.duration_ms;
    if (pull.number !== undefined && pull.html_url) {
      result.prNumber = pull.number;
      result.prUrl = pull.html_url;
    }
  }
  if (result.durationMs === undefined) {
    const duration = runDurationMs(run);
    if (duration !== undefined) result.durationMs = duration;
  }
  return result;
}

interface FoundResult {
  block: TaskResult;
  pull: { number?: number; html_url?: string };
}

/**
 * The PR of the task's branch whose result block belongs to this session, task, attempt and run.
 * Only the block that ends the body counts (`parseResultBlock`), and it must name the run being
 * read: a block left by another run (an earlier re-run, a copy pasted in) says nothing about this
 * one, and the cost it carries must not be charged to this attempt.
 */
async function findResult(args: {
  client: GitHubClient;
  repo: RepoRef;
  key: RunKey;
  branch: string;
  runId: number;
}): Promise<FoundResult | null> {
  const { data } = await args.client.request("GET /repos/{owner}/{repo}/pulls", {
    ...args.repo,
    head: `${args.repo.owner}:${args.branch}`,
    state: "all",
    per_page: 30,
  });
  for (const pull of data) {
    if (pull.head.ref !== args.branch) continue;
    const block = parseResultBlock(pull.body);
    if (
      block &&
      block.session_id === args.key.sessionId &&
      block.task_id === args.key.taskId &&
      block.attempt === args.key.attempt &&
      block.run_id === args.runId
    ) {
      return { block, pull: { number: pull.number, html_url: pull.html_url } };
    }
  }
  return null;
}

function successResult(args: {
  found: FoundResult | null;
  branch: string;
  allowNoChanges: boolean;
  run: WorkflowRunLike;
}): RunResult {
  const { found } = args;
  if (found?.block.conclusion === "failure") {
    return {
      succeeded: false,
      checkConclusion: "failure",
      runConclusion: "success",
      reason: found.block.message ?? "the task reported a failure although its workflow run succeeded",
    };
  }
  if (!found && !args.allowNoChanges) {
    return {
      succeeded: false,
      checkConclusion: "failure",
      runConclusion: "success",
      reason:
        `the workflow run succeeded but no pull request from \`${args.branch}\` carries this attempt's result ` +
        `(was the task workflow changed?)${args.run.html_url ? `; see ${args.run.html_url}` : ""}`,
    };
  }
  return { succeeded: true, checkConclusion: "success", runConclusion: "success" };
}

async function failureResult(args: {
  client: GitHubClient;
  repo: RepoRef;
  run: WorkflowRunLike;
  conclusion: string;
  found: FoundResult | null;
  timeoutMinutes: number;
}): Promise<RunResult> {
  const { conclusion, found, run } = args;
  const link = run.html_url ? ` (${run.html_url})` : "";
  const fail = (checkConclusion: TaskCheckConclusion, reason: string): RunResult => ({
    succeeded: false,
    checkConclusion,
    runConclusion: conclusion,
    reason,
  });
  if (conclusion === "timed_out") {
    return fail("timed_out", `the task ran longer than its timeout of ${args.timeoutMinutes} minutes${link}`);
  }
  if (conclusion === "cancelled") return fail("cancelled", `the workflow run was cancelled${link}`);
  if (found?.block.message) {
    const attention = blockAttention(found.block);
    if (attention) return { ...fail("failure", found.block.message), attention };
    const kind = found.block.failure_kind ? ` [${found.block.failure_kind}]` : "";
    // The Action stopped the agent before the job's limit and kept a checkpoint: a timeout all the same.
    const check = found.block.failure_kind === "timed_out" ? "timed_out" : "failure";
    return fail(check, `${found.block.message}${kind}`);
  }
  if (conclusion !== "failure") {
    return fail("failure", `the workflow run ended as "${conclusion}"${link}`);
  }
  const annotation = await failureAnnotation(args);
  if (annotation?.timedOut) {
    return fail("timed_out", `the task ran longer than its timeout of ${args.timeoutMinutes} minutes${link}`);
  }
  const attention = annotation ? attentionInMessage(annotation.message) : undefined;
  if (annotation && attention)
    return { ...fail("failure", withoutTaskPrefix(annotation.message)), attention };
  if (annotation) return fail("failure", `${annotation.message}${link}`);
  return fail("failure", `the workflow run failed; see its log${link}`);
}

/** Messages GitHub adds to every failed step; they say nothing about why. */
const GENERIC = /^Process completed with exit code \d+\.?$/;
const TIMEOUT = /exceeded the maximum execution time/i;

/**
 * The first telling failure annotation of the run's failed job: `core.setFailed` in the Action,
 * or GitHub's own note about a job timeout.
 */
export async function failureAnnotation(args: {
  client: GitHubClient;
  repo: RepoRef;
  run: WorkflowRunLike;
}): Promise<{ message: string; timedOut: boolean } | null> {
  try {
    const { data } = await args.client.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs", {
      ...args.repo,
      run_id: Number(args.run.id),
      filter: "latest",
      per_page: 30,
    });
    for (const job of data.jobs) {
      if (job.conclusion !== "failure" && job.conclusion !== "timed_out" && job.conclusion !== "cancelled")
        continue;
      const annotations = await args.client.request(
        "GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations",
        {
          ...args.repo,
          check_run_id: job.id,
          per_page: 50,
        },
      );
      const failures = annotations.data.filter((item) => item.annotation_level === "failure" && item.message);
      const timeout = failures.find((item) => TIMEOUT.test(item.message ?? ""));
      if (timeout || job.conclusion === "timed_out")
        return { message: timeout?.message ?? "", timedOut: true };
      // The task workflow's job is named like its run (session, task, attempt): naming it again
      // would only repeat what the task's row already says.
      const ours = parseRunName(job.name) !== null;
      const telling = failures.find((item) => !GENERIC.test((item.message ?? "").trim()));
      if (telling?.message)
        return { message: `${ours ? "" : `${job.name}: `}${firstLines(telling.message)}`, timedOut: false };
      const step = job.steps?.find((item) => item.conclusion === "failure");
      if (step)
        return {
          message: `step "${step.name}"${ours ? "" : ` of job "${job.name}"`} failed`,
          timedOut: false,
        };
    }
    return null;
  } catch (error) {
    // The reason is a courtesy; the failure itself is certain. Say why the details are missing.
    return {
      message: `the workflow run failed (its details could not be read: ${describeApiError(error)})`,
      timedOut: false,
    };
  }
}

/** The result block's needs-input or limited details, when its failure is one of those. */
function blockAttention(block: TaskResult): AttemptAttention | undefined {
  if (block.failure_kind === "needs_input") {
    const question = block.needs_input?.question;
    return {
      kind: "needs_input",
      refusedTools: refusedToolList(block.needs_input?.refused_tools),
      ...(question === undefined ? {} : { question }),
    };
  }
  if (block.failure_kind === "limited") {
    const resetsAt = block.limited?.resets_at;
    return { kind: "limited", ...(resetsAt === undefined ? {} : { resetsAt }) };
  }
  return undefined;
}

/** The Action's annotation starts with "Task <id>: "; the task's own check run needs no prefix. */
function withoutTaskPrefix(message: string): string {
  return message.replace(/^Task \S+: /, "");
}

function firstLines(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > 500 ? `${trimmed.slice(0, 499)}…` : trimmed;
}

function runDurationMs(run: WorkflowRunLike): number | undefined {
  const start = Date.parse(run.run_started_at ?? run.created_at ?? "");
  const end = Date.parse(run.updated_at ?? "");
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) return undefined;
  return end - start;
}
