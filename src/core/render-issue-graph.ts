import { inert } from "./inert-text.js";
import {
  mermaidBlock,
  renderMermaidGraph,
  type MermaidNodeState,
  type MermaidTask,
} from "./render-mermaid.js";
import { observationOf, type TaskObservation } from "./reconcile.js";
import type { TaskGraph } from "./task-graph.js";

/**
 * The part of an issue session's status comment that is about its issues: the task graph as a
 * Mermaid flowchart coloured by state (GitHub draws it in the comment), the sub-issues that wait
 * on an open issue outside the session, and what the last change of the graph did. Pure.
 */

export interface IssueGraphSection {
  parent: number;
  graph: TaskGraph;
  tasks: Readonly<Record<string, TaskObservation | undefined>>;
  waiting?: ReadonlyArray<{ issue: number; waitsOn: readonly string[] }> | undefined;
  /** What the last reading of the graph changed, or why it was refused. */
  changes?: readonly string[] | undefined;
  notes?: readonly string[] | undefined;
}

/**
 * At most this many lines of waiting issues, changes and notes each, of at most LINE_CHARS, and a
 * chart of at most CHART_CHARS: with the status table, the comment stays under GitHub's 65,536.
 */
const MAX_LINES = 20;
const LINE_CHARS = 300;
const CHART_CHARS = 30_000;
const MAX_BLOCKERS_SHOWN = 3;

export function renderIssueGraphSection(section: IssueGraphSection): string {
  const { graph } = section;
  // A task's name is `#<number> <title>`: its id (`issue-<number>`) would only repeat the number.
  const nodes: MermaidTask[] = graph.order.map((id) => {
    const task = graph.byId.get(id);
    return { id, label: task?.name ?? id, dependencies: task?.dependencies ?? [] };
  });
  const states: Record<string, MermaidNodeState> = {};
  for (const id of graph.order) states[id] = observationOf(section.tasks, id).status;
  for (const wait of section.waiting ?? []) {
    const id = `waiting-${wait.issue}`;
    nodes.push({ id, label: `#${wait.issue} (waiting)`, dependencies: [] });
    states[id] = "waiting";
  }
  const lines = [mermaidBlock(renderMermaidGraph(nodes, states, { maxChars: CHART_CHARS }))];
  const waiting = (section.waiting ?? []).map((wait) => {
    const shown = wait.waitsOn.slice(0, MAX_BLOCKERS_SHOWN).map(issueText);
    const more = wait.waitsOn.length - shown.length;
    return `#${wait.issue} waits on ${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
  });
  if (waiting.length > 0) {
    lines.push(
      "",
      `**Waiting** (not in this session; run \`/orchestrate\` on #${section.parent} again once they can start):`,
      ...listOf(waiting),
    );
  }
  if ((section.changes ?? []).length > 0)
    lines.push("", "**Graph changes:**", ...listOf((section.changes ?? []).map(issueText)));
  if ((section.notes ?? []).length > 0) lines.push("", ...listOf((section.notes ?? []).map(issueText)));
  return lines.join("\n");
}

function listOf(items: readonly string[]): string[] {
  const shown = items.slice(0, MAX_LINES).map((item) => `- ${item}`);
  if (items.length > MAX_LINES) shown.push(`- … and ${items.length - MAX_LINES} more`);
  return shown;
}

/**
 * Text about issues as the App wrote it (`#14 (waiting)`, `"blocked by" cycle: #2 → #3 → #2`)
 * stays readable, its issue numbers linked by GitHub; anything else (a value a user wrote in an
 * options block, quoted in a problem) is shown inert.
 */
function issueText(text: string): string {
  return /^[A-Za-z0-9 #/.,:;()"'→-]*$/.test(text) && text.length <= LINE_CHARS
    ? text
    : inert(text, LINE_CHARS);
}
