import { relative } from "node:path";
import type { TaskGraph } from "../core/task-graph.js";
import { fit, formatCost, formatDuration } from "./format.js";
import { transcriptPathFor } from "../runner/claude-transcript.js";
import type { LocalPaths } from "./local-paths.js";
import { costWords, keptWords, unknownCostCount } from "./interruption-words.js";
import type { LocalSessionState, TaskRunRecord } from "./state-file.js";
import { plainLine } from "../core/inert-text.js";
import { painter, statusTone } from "./terminal-colour.js";
import { clockTime } from "./limit-wait.js";

/**
 * The text printed when a run ends: each task's result, branch, cost and reason, the total, and
 * where to look next (logs, kept worktrees, how to resume).
 */
export function finalSummary(args: {
  state: LocalSessionState;
  graph: TaskGraph;
  paths: LocalPaths;
  status: "finished" | "interrupted" | "waiting" | "already_finished";
  /** Paths are shown relative to this directory. */
  cwd: string;
  /** Colour each task's result (see colourWanted); default off. */
  colour?: boolean | undefined;
}): string {
  const { state, graph, paths } = args;
  const paint = painter(args.colour === true);
  const shown = (path: string) => relative(args.cwd, path) || ".";
  const idWidth = Math.min(32, Math.max(4, ...graph.tasks.map((task) => task.id.length)));
  const branchWidth = Math.min(48, Math.max(6, ...graph.tasks.map((task) => task.branch.length)));
  const lines = [
    "",
    `Session ${state.sessionId} (base ${state.baseBranch}, tasks from ${state.tasksFile})`,
    `${fit("TASK", idWidth)}  ${fit("RESULT", 10)}  ${fit("BRANCH", branchWidth)}  ${"COST".padStart(8)}  DETAILS`,
  ];
  const reasons: string[] = [];
  let total = 0;
  for (const id of graph.order) {
    const task = graph.byId.get(id);
    const observation = state.tasks[id] ?? { status: "pending" as const, attempts: 0 };
    const run = state.runs[id];
    total += observation.costUsd ?? 0;
    const limited = observation.status === "pending" && observation.resumeAt !== undefined;
    const result =
      observation.status === "needs_input"
        ? "needs input"
        : limited
          ? "limited"
          : observation.status === "pending"
            ? "not run"
            : observation.status;
    let details = "";
    if (observation.status === "succeeded") {
      const files = run?.changedFiles ?? 0;
      const commits = run?.commits ?? 0;
      details =
        `${files} file${files === 1 ? "" : "s"}, ${commits} commit${commits === 1 ? "" : "s"}` +
        (run?.commitSha ? `, tip ${run.commitSha.slice(0, 7)}` : "") +
        (run?.startedAt && run.endedAt
          ? `, ${formatDuration(Date.parse(run.endedAt) - Date.parse(run.startedAt))}`
          : "");
    } else if (observation.status === "needs_input") {
      details = "see below";
      reasons.push(...needsInputLines(id, run));
    } else if (limited && observation.resumeAt !== undefined) {
      details = `until ${clockTime(observation.resumeAt)}`;
      if (run?.limitNote) reasons.push(`  ${id}: ${run.limitNote}`);
    } else if (observation.reason !== undefined) {
      details = "see below";
      reasons.push(`  ${id}: ${observation.reason}`);
      if (run?.keptWorktree) reasons.push(`    worktree kept for inspection: ${shown(run.keptWorktree)}`);
      if (observation.status === "failed") {
        reasons.push(
          `    log: ${shown(paths.log(id))} (readable: ${shown(transcriptPathFor(paths.log(id)))})`,
        );
      }
    }
    lines.push(
      `${fit(id, idWidth)}  ${paint(fit(result, 10), statusTone(result))}  ${fit(task?.branch ?? run?.branch ?? "", branchWidth)}  ` +
        `${formatCost(observation.costUsd).padStart(8)}  ${details}`,
    );
  }
  if (reasons.length > 0) lines.push("", "Why:", ...reasons);
  const interrupted = graph.order.flatMap((id) =>
    (state.runs[id]?.interruptions ?? []).map(
      (record) =>
        `  ${id} attempt ${record.attempt}: ${keptWords(record) || "no commits"} · ${costWords(record)}`,
    ),
  );
  if (interrupted.length > 0) lines.push("", "Interrupted attempts:", ...interrupted);
  const unknown = unknownCostCount(graph.order.flatMap((id) => state.runs[id]?.interruptions ?? []));
  const notCounted =
    unknown === 0
      ? ""
      : ` (not counted: the cost of ${unknown} interrupted attempt${unknown === 1 ? "" : "s"}, not known)`;

  const elapsed = formatDuration(
    Date.parse(state.finishedAt ?? state.updatedAt) - Date.parse(state.startedAt),
  );
  lines.push("");
  if (state.outcome) {
    lines.push(`Total: ${formatCost(total)}${notCounted} · ${state.outcome.summary} · ${elapsed}`);
  } else {
    const done = Object.values(state.tasks).filter((o) => o.status === "succeeded").length;
    lines.push(
      `Total so far: ${formatCost(total)}${notCounted} · ${done} of ${graph.tasks.length} tasks succeeded · ${elapsed}`,
    );
    if (state.interrupted) lines.push(`Stopped: ${state.interrupted.reason}.`);
    lines.push(`Continue with: orchestrator run --resume`);
  }
  if (args.status === "already_finished") {
    lines.push("This session had already finished; run without --resume to start a new one.");
  }
  lines.push(
    `Logs: ${shown(paths.logsDir)}/<task>.log (readable: <task>.txt) · state: ${shown(paths.stateFile)}`,
  );
  return `${lines.join("\n")}\n`;
}

/** What a task that needs input waits for (the agent's text, one line each) and how to give it. */
function needsInputLines(id: string, run: TaskRunRecord | undefined): string[] {
  const lines = [`  ${id}: needs input — the agent stopped for a person and changed nothing.`];
  const tools = run?.refusedTools ?? [];
  if (tools.length > 0)
    lines.push(`    refused tools: ${tools.map((tool) => plainLine(tool, 200)).join(", ")}`);
  if (run?.question !== undefined) lines.push(`    question: ${plainLine(run.question, 500)}`);
  if (tools.length > 0) lines.push(`    allow them and run again: orchestrator run --allow-tools ${id}`);
  lines.push(`    answer and run again:     orchestrator run --answer ${id} "your answer"`);
  return lines;
}
