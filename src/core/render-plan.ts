import type { Plan } from "./make-plan.js";
import { renderWorstCaseCost } from "./worst-case-cost.js";

/** Past these, the text stays readable and the `--json` output has everything. */
const MAX_IDS_PER_WAVE = 12;
const MAX_WAVES_SHOWN = 40;
const MAX_SCHEDULE_ROWS = 200;

/**
 * The human output of `orchestrator plan`: waves, critical path, bounds, a per-agent timeline
 * (one text row per agent, each task a bar `[name···]` as long as its estimate) and the exact
 * schedule. Pure text, so it is tested as a whole.
 */
export function renderPlan(args: { plan: Plan; fileName: string; width?: number }): string {
  const { plan, fileName } = args;
  const width = Math.max(20, args.width ?? 64);
  const taskCount = plan.schedule.length;
  const lines: string[] = [];
  lines.push(`Plan for ${fileName}: ${plural(taskCount, "task")} on ${plural(plan.agents, "agent")}`, "");

  lines.push("Waves (a task's dependencies are all in earlier waves)");
  const numberWidth = String(plan.waves.length).length;
  plan.waves.slice(0, MAX_WAVES_SHOWN).forEach((wave, index) => {
    const shown = wave.slice(0, MAX_IDS_PER_WAVE).join(", ");
    const more = wave.length > MAX_IDS_PER_WAVE ? `, … and ${wave.length - MAX_IDS_PER_WAVE} more` : "";
    lines.push(`  ${String(index + 1).padStart(numberWidth)}. ${shown}${more}`);
  });
  if (plan.waves.length > MAX_WAVES_SHOWN)
    lines.push(`  … and ${plan.waves.length - MAX_WAVES_SHOWN} more waves`);
  lines.push("");

  const ratio = plan.lowerBoundMinutes > 0 ? plan.makespanMinutes / plan.lowerBoundMinutes : 1;
  lines.push(
    `Critical path: ${plan.criticalPath.join(" → ")} (${minutes(plan.criticalPathMinutes)})`,
    `Lower bound:   ${minutes(plan.lowerBoundMinutes)} = max(critical path ${minutes(plan.criticalPathMinutes)}, ` +
      `total work ${minutes(plan.totalWorkMinutes)} ÷ ${plural(plan.agents, "agent")} = ` +
      `${minutes(plan.totalWorkMinutes / plan.agents)})`,
    `Makespan:      ${minutes(plan.makespanMinutes)} (${ratio.toFixed(2)} × the lower bound)`,
    renderWorstCaseCost(plan.worstCaseCost),
    "",
  );

  lines.push("Timeline", ...renderTimeline(plan, width), "");
  lines.push(...renderSchedule(plan));
  return `${lines.join("\n")}\n`;
}

function renderTimeline(plan: Plan, width: number): string[] {
  const scale = plan.makespanMinutes > 0 ? width / plan.makespanMinutes : 0;
  const column = (time: number) => Math.min(width, Math.round(time * scale));
  const labelWidth = `agent ${plan.agents}`.length;
  const rows = Array.from({ length: plan.agents }, () => new Array<string>(width).fill(" "));
  for (const entry of plan.schedule) {
    const row = rows[entry.agent - 1];
    if (row === undefined) continue;
    const from = Math.min(column(entry.start), width - 1);
    const to = Math.max(from + 1, column(entry.end));
    const bar = drawBar(entry.id, to - from);
    for (let k = 0; k < bar.length && from + k < width; k++) row[from + k] = bar[k] as string;
  }
  const indent = " ".repeat(labelWidth + 2);
  return [
    indent + renderAxis(plan.makespanMinutes, width, column),
    ...rows.map((row, index) => `${`agent ${index + 1}`.padEnd(labelWidth)}  ${row.join("")}`.trimEnd()),
  ];
}

/** `[name····]` filling `length` columns; a name that does not fit is cut with "…". */
function drawBar(id: string, length: number): string[] {
  if (length === 1) return ["|"];
  if (length === 2) return ["[", "]"];
  const inner = Array.from(id);
  const room = length - 2;
  const text =
    inner.length <= room
      ? [...inner, ...new Array<string>(room - inner.length).fill("·")]
      : [...inner.slice(0, room - 1), "…"];
  return ["[", ...text, "]"];
}

/** Minute labels at round numbers, never overlapping, the last one at the end of the plan. */
function renderAxis(makespan: number, width: number, column: (time: number) => number): string {
  const axis = new Array<string>(width + 12).fill(" ");
  const place = (time: number, force: boolean) => {
    const label = formatNumber(time);
    const at = Math.min(column(time), width + 12 - label.length);
    const clear = axis.slice(Math.max(0, at - 1), at + label.length + 1).every((cell) => cell === " ");
    if (!clear && !force) return;
    for (let k = 0; k < label.length; k++) axis[at + k] = label[k] as string;
  };
  place(0, true);
  const step = niceStep(makespan / Math.max(1, Math.floor(width / 10)));
  for (let time = step; time < makespan; time += step)
    if (column(makespan) - column(time) >= 6) place(time, false);
  if (makespan > 0) place(makespan, false);
  return `${axis.join("").trimEnd()}  (minutes)`;
}

function niceStep(rough: number): number {
  if (!(rough > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * magnitude >= rough) return factor * magnitude;
  return 10 * magnitude;
}

function renderSchedule(plan: Plan): string[] {
  const rows = plan.schedule.slice(0, MAX_SCHEDULE_ROWS);
  const startWidth = Math.max(5, ...rows.map((entry) => formatNumber(entry.start).length));
  const endWidth = Math.max(3, ...rows.map((entry) => formatNumber(entry.end).length));
  const lines = [
    "Schedule",
    `  ${"start".padStart(startWidth)}  ${"end".padStart(endWidth)}  agent  task`,
    ...rows.map(
      (entry) =>
        `  ${formatNumber(entry.start).padStart(startWidth)}  ${formatNumber(entry.end).padStart(endWidth)}  ` +
        `${String(entry.agent).padStart(5)}  ${entry.id}`,
    ),
  ];
  if (plan.schedule.length > rows.length)
    lines.push(`  … and ${plan.schedule.length - rows.length} more (use --json for all)`);
  return lines;
}

function minutes(value: number): string {
  return `${formatNumber(value)} min`;
}

/** Whole numbers as they are, others with one decimal. */
function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
