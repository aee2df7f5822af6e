import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderPullRequestBody } from "../action/src/pull-request-body.js";
import { isMainModule } from "../src/cli/is-main-module.js";
import {
  renderStatusComment,
  renderStatusSummary,
  renderStatusTitle,
  statusTotals,
  type SessionView,
  type TaskDetails,
} from "../src/core/render-status.js";
import { mermaidBlock, mermaidTasksOf, renderMermaidGraph } from "../src/core/render-mermaid.js";
import { buildTaskGraph } from "../src/core/task-graph.js";
import { validateTasksFile } from "../src/core/validate-tasks-file.js";
import { SUMMARY_ACTIONS } from "../src/github/sessions/save-session.js";
import { taskCheckName } from "../src/github/sessions/task-checks.js";
import { ROOT } from "./action-bundle.js";

/**
 * The README's pictures of what a user gets — the status comment, the Checks tab, a task's pull
 * request — rendered by the product's own renderers from one moment of the example session (the
 * demo's textkit tasks, half way through). `npm run readme:pictures` writes them between the
 * README's `<!-- picture:NAME -->` markers; a test fails when a renderer changes and the README
 * was not rewritten, so the pictures never drift from what the App posts. Each block sits inside
 * prettier-ignore comments: they are shown exactly as rendered.
 */

const SESSION_ID = "acme:textkit:4242";
const REPO_URL = "https://github.com/acme/textkit";
const SHA = "3f9c2e17b0d4a65e8c1f2a9b7d3e5c4a1b2c3d4e";

/** The example session half way: the setup and two library tasks done, two running, two waiting. */
const TASKS: TaskDetails = {
  "project-setup": {
    status: "succeeded",
    attempts: 1,
    costUsd: 0.21,
    durationMs: 94_000,
    turns: 9,
    prNumber: 12,
    prUrl: `${REPO_URL}/pull/12`,
  },
  slugify: {
    status: "succeeded",
    attempts: 1,
    costUsd: 0.34,
    durationMs: 151_000,
    turns: 14,
    prNumber: 13,
    prUrl: `${REPO_URL}/pull/13`,
  },
  "word-count": {
    status: "succeeded",
    attempts: 2,
    costUsd: 0.52,
    durationMs: 203_000,
    turns: 17,
    prNumber: 14,
    prUrl: `${REPO_URL}/pull/14`,
  },
  cli: { status: "running", attempts: 1, runUrl: `${REPO_URL}/actions/runs/7301` },
  tests: { status: "running", attempts: 1, runUrl: `${REPO_URL}/actions/runs/7302` },
};

const VIEW: SessionView = {
  state: "running",
  file: "tasks/tasks.json",
  sha: SHA,
  sessionId: SESSION_ID,
  checkRunUrl: `${REPO_URL}/runs/4242`,
  budgetUsd: 10,
  parallel: 2,
  cancelRequested: false,
};

export async function readmePictures(): Promise<Record<string, string>> {
  const text = await readFile(join(ROOT, "tasks/tasks.json"), "utf8");
  const validation = validateTasksFile(JSON.parse(text));
  if (validation.file === null) throw new Error("the example tasks file is not valid");
  const graph = buildTaskGraph(validation.file);
  const totals = statusTotals(graph, TASKS);

  const statusComment = renderStatusComment({ view: VIEW, graph, tasks: TASKS });

  const checkLines = graph.order.flatMap((id) => {
    const task = TASKS[id];
    if (task?.status === "succeeded") return [`✅ **${taskCheckName(id)}** — succeeded`];
    if (task?.status === "running") return [`🟡 **${taskCheckName(id)}** — in progress (its workflow run)`];
    return [];
  });
  const checksTab = [
    `🟡 **Orchestrator** — ${renderStatusTitle(VIEW, totals)}`,
    "",
    renderStatusSummary({ view: VIEW, graph, tasks: TASKS }),
    "",
    `Buttons: **[${SUMMARY_ACTIONS.cancel.label}]** (${SUMMARY_ACTIONS.cancel.description}); **[${SUMMARY_ACTIONS.retryFailed.label}]** once a task has failed.`,
    "",
    "Beside it, one check run per task:",
    "",
    ...checkLines.map((line) => `- ${line}`),
  ].join("\n");

  const slugify = validation.file.tasks.find((task) => task.id === "slugify");
  if (slugify === undefined) throw new Error("the example has no slugify task");
  const taskPr = renderPullRequestBody({
    content: {
      task: { id: slugify.id, name: slugify.name ?? slugify.id, prompt: slugify.prompt },
      result: {
        version: 1,
        session_id: SESSION_ID,
        task_id: "slugify",
        attempt: 1,
        conclusion: "success",
        branch: "orchestrator/slugify",
        files_changed: 2,
        cost_usd: 0.34,
        turns: 14,
        duration_ms: 151_000,
      },
      dependencies: [{ branch: "orchestrator/project-setup", number: 12 }],
      changedFiles: ["src/slugify.js", "src/index.js"],
      runUrl: `${REPO_URL}/actions/runs/7210`,
      agentSummary:
        "Added `slugify(text)` in src/slugify.js: lower-cases, strips accents (NFKD), turns runs of anything but letters and digits into single hyphens and trims them from both ends. Exported it from src/index.js.",
    },
  });

  const states = Object.fromEntries(graph.order.map((id) => [id, TASKS[id]?.status]));
  const taskGraph = mermaidBlock(renderMermaidGraph(mermaidTasksOf(validation.file.tasks), states));

  return {
    "status-comment": statusComment,
    "checks-tab": checksTab,
    "task-pr": taskPr,
    "task-graph": taskGraph,
  };
}

const BLOCK = /<!-- picture:([a-z-]+) -->\n[\s\S]*?<!-- \/picture -->/g;

/**
 * The README with every picture block replaced by its fresh rendering: Markdown quoted, as a
 * comment or a check run shows it; a Mermaid chart as it is (GitHub draws it).
 */
export function withPictures(readme: string, pictures: Record<string, string>): string {
  return readme.replace(BLOCK, (_, name: string) => {
    const picture = pictures[name];
    if (picture === undefined)
      throw new Error(`the README has a picture block "${name}" that nothing renders`);
    if (picture.startsWith("```mermaid\n")) return `<!-- picture:${name} -->\n${picture}\n<!-- /picture -->`;
    const quoted = picture
      .split("\n")
      .map((line) => (line === "" ? ">" : `> ${line}`))
      .join("\n");
    return `<!-- picture:${name} -->\n${quoted}\n<!-- /picture -->`;
  });
}

if (isMainModule(import.meta.url)) {
  const path = join(ROOT, "README.md");
  const before = await readFile(path, "utf8");
  const after = withPictures(before, await readmePictures());
  await writeFile(path, after);
  console.log(after === before ? "README pictures are up to date." : "README pictures rewritten.");
}
