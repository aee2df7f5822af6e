import { inertComments, upsertResultBlock, type TaskResult } from "../../src/core/task-result-block.js";
import { formatCost, formatDuration } from "../../src/core/format.js";
import { codeSpan } from "./inert-markdown.js";

/** What the PR body says about one run of a task; everything but `result` is for people. */
export interface PullRequestBodyContent {
  task: { id: string; name: string; prompt: string };
  result: TaskResult;
  /** The dependencies' branches and, where one is open or merged, their pull requests. */
  dependencies: ReadonlyArray<{ branch: string; number?: number }>;
  changedFiles: readonly string[];
  /** Claude's final message. */
  agentSummary?: string;
  runUrl?: string;
  /** The issue the task works on (an issue session's sub-issue): merging the PR closes it. */
  issue?: number | undefined;
}

const START = "<!-- orchestrator:summary -->";
const END = "<!-- /orchestrator:summary -->";
const PROMPT_CHARS = 1_500;
const SUMMARY_CHARS = 6_000;
const MAX_FILES = 100;

/**
 * The PR body: our section between two hidden markers, then the result block, last (where the App
 * reads it). On an update only that section and the block are replaced, so text a reviewer added
 * around them stays. Every text in the section that is not ours (the agent's summary, file names,
 * a failure message quoting the agent, the prompt) is made inert: it cannot open an HTML comment,
 * so it can neither forge a result block nor one of the section's markers.
 */
export function renderPullRequestBody(args: { existing?: string; content: PullRequestBodyContent }): string {
  const section = `${START}\n${renderSection(args.content)}\n${END}`;
  const existing = args.existing ?? "";
  const start = existing.indexOf(START);
  const end = existing.indexOf(END, start);
  const body =
    start >= 0 && end >= 0
      ? existing.slice(0, start) + section + existing.slice(end + END.length)
      : section + (existing.trim() ? `\n\n${existing.trim()}` : "");
  return upsertResultBlock(body, args.content.result);
}

export function pullRequestTitle(task: { id: string; name: string }): string {
  const name = task.name.replace(/\s+/g, " ").trim();
  return name && name !== task.id ? `${name} (task ${task.id})` : `Task ${task.id}`;
}

function renderSection(content: PullRequestBodyContent): string {
  const { task, result } = content;
  const lines: string[] = [];
  lines.push(
    `Task \`${task.id}\`, attempt ${result.attempt}, run by the orchestrator (session \`${result.session_id}\`).`,
  );
  if (result.failure_kind === "needs_input") {
    lines.push(
      "",
      `> [!IMPORTANT]\n> This attempt needs input: ${inertComments(oneLine(result.message ?? "the agent stopped for a person"))}\n> ` +
        'Press "Allow & retry" on the task\'s check run to allow the refused tools, or answer in a comment: ' +
        `\`/orchestrate answer ${result.task_id} --session ${result.session_id} <your answer>\`.`,
    );
  } else if (result.failure_kind === "limited") {
    lines.push(
      "",
      `> [!NOTE]\n> This attempt hit a model API limit: ${inertComments(oneLine(result.message ?? "rate or usage limit"))}\n> ` +
        "The task starts again by itself after the reset.",
    );
  } else if (result.conclusion === "failure") {
    lines.push(
      "",
      `> [!WARNING]\n> This attempt failed: ${inertComments(oneLine(result.message ?? "see the workflow run"))}\n> ` +
        (result.failure_kind === "timed_out"
          ? "The branch holds a checkpoint of the work so far; the next attempt goes on from it."
          : "The branch holds the work it got through; retry the task to rebuild it from its base."),
    );
  }
  if (content.issue !== undefined) {
    // GitHub's closing keyword: merging the PR into the default branch closes the sub-issue.
    lines.push("", `Closes #${content.issue}`);
  }
  lines.push("", "**Prompt**", "", fenced(inertComments(truncate(task.prompt, PROMPT_CHARS))));
  if (content.dependencies.length > 0) {
    const parts = content.dependencies.map((dep) =>
      dep.number === undefined ? `\`${dep.branch}\`` : `#${dep.number} (\`${dep.branch}\`)`,
    );
    lines.push("", `**Builds on:** ${parts.join(", ")}`);
  }
  const run = content.runUrl ? `[workflow run](${content.runUrl})` : "—";
  lines.push(
    "",
    "| Result | Cost | Turns | Duration | Files changed | Run |",
    "|---|---|---|---|---|---|",
    `| ${result.conclusion === "success" ? "✅ success" : "❌ failure"} | ${formatCost(result.cost_usd)} | ` +
      `${result.turns ?? "—"} | ${formatDuration(result.duration_ms)} | ${content.changedFiles.length} | ${run} |`,
  );
  if (content.changedFiles.length > 0) {
    const shown = content.changedFiles.slice(0, MAX_FILES).map((file) => `- ${codeSpan(file)}`);
    if (content.changedFiles.length > MAX_FILES)
      shown.push(`- … and ${content.changedFiles.length - MAX_FILES} more`);
    lines.push("", `<details><summary>Files changed</summary>`, "", ...shown, "", "</details>");
  }
  if (content.agentSummary) {
    lines.push(
      "",
      "<details><summary>The agent's summary</summary>",
      "",
      inertComments(truncate(content.agentSummary, SUMMARY_CHARS)),
      "",
      "</details>",
    );
  }
  return lines.join("\n");
}

/** A code fence longer than any backtick run inside, so the prompt shows verbatim (no @-mentions). */
function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
