import type { TaskStatus } from "../core/reconcile.js";
import type { TaskGraph } from "../core/task-graph.js";
import { fit, formatCost, formatDuration } from "./format.js";
import type { SessionEvent, SessionReporter } from "./session-events.js";
import type { LocalSessionState } from "./state-file.js";
import { cutVisible, noPaint, painter, statusTone, type Paint, type Tone } from "./terminal-colour.js";

/**
 * Progress on the terminal. In a TTY: a table redrawn in place (task, status, elapsed, cost),
 * ticking every half second while agents run. Anywhere else (CI logs, pipes, files): one plain
 * line per transition, because cursor movement would turn a log into noise.
 */

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  /** The terminal's height: the live table never draws more lines than this (see fitToHeight). */
  rows?: number;
}

export function createProgressReporter(args: {
  output: ProgressOutput;
  /** Default: the output's own `isTTY`. */
  live?: boolean;
  now?: () => number;
  /** Colour the status words (see colourWanted); default off. */
  colour?: boolean | undefined;
}): SessionReporter {
  const live = args.live ?? args.output.isTTY === true;
  const now = args.now ?? Date.now;
  const paint = painter(args.colour === true);
  return live ? new LiveTable(args.output, now, paint) : new PlainLines(args.output, now, paint);
}

type View = { state: LocalSessionState; graph: TaskGraph };

const STATUS_WORDS: Record<TaskStatus, string> = {
  pending: "· waiting",
  running: "▶ running",
  succeeded: "✓ done",
  failed: "✗ failed",
  skipped: "- skipped",
  cancelled: "- cancelled",
  needs_input: "? needs input",
};

class LiveTable implements SessionReporter {
  private drawnLines = 0;
  private closed = false;
  private view: View | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly output: ProgressOutput,
    private readonly now: () => number,
    private readonly paint: Paint,
  ) {
    this.timer = setInterval(() => this.draw(), 500);
    this.timer.unref();
  }

  event(event: SessionEvent, view: View): void {
    this.view = view;
    const line = paintEventWord(eventLine(event, view), event, this.paint);
    if (event.type === "notice" || event.type === "stopping") {
      this.clear();
      this.output.write(`${line}\n`);
    }
    this.draw();
  }

  /** Draws the final table once; later calls and events draw nothing (the summary follows it). */
  close(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    this.draw();
    this.closed = true;
  }

  private clear(): void {
    if (this.drawnLines > 0) this.output.write(`\x1b[${this.drawnLines}A\r\x1b[0J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    if (this.view === undefined || this.closed) return;
    const width = Math.max(40, (this.output.columns || 100) - 1);
    // Cut by what is seen, so a colour code is never counted nor cut in half.
    // One line short of the height: the newline after the last line must not scroll the top
    // line away, or moving back up would no longer reach the table's first line.
    const maxLines = this.output.rows === undefined ? undefined : this.output.rows - 1;
    const lines = tableLines(this.view, this.now(), this.paint, maxLines).map((line) =>
      cutVisible(line, width).trimEnd(),
    );
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\r` : "";
    this.output.write(`${up}\x1b[0J${lines.join("\n")}\n`);
    this.drawnLines = lines.length;
  }
}

class PlainLines implements SessionReporter {
  constructor(
    private readonly output: ProgressOutput,
    private readonly now: () => number,
    private readonly paint: Paint,
  ) {}

  event(event: SessionEvent, view: View): void {
    const line = paintEventWord(eventLine(event, view), event, this.paint);
    if (line !== "") this.output.write(`${clock(this.now())} ${line}\n`);
  }

  close(): void {}
}

/**
 * The table: one row per task in dependency order, then a totals line. With `maxLines`, a table
 * taller than that keeps the rows that matter and sums up the rest in one line (fitToHeight).
 */
export function tableLines(
  view: View,
  now: number,
  paint: Paint = noPaint,
  maxLines?: number | undefined,
): string[] {
  const { state, graph } = view;
  const idWidth = Math.min(32, Math.max(4, ...graph.tasks.map((task) => task.id.length)));
  const header = `${fit("TASK", idWidth)}  ${fit("STATUS", 13)}  ${"ELAPSED".padStart(8)}  ${"COST".padStart(8)}  NOTE`;
  const rows = graph.order.map((id) => {
    const observation = state.tasks[id] ?? { status: "pending" as const, attempts: 0 };
    const run = state.runs[id];
    const started = run?.startedAt === undefined ? undefined : Date.parse(run.startedAt);
    const ended =
      observation.status === "running"
        ? now
        : run?.endedAt === undefined
          ? undefined
          : Date.parse(run.endedAt);
    const elapsed = started === undefined || ended === undefined ? "" : formatDuration(ended - started);
    const cost = observation.costUsd === undefined ? "" : formatCost(observation.costUsd);
    const attempt = observation.attempts > 1 ? ` #${observation.attempts}` : "";
    return {
      status: observation.status,
      line: `${fit(id, idWidth)}  ${paint(fit(STATUS_WORDS[observation.status] + attempt, 13), statusTone(observation.status))}  ${elapsed.padStart(8)}  ${cost.padStart(8)}  ${note(view, id)}`,
    };
  });
  const totals = totalsLine(state, graph, now, paint);
  if (maxLines === undefined || rows.length + 2 <= maxLines) {
    return [header, ...rows.map((row) => row.line), totals];
  }
  return fitToHeight(header, rows, totals, maxLines, paint);
}

type Row = { status: TaskStatus; line: string };

/** Which rows a short terminal shows first: what is happening, what went wrong, what comes next. */
const ROW_PRIORITY: readonly TaskStatus[] = [
  "running",
  "needs_input",
  "failed",
  "pending",
  "succeeded",
  "cancelled",
  "skipped",
];

const COUNT_ORDER: readonly TaskStatus[] = [
  "running",
  "succeeded",
  "needs_input",
  "failed",
  "skipped",
  "cancelled",
  "pending",
];

/**
 * A table cut to `maxLines`: header, as many rows as fit in priority order (each status in
 * dependency order, so the pending ones shown are the next to start), one `… N more` line
 * counting the rest by status, and the totals.
 */
function fitToHeight(header: string, rows: Row[], totals: string, maxLines: number, paint: Paint): string[] {
  const room = Math.max(0, maxLines - 3);
  const ranked = ROW_PRIORITY.flatMap((status) => rows.filter((row) => row.status === status));
  const shown = ranked.slice(0, room);
  const hidden = ranked.slice(room);
  // Counted in the totals line's order, so the two read alike.
  const counts = COUNT_ORDER.map((status) => ({
    status,
    count: hidden.filter((row) => row.status === status).length,
  })).filter(({ count }) => count > 0);
  const more =
    `… ${hidden.length} more: ` +
    counts.map(({ status, count }) => paint(`${count} ${statusWord(status)}`, statusTone(status))).join(", ");
  const lines = [header, ...shown.map((row) => row.line), more, totals];
  // A terminal too short even for that keeps its last lines: the summary and the totals.
  return lines.slice(Math.max(0, lines.length - Math.max(1, maxLines)));
}

function statusWord(status: TaskStatus): string {
  if (status === "needs_input") return "need input";
  return status === "pending" ? "waiting" : status;
}

function note(view: View, id: string): string {
  const observation = view.state.tasks[id];
  const run = view.state.runs[id];
  if (observation?.status === "pending" && observation.resumeAt !== undefined)
    return `limited until ${clock(observation.resumeAt).slice(0, 5)}`;
  if (observation?.status === "needs_input") return `needs input: ${howToAnswer(view, id)}`;
  if (observation === undefined || observation.status === "pending") {
    const deps = view.graph.byId.get(id)?.dependencies ?? [];
    return deps.length > 0 ? `after ${deps.join(", ")}` : "";
  }
  if (observation.status === "succeeded") {
    const files =
      run?.changedFiles === undefined ? "" : `, ${run.changedFiles} file${run.changedFiles === 1 ? "" : "s"}`;
    return `${run?.branch ?? ""}${files}`;
  }
  if (observation.status === "running") return run?.branch ?? "";
  return firstLine(observation.reason ?? "");
}

function totalsLine(state: LocalSessionState, graph: TaskGraph, now: number, paint: Paint): string {
  const counts: Record<string, number> = {};
  let cost = 0;
  for (const task of graph.tasks) {
    const observation = state.tasks[task.id];
    const status = observation?.status ?? "pending";
    counts[status] = (counts[status] ?? 0) + 1;
    cost += observation?.costUsd ?? 0;
  }
  const parts = COUNT_ORDER.filter((status) => (counts[status] ?? 0) > 0).map((status) =>
    paint(`${counts[status]} ${statusWord(status)}`, statusTone(status)),
  );
  const end = state.finishedAt !== undefined ? Date.parse(state.finishedAt) : now;
  const elapsed = formatDuration(end - Date.parse(state.startedAt));
  return `${graph.tasks.length} tasks: ${parts.join(", ")} · ${formatCost(cost)} · ${elapsed} · up to ${state.maxParallel} at once`;
}

/** One plain line per event, also used above the live table for notices. */
export function eventLine(event: SessionEvent, view: View): string {
  const { state } = view;
  switch (event.type) {
    case "session_started":
      return (
        `${event.resumed ? "resuming" : "starting"} session ${state.sessionId}: ${view.graph.tasks.length} tasks ` +
        `from ${state.tasksFile} on ${state.baseBranch}, up to ${state.maxParallel} agents at once`
      );
    case "notice":
      return `note: ${event.message}`;
    case "task_started":
      return `started   ${event.id}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""} on ${state.runs[event.id]?.branch ?? ""}`;
    case "task_succeeded": {
      const { result } = event;
      const files = result.changedFiles?.length ?? 0;
      return (
        `succeeded ${event.id} in ${formatDuration(result.durationMs)}, ${formatCost(result.costUsd)}, ` +
        `${files} file${files === 1 ? "" : "s"} changed, ${result.branch} at ${result.commitSha?.slice(0, 7) ?? "?"}`
      );
    }
    case "task_failed":
      return (
        `failed    ${event.id} after ${formatDuration(event.result.durationMs)}: ${firstLine(event.result.failure?.message ?? "")}` +
        (event.willRetry ? " (will retry)" : "")
      );
    case "task_skipped":
      return `skipped   ${event.id}: ${event.reason}`;
    case "task_needs_input":
      return `needs input ${event.id}: ${firstLine(event.result.failure?.message ?? "")} (${howToAnswer(view, event.id)})`;
    case "task_limited":
      return `limited   ${event.id} until ${clock(event.resumeAt).slice(0, 5)}: ${firstLine(event.result.failure?.message ?? "")}`;
    case "waiting_for_limit":
      return `waiting   for the model API's limit to reset at ${clock(event.until).slice(0, 5)} (Ctrl-C stops; --resume goes on)`;
    case "task_interrupted":
      return `stopped   ${event.id} (it restarts on --resume)`;
    case "stopping":
      return `stopping: ${event.reason}`;
    case "session_finished":
      return `finished: ${event.outcome.summary}`;
    case "session_interrupted":
      return `stopped: ${event.reason}`;
  }
}

/** The first word of an event's line (`failed`, `succeeded`...) in its status's colour. */
function paintEventWord(line: string, event: SessionEvent, paint: Paint): string {
  const tone = EVENT_TONES[event.type];
  if (tone === undefined) return line;
  const word = /^\S+/.exec(line)?.[0] ?? "";
  return paint(word, tone) + line.slice(word.length);
}

const EVENT_TONES: Partial<Record<SessionEvent["type"], Tone>> = {
  task_succeeded: "good",
  task_failed: "bad",
  task_skipped: "warn",
  task_needs_input: "warn",
  task_limited: "warn",
  waiting_for_limit: "warn",
  task_interrupted: "warn",
  stopping: "warn",
  session_interrupted: "warn",
};

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}

function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

/** How a person gives a task that needs input what it waits for. */
export function howToAnswer(view: View, id: string): string {
  const run = view.state.runs[id];
  const ways: string[] = [];
  if ((run?.refusedTools ?? []).length > 0)
    ways.push(`refused ${(run?.refusedTools ?? []).join(", ")}: orchestrator run --allow-tools ${id}`);
  ways.push(`orchestrator run --answer ${id} "…"`);
  return ways.join(" or ");
}
