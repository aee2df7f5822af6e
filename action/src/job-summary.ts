import { inertComments, type TaskResult } from "../../src/core/task-result-block.js";
import { formatCost, formatDuration } from "../../src/core/format.js";
import { codeSpan } from "./inert-markdown.js";

export interface JobSummaryContent {
  taskId: string;
  taskName?: string;
  result?: TaskResult;
  /** Set when the run failed before it knew its task (bad inputs). */
  failureMessage?: string;
  pullRequest?: { number: number; url: string; created: boolean };
  changedFiles: readonly string[];
  /** Tools Claude asked for and was refused: the usual reason a task "did nothing". */
  deniedTools?: readonly string[];
}

const MAX_FILES = 200;

/**
 * The run's page on GitHub (Markdown for `$GITHUB_STEP_SUMMARY`). Text the agent could shape (a
 * failure message quoting it, file names, tool names) is made inert, as in the PR body.
 */
export function renderJobSummary(content: JobSummaryContent): string {
  const { result } = content;
  const ok = result?.conclusion === "success";
  const title =
    content.taskName && content.taskName !== content.taskId ? ` — ${inertComments(content.taskName)}` : "";
  const lines = [`## ${ok ? "✅" : "❌"} Task \`${content.taskId}\`${title}`, ""];
  const message = result?.message ?? content.failureMessage;
  if (!ok && message) lines.push(`**Failed:** ${inertComments(message)}`, "");
  if (result) {
    const pr = content.pullRequest
      ? `[#${content.pullRequest.number}](${content.pullRequest.url})${content.pullRequest.created ? " (opened)" : " (updated)"}`
      : "—";
    lines.push(
      "| Result | Attempt | Branch | Pull request | Cost | Turns | Duration | Files changed |",
      "|---|---|---|---|---|---|---|---|",
      `| ${result.conclusion} | ${result.attempt} | \`${result.branch}\` | ${pr} | ${formatCost(result.cost_usd)} | ` +
        `${result.turns ?? "—"} | ${formatDuration(result.duration_ms)} | ${content.changedFiles.length} |`,
      "",
      `Session \`${result.session_id}\`${result.commit ? `, commit \`${result.commit.slice(0, 12)}\`` : ""}.`,
    );
  }
  if (content.deniedTools && content.deniedTools.length > 0) {
    lines.push(
      "",
      `Claude was refused these tools: ${content.deniedTools.map(codeSpan).join(", ")}. ` +
        "Add them to the task's `allowed_tools` if it needs them.",
    );
  }
  if (content.changedFiles.length > 0) {
    lines.push("", "<details><summary>Files changed</summary>", "");
    for (const file of content.changedFiles.slice(0, MAX_FILES)) lines.push(`- ${codeSpan(file)}`);
    if (content.changedFiles.length > MAX_FILES)
      lines.push(`- … and ${content.changedFiles.length - MAX_FILES} more`);
    lines.push("", "</details>");
  }
  return lines.join("\n") + "\n";
}
