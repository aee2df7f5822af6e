import { simulateSession } from "../src/core/simulate-session.js";
import { makespanLowerBound } from "../src/core/task-graph.js";
import { DAG_SHAPES, randomDag, type DagShape } from "../test/support/random-dag.js";
import type { Benchmark, BenchTable } from "./benchmark.js";
import { listSchedule } from "./list-schedule.js";
import { optimalMakespan } from "./optimal-schedule.js";
import { seriesLowerBound } from "./series-lower-bound.js";
import { max, median, ratio } from "./stats.js";

/**
 * Schedule quality of critical-path-first (the real reconciler, through `simulateSession`) against
 * FIFO, as makespan ÷ lower bound on random DAGs, and against the exact optimum on small ones.
 * Seeds are fixed, so every run prints the same numbers.
 */

const SIZES = [10, 30, 100, 300, 1000] as const;
const AGENTS = [2, 3, 4, 8, 16] as const;
/** Graphs per (shape, size) cell; the same graphs are scheduled for every agent count. */
const SAMPLES: Record<(typeof SIZES)[number], number> = { 10: 12, 30: 10, 100: 8, 300: 5, 1000: 3 };
const SMALL_SIZES = [6, 7, 8, 9, 10] as const;
const SMALL_SAMPLES = 8;
const SMALL_AGENTS = [2, 3, 4] as const;

const TARGET_VS_BOUND = 1.05;
const TARGET_VS_OPTIMUM = 1.1;

interface Cell {
  shape: DagShape;
  size: number;
  agents: number;
  cp: number[];
  fifo: number[];
  /** Critical-path-first ÷ the tighter series bound, for explaining misses. */
  cpSeries: number[];
  fifoSeries: number[];
}

function seedOf(shape: DagShape, size: number, sample: number): number {
  return DAG_SHAPES.indexOf(shape) * 1_000_003 + size * 1_009 + sample;
}

function measureCells(): Cell[] {
  const cells: Cell[] = [];
  for (const shape of DAG_SHAPES) {
    for (const size of SIZES) {
      const graphs = Array.from({ length: SAMPLES[size] }, (_, sample) =>
        randomDag({ shape, size, seed: seedOf(shape, size, sample), estimates: { min: 1, max: 60 } }),
      );
      for (const agents of AGENTS) {
        const cell: Cell = { shape, size, agents, cp: [], fifo: [], cpSeries: [], fifoSeries: [] };
        for (const graph of graphs) {
          const bound = makespanLowerBound(graph, agents);
          const cp = simulateSession({ graph, agents }).makespan;
          const fifo = listSchedule({ graph, agents });
          cell.cp.push(cp / bound);
          cell.fifo.push(fifo / bound);
          if (shape === "fork-join") {
            const series = seriesLowerBound(graph, agents);
            cell.cpSeries.push(cp / series);
            cell.fifoSeries.push(fifo / series);
          }
        }
        cells.push(cell);
      }
    }
  }
  return cells;
}

function boundTables(cells: Cell[]): BenchTable[] {
  const cellAt = (shape: DagShape, agents: number, size: number) =>
    cells.find((c) => c.shape === shape && c.agents === agents && c.size === size) as Cell;
  const table = (title: string, stat: (values: number[]) => number): BenchTable => ({
    title,
    columns: ["shape / agents", ...SIZES.map((size) => `n=${size} CP | FIFO`)],
    rows: DAG_SHAPES.flatMap((shape) =>
      AGENTS.map((agents) => [
        `${shape} / ${agents}`,
        ...SIZES.map((size) => {
          const cell = cellAt(shape, agents, size);
          const cp = stat(cell.cp);
          const fifo = stat(cell.fifo);
          return `${ratio(cp)}${cp > fifo + 1e-9 ? "!" : " "}| ${ratio(fifo)}`;
        }),
      ]),
    ),
  });
  const medianTable = table(
    "Makespan ÷ lower bound, median over graphs (critical-path-first | FIFO)",
    median,
  );
  const worstTable = table("Makespan ÷ lower bound, worst over graphs (critical-path-first | FIFO)", max);

  const allCp = cells.flatMap((c) => c.cp);
  const allFifo = cells.flatMap((c) => c.fifo);
  const overTarget = cells.filter((c) => median(c.cp) > TARGET_VS_BOUND);
  const worseThanFifo = cells.filter((c) => median(c.cp) > median(c.fifo) + 1e-9);
  const cpWins = cells.filter((c) => median(c.cp) < median(c.fifo) - 1e-9).length;
  medianTable.notes = [
    `"!" marks a cell where critical-path-first is worse than FIFO. Lower bound = max(critical path, work ÷ agents).`,
    `Graphs per cell: ${SIZES.map((s) => `n=${s}: ${SAMPLES[s]}`).join(", ")}; estimates 1–60 min, fixed seeds.`,
  ];
  worstTable.notes = [
    `Overall (${cells.length} cells, ${allCp.length} schedules): critical-path-first median ${ratio(median(allCp))}, ` +
      `worst ${ratio(max(allCp))}; FIFO median ${ratio(median(allFifo))}, worst ${ratio(max(allFifo))}.`,
    `Target median ≤ ${TARGET_VS_BOUND} × lower bound: met in ${cells.length - overTarget.length} of ${cells.length} cells` +
      (overTarget.length > 0
        ? `; missed in ${overTarget.map((c) => `${c.shape}/${c.agents}/n=${c.size} (${ratio(median(c.cp))})`).join(", ")}.`
        : "."),
    `Target never worse than FIFO's median: critical-path-first better in ${cpWins}, equal in ` +
      `${cells.length - cpWins - worseThanFifo.length}, worse in ${worseThanFifo.length} cells` +
      (worseThanFifo.length > 0
        ? ` (${worseThanFifo.map((c) => `${c.shape}/${c.agents}/n=${c.size}: ${ratio(median(c.cp))} vs ${ratio(median(c.fifo))}`).join(", ")}).`
        : "."),
  ];
  const seriesTable: BenchTable = {
    title:
      "fork-join: the same schedules ÷ a tighter bound (stages between bottleneck tasks run one after another)",
    columns: ["agents", ...SIZES.map((size) => `n=${size} CP | FIFO`)],
    rows: AGENTS.map((agents) => [
      `${agents}`,
      ...SIZES.map((size) => {
        const cell = cellAt("fork-join", agents, size);
        return `${ratio(median(cell.cpSeries))} | ${ratio(median(cell.fifoSeries))}`;
      }),
    ]),
    notes: [
      "Medians. Bound = Σ bottleneck estimates + Σ per stage max(critical path, work ÷ agents) (bench/series-lower-bound.ts).",
      "Fork-join misses above are mostly the plain bound's slack: it spreads each stage's work over all agents.",
    ],
  };
  return [medianTable, worstTable, seriesTable];
}

function optimumTable(): BenchTable {
  const rows: string[][] = [];
  const allCp: number[] = [];
  const allFifo: number[] = [];
  let belowGreedy = 0;
  let count = 0;
  for (const shape of DAG_SHAPES) {
    for (const agents of SMALL_AGENTS) {
      const cp: number[] = [];
      const fifo: number[] = [];
      const bound: number[] = [];
      for (const size of SMALL_SIZES) {
        for (let sample = 0; sample < SMALL_SAMPLES; sample++) {
          const graph = randomDag({
            shape,
            size,
            seed: seedOf(shape, size, 500 + sample),
            estimates: { min: 1, max: 20 },
          });
          const cpMakespan = simulateSession({ graph, agents }).makespan;
          const fifoMakespan = listSchedule({ graph, agents });
          const optimum = optimalMakespan({ graph, agents, upperBound: Math.min(cpMakespan, fifoMakespan) });
          if (optimum < Math.min(cpMakespan, fifoMakespan)) belowGreedy++;
          count++;
          cp.push(cpMakespan / optimum);
          fifo.push(fifoMakespan / optimum);
          bound.push(makespanLowerBound(graph, agents) / optimum);
          if (seriesLowerBound(graph, agents) > optimum + 1e-9)
            throw new Error("series bound above the optimum");
        }
      }
      allCp.push(...cp);
      allFifo.push(...fifo);
      rows.push([
        `${shape} / ${agents}`,
        ratio(median(cp)),
        ratio(max(cp)),
        ratio(median(fifo)),
        ratio(max(fifo)),
        ratio(Math.min(...bound)),
      ]);
    }
  }
  const worst = max(allCp);
  const overTarget = allCp.filter((value) => value > TARGET_VS_OPTIMUM + 1e-9).length;
  return {
    title: `Makespan ÷ exact optimum on small DAGs (n = ${SMALL_SIZES.join(", ")}; ${SMALL_SAMPLES} graphs each; estimates 1–20)`,
    columns: ["shape / agents", "CP median", "CP worst", "FIFO median", "FIFO worst", "bound÷opt min"],
    rows,
    notes: [
      `Overall (${count} graphs): critical-path-first median ${ratio(median(allCp))}, worst ${ratio(worst)}; ` +
        `FIFO median ${ratio(median(allFifo))}, worst ${ratio(max(allFifo))}.`,
      `Target ≤ ${TARGET_VS_OPTIMUM} × optimum: median ${median(allCp) <= TARGET_VS_OPTIMUM ? "met" : "missed"}; ` +
        `${overTarget} of ${count} graphs above it (worst ${ratio(worst)}). ` +
        `The optimum beat both greedy schedules on ${belowGreedy} of ${count} graphs.`,
      `"bound÷opt min": how far below the optimum the lower bound can sit — why ÷ bound overstates the gap.`,
    ],
  };
}

/**
 * Without `estimate_minutes` every task counts 1 and the priority is the number of tasks left on
 * the longest path. Here durations equal the estimates (all 1), so this isolates the ordering.
 */
function noEstimatesTable(): BenchTable {
  const sizes = [10, 30, 100, 300];
  const samples = 5;
  const all: { cp: number[]; fifo: number[] } = { cp: [], fifo: [] };
  const rows = DAG_SHAPES.map((shape) => {
    const graphs = sizes.flatMap((size) =>
      Array.from({ length: samples }, (_, sample) =>
        randomDag({ shape, size, seed: seedOf(shape, size, 900 + sample), estimates: { min: 1, max: 1 } }),
      ),
    );
    return [
      shape,
      ...AGENTS.map((agents) => {
        const cp: number[] = [];
        const fifo: number[] = [];
        for (const graph of graphs) {
          const bound = makespanLowerBound(graph, agents);
          cp.push(simulateSession({ graph, agents }).makespan / bound);
          fifo.push(listSchedule({ graph, agents }) / bound);
        }
        all.cp.push(...cp);
        all.fifo.push(...fifo);
        const cpMedian = median(cp);
        return `${ratio(cpMedian)}${cpMedian > median(fifo) + 1e-9 ? "!" : " "}| ${ratio(median(fifo))}`;
      }),
    ];
  });
  return {
    title: `No estimates (every task 1): makespan ÷ lower bound, median (critical-path-first | FIFO)`,
    columns: ["shape", ...AGENTS.map((agents) => `${agents} agents`)],
    rows,
    notes: [
      `n = ${sizes.join(", ")}, ${samples} graphs each. Overall: critical-path-first median ${ratio(median(all.cp))}, ` +
        `worst ${ratio(max(all.cp))}; FIFO median ${ratio(median(all.fifo))}, worst ${ratio(max(all.fifo))}.`,
    ],
  };
}

export const scheduleQuality: Benchmark = {
  name: "schedule",
  description: "critical-path-first vs FIFO vs lower bound and exact optimum on random DAGs",
  async run() {
    return [...boundTables(measureCells()), noEstimatesTable(), optimumTable()];
  },
};
