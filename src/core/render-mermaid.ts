import { plainLine } from "./inert-text.js";
import type { TaskStatus } from "./reconcile.js";

/**
 * A task graph as a Mermaid `flowchart`, each node coloured by its task's state, edges from a
 * dependency to its dependent. GitHub renders ```mermaid blocks in comments and Markdown files:
 * the parent issue's status comment and the README's picture of a tasks file use it.
 *
 * Labels come from users (issue titles, task names) and must stay text. Mermaid reads its own
 * syntax inside the block (quotes, brackets, `;`, `%%{init}%%` directives anywhere in the text,
 * `click` lines, Markdown strings in backticks, HTML in labels), and a line of backticks would
 * close the Markdown fence. So a label keeps only letters, digits, spaces and a few plain
 * punctuation marks; every other character becomes Mermaid's entity code (`#35;` for `#`),
 * which it shows as that character and never parses. Node ids are ours (`t0`, `t1`, …): a
 * task id like `end` or `graph` is a Mermaid keyword.
 */

/** A node's state: a task's, or `waiting` for an issue that waits on an outside issue. */
export type MermaidNodeState = TaskStatus | "waiting";

export interface MermaidTask {
  id: string;
  /** What the node shows (default: the id). */
  label?: string | undefined;
  dependencies?: readonly string[] | undefined;
}

/** Mermaid's default `maxTextSize` is 50,000 characters; past it GitHub shows an error instead. */
export const MAX_MERMAID_CHARS = 40_000;
export const MAX_LABEL_CHARS = 60;

const STYLES: Readonly<Record<MermaidNodeState, string>> = {
  pending: "fill:#f6f8fa,stroke:#8c959f,color:#24292f",
  running: "fill:#ddf4ff,stroke:#0969da,color:#0a3069",
  succeeded: "fill:#dafbe1,stroke:#1a7f37,color:#116329",
  failed: "fill:#ffebe9,stroke:#cf222e,color:#82071e",
  skipped: "fill:#f6f8fa,stroke:#d0d7de,color:#6e7781,stroke-dasharray:4 3",
  cancelled: "fill:#eaeef2,stroke:#57606a,color:#57606a,stroke-dasharray:4 3",
  waiting: "fill:#fff8c5,stroke:#9a6700,color:#633c01",
  needs_input: "fill:#fbefff,stroke:#8250df,color:#512a97",
};

/** Characters shown as themselves; everything else is written as an entity code. */
const PLAIN = /[\p{L}\p{N} .,:_/!?'+=-]/u;

/** `text` as the inside of a quoted Mermaid label: one line, cut, every special character encoded. */
export function mermaidLabel(text: string, maxLength = MAX_LABEL_CHARS): string {
  // Cut by code points (plainLine counts UTF-16 units and could split an emoji in two).
  const chars = [...plainLine(text, Number.MAX_SAFE_INTEGER)];
  const cut = chars.length > maxLength ? [...chars.slice(0, Math.max(0, maxLength - 1)), "…"] : chars;
  let label = "";
  for (const char of cut) {
    label += PLAIN.test(char) ? char : `#${char.codePointAt(0) ?? 32};`;
  }
  return label;
}

export interface MermaidGraph {
  /** The flowchart's source, without the Markdown fence. */
  source: string;
  /** Tasks left out to keep the chart within what Mermaid renders. */
  hiddenTasks: number;
  hiddenLinks: number;
}

/**
 * The flowchart of `tasks` (in the order given; dependencies on tasks not listed are left out),
 * each coloured by `states[id]` (pending when absent).
 */
export function renderMermaidGraph(
  tasks: readonly MermaidTask[],
  states: Readonly<Record<string, MermaidNodeState | undefined>>,
  options: { maxChars?: number } = {},
): MermaidGraph {
  const maxChars = options.maxChars ?? MAX_MERMAID_CHARS;
  const used = new Set<MermaidNodeState>();
  const nodeOf = new Map<string, string>();
  const lines = ["flowchart TD"];
  // Room for the class definitions and the note about what was left out.
  let size = lines[0]!.length + 1 + Object.values(STYLES).join("").length + 7 * 40 + 200;
  let hiddenTasks = 0;
  for (const task of tasks) {
    if (nodeOf.has(task.id)) continue;
    const node = `t${nodeOf.size}`;
    const state = states[task.id] ?? "pending";
    const line = `  ${node}["${mermaidLabel(task.label ?? task.id)}"]:::${state}`;
    if (size + line.length + 1 > maxChars) {
      hiddenTasks++;
      continue;
    }
    size += line.length + 1;
    nodeOf.set(task.id, node);
    used.add(state);
    lines.push(line);
  }
  let hiddenLinks = 0;
  for (const task of tasks) {
    const to = nodeOf.get(task.id);
    for (const dependency of new Set(task.dependencies ?? [])) {
      const from = nodeOf.get(dependency);
      if (from === undefined || to === undefined) continue;
      const line = `  ${from} --> ${to}`;
      if (size + line.length + 1 > maxChars) {
        hiddenLinks++;
        continue;
      }
      size += line.length + 1;
      lines.push(line);
    }
  }
  if (hiddenTasks > 0 || hiddenLinks > 0) {
    const parts = [
      hiddenTasks > 0 ? `${hiddenTasks} more tasks` : "",
      hiddenLinks > 0 ? `${hiddenLinks} more links` : "",
    ].filter((part) => part !== "");
    lines.push(`  more["${mermaidLabel(`… and ${parts.join(" and ")} not shown`, 80)}"]:::pending`);
    used.add("pending");
  }
  for (const state of Object.keys(STYLES) as MermaidNodeState[])
    if (used.has(state)) lines.push(`  classDef ${state} ${STYLES[state]}`);
  return { source: lines.join("\n"), hiddenTasks, hiddenLinks };
}

/** The flowchart in a ```mermaid fence, ready to put into a comment or a Markdown file. */
export function mermaidBlock(graph: MermaidGraph): string {
  return `\`\`\`mermaid\n${graph.source}\n\`\`\``;
}

/** Nodes for a tasks file's tasks: the id, and the name when it says more. */
export function mermaidTasksOf(
  tasks: ReadonlyArray<{
    id: string;
    name?: string | undefined;
    dependencies?: readonly string[] | undefined;
  }>,
): MermaidTask[] {
  return tasks.map((task) => ({
    id: task.id,
    label:
      task.name !== undefined && task.name.trim() !== "" && task.name !== task.id
        ? `${task.id}: ${task.name}`
        : task.id,
    dependencies: task.dependencies ?? [],
  }));
}
