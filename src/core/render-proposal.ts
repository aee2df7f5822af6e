import { formatCost } from "./format.js";
import { inert, inertCell, withoutUnshowable } from "./inert-text.js";
import type { PlanProposal } from "./plan-proposal.js";
import { mermaidBlock, mermaidTasksOf, renderMermaidGraph } from "./render-mermaid.js";
import type { TaskGraph } from "./task-graph.js";
import { worstCaseCost } from "./worst-case-cost.js";

/**
 * A planner's proposal as the status comment shows it on the issue: the graph, one row per
 * proposed sub-issue, the worst case computed from the caps it proposes (never a cost the agent
 * claims), each prompt folded away, and how to approve. Everything the planner wrote is shown
 * inert: titles and the summary as code spans, prompts in fences no line of theirs can close.
 */

/** Marks the comment that carries a proposal, so `/orchestrate approve` finds its session. */
export function proposalMarker(sessionId: string): string {
  return `<!-- orchestrator:proposal ${sessionId} -->`;
}

export function proposalSessionInComment(body: string): string | null {
  return /<!--\s*orchestrator:proposal\s+(\S+)\s*-->/.exec(body)?.[1] ?? null;
}

/** With the status table, the comment stays under GitHub's 65,536 characters. */
const PROMPTS_CHARS = 20_000;
const PROMPT_CHARS = 2_000;
const CHART_CHARS = 15_000;

export function renderProposalSection(args: {
  sessionId: string;
  issue: number;
  proposal: PlanProposal;
  graph: TaskGraph;
  /** Issues made from it, once approved: task id → issue number. */
  created?: Readonly<Record<string, number>> | undefined;
}): string {
  const { proposal, graph } = args;
  const count = proposal.tasks.length;
  const lines = [
    proposalMarker(args.sessionId),
    `### Proposed plan: ${count} sub-issue${count === 1 ? "" : "s"} of #${args.issue}`,
    "",
  ];
  if (proposal.summary !== undefined && proposal.summary.trim() !== "")
    lines.push(inert(proposal.summary, 600), "");
  lines.push(
    mermaidBlock(
      renderMermaidGraph(
        mermaidTasksOf(graph.order.map((id) => graphTask(graph, id))),
        {},
        {
          maxChars: CHART_CHARS,
        },
      ),
    ),
    "",
    "| Task | Title | Blocked by | Estimate | Cap per attempt |",
    "| --- | --- | --- | --- | --- |",
  );
  for (const task of proposal.tasks) {
    const created = args.created?.[task.id];
    const blockers = (task.blocked_by ?? []).map((id) => inertCell(id, 60)).join(", ") || "—";
    lines.push(
      `| ${inertCell(task.id, 60)}${created === undefined ? "" : ` #${created}`} | ${inertCell(task.title, 200)} | ${blockers} | ` +
        `${task.estimate_minutes === undefined ? "—" : `${task.estimate_minutes} min`} | ${formatCost(task.max_budget_usd)} |`,
    );
  }
  const cost = worstCaseCost(graph);
  lines.push(
    "",
    cost.maxUsd === null
      ? `**Worst-case cost:** no limit: ${cost.uncapped.length} task${cost.uncapped.length === 1 ? " has" : "s have"} no cap per attempt ` +
          "(add `max_budget_usd` to their sub-issues' `orchestrator` block, or a `budget` to this issue's, before starting them)."
      : `**Worst-case cost:** ${formatCost(cost.maxUsd)} (every attempt, retries included, at its cap).`,
    "",
    ...renderPrompts(proposal),
    "",
    args.created === undefined
      ? `Nothing is created until someone with write access approves: comment \`/orchestrate approve\` to create these sub-issues of #${args.issue} with their "blocked by" links, ` +
          "or `/orchestrate approve --start` to create them and start the session. `/orchestrate plan` asks for a new proposal."
      : `Approved: the sub-issues exist. \`/orchestrate\` on #${args.issue} runs them.`,
  );
  return lines.join("\n");
}

function graphTask(graph: TaskGraph, id: string): { id: string; name?: string; dependencies: string[] } {
  const task = graph.byId.get(id);
  return {
    id,
    ...(task?.name === undefined ? {} : { name: task.name }),
    dependencies: task?.dependencies ?? [],
  };
}

/** Each prompt in a collapsed block, as literal text. */
function renderPrompts(proposal: PlanProposal): string[] {
  const lines = ["<details><summary>Prompts</summary>", ""];
  let used = 0;
  let hidden = 0;
  for (const task of proposal.tasks) {
    const text = withoutUnshowable(task.prompt);
    const shown =
      text.length > PROMPT_CHARS
        ? `${text.slice(0, PROMPT_CHARS)}\n… (${text.length - PROMPT_CHARS} more characters)`
        : text;
    if (used + shown.length > PROMPTS_CHARS) {
      hidden++;
      continue;
    }
    used += shown.length;
    lines.push(`${inert(task.id, 60)}`, "", literalBlock(shown), "");
  }
  if (hidden > 0)
    lines.push(
      `… ${hidden} more prompt${hidden === 1 ? "" : "s"} not shown here; each sub-issue will hold its own.`,
      "",
    );
  lines.push("</details>");
  return lines;
}

/** A fenced block longer than any run of backticks inside: nothing in it is Markdown or HTML. */
export function literalBlock(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}
