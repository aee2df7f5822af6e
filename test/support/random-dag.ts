import { seededRandom, type Random } from "./seeded-random.js";
import { graphFromTasks, type ResolvedTask, type TaskGraph } from "../../src/core/task-graph.js";

/**
 * Random task graphs for property tests and the scheduling benchmark. Everything is driven by a
 * seeded generator so a failing case or a benchmark table can be reproduced from its seed.
 */

export const DAG_SHAPES = ["layered", "random-edge", "fork-join", "chains"] as const;
export type DagShape = (typeof DAG_SHAPES)[number];

export { seededRandom, type Random };

/** An integer in [min, max]. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** A resolved task with plain defaults: what `graphFromTasks` needs and nothing else to set up. */
export function makeTask(
  id: string,
  dependencies: readonly string[] = [],
  options: { estimateMinutes?: number; retries?: number; maxBudgetUsd?: number } = {},
): ResolvedTask {
  const task: ResolvedTask = {
    id,
    name: id,
    description: "",
    prompt: `do ${id}`,
    branch: `orchestrator/${id}`,
    dependencies: [...dependencies],
    estimateMinutes: options.estimateMinutes ?? 1,
    timeoutMinutes: 60,
    retries: options.retries ?? 0,
    base: "dependencies",
    allowNoChanges: false,
  };
  if (options.maxBudgetUsd !== undefined) task.maxBudgetUsd = options.maxBudgetUsd;
  return task;
}

/** A graph from `{ id: [dependencies] }`, in key order; estimates default to 1. */
export function graphOf(
  spec: Record<string, readonly string[]>,
  options: {
    estimates?: Record<string, number>;
    retries?: Record<string, number>;
    maxBudgetUsd?: Record<string, number>;
  } = {},
): TaskGraph {
  const tasks = Object.entries(spec).map(([id, deps]) => {
    const taskOptions: { estimateMinutes?: number; retries?: number; maxBudgetUsd?: number } = {};
    const estimate = options.estimates?.[id];
    const retries = options.retries?.[id];
    const cap = options.maxBudgetUsd?.[id];
    if (estimate !== undefined) taskOptions.estimateMinutes = estimate;
    if (retries !== undefined) taskOptions.retries = retries;
    if (cap !== undefined) taskOptions.maxBudgetUsd = cap;
    return makeTask(id, deps, taskOptions);
  });
  return graphFromTasks(tasks);
}

export interface RandomDagOptions {
  shape: DagShape;
  size: number;
  seed: number;
  /** Inclusive range of integer estimates in minutes (default 1–30). */
  estimates?: { min: number; max: number };
  /** Highest `retries` a task may get (default 0). */
  maxRetries?: number;
}

/** The dependency lists of a random DAG: index i only ever depends on lower indexes. */
export function randomDependencies(shape: DagShape, size: number, random: Random): number[][] {
  switch (shape) {
    case "layered":
      return layered(size, random);
    case "random-edge":
      return randomEdges(size, random);
    case "fork-join":
      return forkJoin(size, random);
    case "chains":
      return chains(size, random);
  }
}

export function randomTasks(options: RandomDagOptions): ResolvedTask[] {
  const random = seededRandom(options.seed);
  const deps = randomDependencies(options.shape, options.size, random);
  const { min, max } = options.estimates ?? { min: 1, max: 30 };
  const maxRetries = options.maxRetries ?? 0;
  // Shuffle file positions so file order (the topological tie-break) is not the generation order.
  const names = deps.map((_, i) => `t${i}`);
  const filePositions = shuffle(
    deps.map((_, i) => i),
    random,
  );
  const tasks = deps.map((list, i) =>
    makeTask(
      names[i] as string,
      list.map((d) => names[d] as string),
      { estimateMinutes: randomInt(random, min, max), retries: randomInt(random, 0, maxRetries) },
    ),
  );
  return filePositions.map((i) => tasks[i] as ResolvedTask);
}

export function randomDag(options: RandomDagOptions): TaskGraph {
  return graphFromTasks(randomTasks(options));
}

/** Layers of random width; each task depends on 1–3 tasks of the layer before, sometimes further back. */
function layered(size: number, random: Random): number[][] {
  const deps: number[][] = [];
  let previous: number[] = [];
  const earlier: number[] = [];
  while (deps.length < size) {
    const width = Math.min(
      size - deps.length,
      randomInt(random, 1, Math.max(2, Math.round(Math.sqrt(size)))),
    );
    const layer: number[] = [];
    for (let k = 0; k < width; k++) {
      const id = deps.length;
      const list = new Set<number>();
      if (previous.length > 0) {
        const count = randomInt(random, 1, Math.min(3, previous.length));
        for (let c = 0; c < count; c++) list.add(pick(previous, random));
        if (earlier.length > 0 && random() < 0.2) list.add(pick(earlier, random));
      }
      deps.push([...list]);
      layer.push(id);
    }
    earlier.push(...previous);
    previous = layer;
  }
  return deps;
}

/** Erdős–Rényi over a random order, with about two dependencies per task. */
function randomEdges(size: number, random: Random): number[][] {
  const deps: number[][] = [];
  for (let i = 0; i < size; i++) {
    const list: number[] = [];
    const p = i === 0 ? 0 : Math.min(1, 2 / i);
    for (let j = 0; j < i && list.length < 100; j++) if (random() < p) list.push(j);
    deps.push(list);
  }
  return deps;
}

/** A sequence of fork → parallel branches (short chains) → join blocks. */
function forkJoin(size: number, random: Random): number[][] {
  const deps: number[][] = [];
  let join: number | null = null;
  while (deps.length < size) {
    const fork = deps.length;
    deps.push(join === null ? [] : [join]);
    const tails: number[] = [];
    const branches = randomInt(random, 2, 8);
    for (let b = 0; b < branches && deps.length < size - 1; b++) {
      let last = fork;
      const length = randomInt(random, 1, 3);
      for (let s = 0; s < length && deps.length < size - 1; s++) {
        deps.push([last]);
        last = deps.length - 1;
      }
      tails.push(last);
    }
    if (deps.length >= size) break;
    deps.push(tails.length > 0 ? tails : [fork]);
    join = deps.length - 1;
  }
  return deps;
}

/** Independent chains of random length: the shape where starting the longest chain first matters most. */
function chains(size: number, random: Random): number[][] {
  const deps: number[][] = [];
  while (deps.length < size) {
    const length = Math.min(size - deps.length, randomInt(random, 1, Math.max(2, Math.round(size / 4))));
    for (let s = 0; s < length; s++) deps.push(s === 0 ? [] : [deps.length - 1]);
  }
  return deps;
}

function pick<T>(items: readonly T[], random: Random): T {
  return items[Math.floor(random() * items.length)] as T;
}

function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
