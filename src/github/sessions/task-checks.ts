import { inert, plainLine, safeUrl } from "../../core/inert-text.js";
import { formatCost, formatDuration } from "../../core/format.js";
import type { ResolvedTask, TaskGraph } from "../../core/task-graph.js";
import { describeApiError, type GitHubClient, type RepoRef } from "../github-client.js";
import {
  taskFacts,
  taskView,
  type SessionRecord,
  type TaskCheckConclusion,
  type TaskView,
} from "./session-record.js";
import { taskRunRequest } from "./task-run-request.js";

/**
 * The Checks-tab projection of each task: one check run per task attempt, written once the
 * attempt has an outcome (success, failure, timed_out, cancelled) or the task is skipped.
 * Running tasks show in the summary table with a link to their run instead of an in-progress
 * check run of their own: that saves one write per task (GitHub meters writes), and the
 * workflow run itself is live on the Actions tab. Reasons, names and addresses come from runs,
 * agents and the tasks file: they are shown inert (core/inert-text.ts).
 */

export const TASK_CHECK_PREFIX = "Orchestrator: ";
export const TASK_RETRY_ACTION = {
  label: "Retry",
  identifier: "retry",
  description: "Run this task again",
} as const;

/** "Allow & retry" on a task that needs input: allows the tools it was refused and runs it again. */
export const TASK_ALLOW_ACTION = {
  label: "Allow & retry",
  identifier: "allow_retry",
  description: "Allow the refused tools, run again",
} as const;

export function taskCheckName(taskId: string): string {
  return `${TASK_CHECK_PREFIX}${taskId}`;
}

/** `external_id` of a task check run: which session, task and attempt it shows. */
export function taskCheckExternalId(args: { sessionId: string; taskId: string; attempt: number }): string {
  return `${args.sessionId}|${args.taskId}|${args.attempt}`;
}

export function parseTaskCheckExternalId(
  externalId: string | null | undefined,
): { sessionId: string; taskId: string; attempt: number } | null {
  const match = /^([^|]+)\|([^|]+)\|([0-9]+)$/.exec(externalId ?? "");
  if (!match) return null;
  return { sessionId: match[1] as string, taskId: match[2] as string, attempt: Number(match[3]) };
}

/** The check run a task should have now, or null (pending, running, or cancelled before it ran). */
export function desiredTaskCheck(
  entry: TaskView | undefined,
): { attempt: number; conclusion: TaskCheckConclusion } | null {
  if (!entry) return null;
  const attempt = entry.attempts;
  switch (entry.status) {
    case "succeeded":
      return { attempt, conclusion: "success" };
    case "failed":
      if (entry.runConclusion === "timed_out") return { attempt, conclusion: "timed_out" };
      if (entry.runConclusion === "cancelled") return { attempt, conclusion: "cancelled" };
      return { attempt, conclusion: "failure" };
    case "skipped":
      return { attempt, conclusion: "skipped" };
    case "needs_input":
      return { attempt, conclusion: "action_required" };
    case "pending":
      // Waiting out a model API limit: the limited attempt's check run says when it resumes.
      return entry.resumeAt !== undefined && attempt > 0 ? { attempt, conclusion: "neutral" } : null;
    case "cancelled":
      return entry.startedAt !== undefined ? { attempt, conclusion: "cancelled" } : null;
    default:
      return null;
  }
}

/**
 * Creates the check runs that are missing or out of date, recording each in the task's entry.
 * A failed write is reported, not thrown: the record still has to be saved, and the next
 * wake-up writes the check run again.
 */
export async function projectTaskChecks(args: {
  client: GitHubClient;
  repo: RepoRef;
  sessionId: string;
  record: SessionRecord;
  graph: TaskGraph;
  summaryUrl: string | undefined;
  now: Date;
  /**
   * Attempt outcomes recorded during the pass, in order. A failed attempt that is retried at once
   * is no longer visible in the task's entry, yet its check run must be written.
   */
  finished?: ReadonlyArray<{ id: string; entry: TaskView }>;
  /** Asked before each write: true stops here (the rest is written by a later pass). */
  stop?: () => boolean;
}): Promise<{ writes: number; warnings: string[] }> {
  const { client, record, graph } = args;
  let writes = 0;
  const warnings: string[] = [];
  const wanted = [
    ...(args.finished ?? []),
    ...graph.order
      .filter((id) => record.tasks[id] !== undefined)
      .map((id) => ({ id, entry: taskView(record, id) })),
  ];
  for (const { id, entry: shown } of wanted) {
    const entry = taskView(record, id);
    const desired = desiredTaskCheck(shown);
    if (!desired) continue;
    if (entry.check?.attempt === desired.attempt && entry.check.conclusion === desired.conclusion) continue;
    if (args.stop?.()) break;
    const task = graph.byId.get(id) as ResolvedTask;
    try {
      const detailsUrl = safeUrl(shown.runUrl) ?? safeUrl(args.summaryUrl);
      const { data } = await client.request("POST /repos/{owner}/{repo}/check-runs", {
        ...args.repo,
        name: taskCheckName(id),
        head_sha: record.sha,
        external_id: taskCheckExternalId({ sessionId: args.sessionId, taskId: id, attempt: desired.attempt }),
        status: "completed",
        conclusion: desired.conclusion,
        ...(shown.startedAt ? { started_at: shown.startedAt } : {}),
        completed_at: shown.endedAt ?? args.now.toISOString(),
        ...(detailsUrl ? { details_url: detailsUrl } : {}),
        output: {
          title: taskCheckTitle(shown, desired.conclusion),
          summary: taskCheckSummary({
            task,
            entry,
            record,
            graph,
            sessionId: args.sessionId,
            summaryUrl: args.summaryUrl,
          }),
        },
        ...checkActions(desired.conclusion, shown),
      });
      writes++;
      taskFacts(record, id).check = {
        id: Number(data.id),
        attempt: desired.attempt,
        conclusion: desired.conclusion,
      };
    } catch (error) {
      warnings.push(`could not write the check run of task "${id}": ${describeApiError(error)}`);
    }
  }
  return { writes, warnings };
}

const TITLES: Record<TaskCheckConclusion, string> = {
  success: "Succeeded",
  failure: "Failed",
  timed_out: "Timed out",
  cancelled: "Cancelled",
  skipped: "Skipped",
  action_required: "Needs input",
  neutral: "Limited",
};

/** The buttons of a task's check run: Retry on a failure, Allow & retry where tools were refused. */
function checkActions(
  conclusion: TaskCheckConclusion,
  entry: TaskView,
): { actions?: Array<{ label: string; identifier: string; description: string }> } {
  if (conclusion === "skipped" || conclusion === "success" || conclusion === "neutral") return {};
  if (conclusion !== "action_required") return { actions: [{ ...TASK_RETRY_ACTION }] };
  return (entry.refusedTools ?? []).length > 0 ? { actions: [{ ...TASK_ALLOW_ACTION }] } : {};
}

function taskCheckTitle(entry: TaskView, conclusion: TaskCheckConclusion): string {
  const parts = [TITLES[conclusion]];
  if (entry.prNumber !== undefined) parts.push(`PR #${entry.prNumber}`);
  if (entry.costUsd !== undefined) parts.push(formatCost(entry.costUsd));
  if (entry.durationMs !== undefined && conclusion !== "skipped")
    parts.push(formatDuration(entry.durationMs));
  if (conclusion === "neutral" && entry.resumeAt !== undefined)
    parts.push(`resumes at ${new Date(entry.resumeAt).toISOString().slice(0, 16).replace("T", " ")} UTC`);
  let title = parts.join(" · ");
  // The title is shown as plain text, not Markdown: one clean line is enough.
  if (conclusion !== "success" && entry.reason) title += `: ${entry.reason}`;
  return plainLine(title, 200);
}

function taskCheckSummary(args: {
  task: ResolvedTask;
  entry: TaskView;
  record: SessionRecord;
  graph: TaskGraph;
  sessionId: string;
  summaryUrl: string | undefined;
}): string {
  const { task, entry, record } = args;
  const request = taskRunRequest({
    graph: args.graph,
    taskId: task.id,
    attempt: Math.max(1, entry.attempts),
    sessionId: args.sessionId,
    sha: record.sha,
    baseBranch: record.baseBranch,
    tasksFile: record.inlineTasks ? undefined : record.file,
    grantUsd: record.tasks[task.id]?.grantUsd,
  });
  const heading = task.name === task.id ? `\`${task.id}\`` : `${inert(task.name, 200)} (\`${task.id}\`)`;
  const lines = [heading, ""];
  if (entry.status === "needs_input") lines.push(...needsInputLines(entry, task.id, args.sessionId), "");
  else if (entry.status === "pending" && entry.resumeAt !== undefined) {
    const at = new Date(entry.resumeAt).toISOString();
    lines.push(
      `**Limited:** the model API answered with a rate or usage limit. The task starts again by itself at ${at}; this attempt does not count as failed.`,
    );
    if (entry.note) lines.push("", `**What the API said:** ${inert(entry.note, 1000)}`);
    lines.push("");
  } else if (entry.reason && entry.status !== "succeeded")
    lines.push(`**Reason:** ${inert(entry.reason, 2000)}`, "");
  if (entry.attempts > 0) lines.push(`- Attempt: ${entry.attempts} of ${1 + task.retries}`);
  const from =
    request.dependencyBranches.length > 1
      ? `merged from ${request.dependencyBranches.map((b) => inert(b, 200)).join(", ")}`
      : `from ${inert(request.dependencyBranches[0] ?? record.baseBranch, 200)}`;
  // Branch names come from the tasks file and may hold backticks: shown inert like other text.
  lines.push(
    `- Branch: ${inert(task.branch, 200)} (${from}; pull request into ${inert(request.prBase, 200)})`,
  );
  const prUrl = safeUrl(entry.prUrl);
  if (prUrl && entry.prNumber !== undefined) lines.push(`- Pull request: [#${entry.prNumber}](${prUrl})`);
  const runUrl = safeUrl(entry.runUrl);
  if (runUrl) lines.push(`- Workflow run: ${runUrl}`);
  const numbers: string[] = [];
  if (entry.costUsd !== undefined) numbers.push(`cost ${formatCost(entry.costUsd)}`);
  if (entry.turns !== undefined) numbers.push(`${entry.turns} turns`);
  if (entry.durationMs !== undefined) numbers.push(`took ${formatDuration(entry.durationMs)}`);
  if (numbers.length > 0) lines.push(`- ${numbers.join(" · ")}`);
  if (task.dependencies.length > 0)
    lines.push(`- Depends on: ${task.dependencies.map((d) => `\`${d}\``).join(", ")}`);
  const summaryUrl = safeUrl(args.summaryUrl);
  lines.push(`- Session: ${summaryUrl ? `[${args.sessionId}](${summaryUrl})` : `\`${args.sessionId}\``}`);
  return lines.join("\n");
}

/**
 * What a task that needs input waits for, and how to give it. The tools and the question are the
 * agent's text: inert, never a link, mention or command.
 */
function needsInputLines(entry: TaskView, taskId: string, sessionId: string): string[] {
  const lines = ["**This task needs input.** The agent stopped for a person and changed nothing."];
  const tools = entry.refusedTools ?? [];
  if (tools.length > 0) {
    lines.push(
      "",
      `**Refused tools:** ${tools.map((tool) => inert(tool, 200)).join(", ")}`,
      "",
      "Press **Allow & retry** above to allow them for this task and run it again (anyone with write access).",
    );
  }
  if (entry.question !== undefined) lines.push("", `**Question:** ${inert(entry.question, 2000)}`);
  else if (tools.length === 0 && entry.reason) lines.push("", `**Reason:** ${inert(entry.reason, 2000)}`);
  lines.push(
    "",
    `To answer, comment \`/orchestrate answer ${taskId} <your answer>\` where the session was started (elsewhere, add \`--session ${sessionId}\`); the answer is added to the next attempt's prompt.`,
  );
  return lines;
}
