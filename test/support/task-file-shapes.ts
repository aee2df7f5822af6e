import { stringify } from "yaml";
import { LIMITS } from "../../src/core/tasks-schema.js";
import { randomDependencies, randomInt, seededRandom } from "./random-dag.js";

/**
 * Tasks files of the shapes that stress `validate` and `plan` differently: a long chain (one
 * task at a time, as many scheduling steps as tasks), a wide fan (thousands ready at once), a
 * fan-in, a random layered DAG, a binary tree and a dense "ladder". The linear-scaling test and
 * the timings benchmark both use them, so what the test holds is what the benchmark measures.
 */

export const TASK_FILE_SHAPES = ["chain", "fan-out", "fan-in", "layered", "binary-tree", "ladder"] as const;
export type TaskFileShape = (typeof TASK_FILE_SHAPES)[number];

export const SHAPE_DESCRIPTIONS: Readonly<Record<TaskFileShape, string>> = {
  chain: "t0 ← t1 ← … (each depends on the one before)",
  "fan-out": "one root, every other task depends on it",
  "fan-in": `roots joined in groups of ${LIMITS.maxDependencies} (the dependency limit), then one sink`,
  layered: "random layered DAG, 1–3 dependencies a task",
  "binary-tree": "each task depends on its parent in a binary tree",
  ladder: "each task depends on the previous 3",
};

/** Dependency lists by index (index i depends only on lower indexes): the shape alone. */
export function shapeDependencies(shape: TaskFileShape, size: number): number[][] {
  const deps: number[][] = [];
  switch (shape) {
    case "chain":
      for (let i = 0; i < size; i++) deps.push(i === 0 ? [] : [i - 1]);
      return deps;
    case "fan-out":
      for (let i = 0; i < size; i++) deps.push(i === 0 ? [] : [0]);
      return deps;
    case "fan-in":
      return fanIn(size);
    case "layered":
      return randomDependencies("layered", size, seededRandom(size));
    case "binary-tree":
      for (let i = 0; i < size; i++) deps.push(i === 0 ? [] : [(i - 1) >> 1]);
      return deps;
    case "ladder":
      for (let i = 0; i < size; i++) deps.push([i - 3, i - 2, i - 1].filter((d) => d >= 0));
      return deps;
  }
}

/**
 * A sink over everything else would list thousands of dependencies, over the limit of 100: the
 * roots are joined in groups of 100, and the sink depends on every join.
 */
function fanIn(size: number): number[][] {
  const group = LIMITS.maxDependencies;
  // roots + joins + 1 = size, with joins = ceil(roots / group).
  let roots = size - 1;
  while (roots + Math.ceil(roots / group) + 1 > size) roots--;
  const deps: number[][] = [];
  for (let i = 0; i < roots; i++) deps.push([]);
  const joins: number[] = [];
  for (let first = 0; first < roots; first += group) {
    joins.push(deps.length);
    deps.push(Array.from({ length: Math.min(group, roots - first) }, (_, k) => first + k));
  }
  while (deps.length < size - 1) deps.push([]);
  deps.push(joins);
  return deps;
}

/** The file as an object: ids `t<i>`, a short prompt, estimates 1–30 minutes (seeded). */
export function shapeTasksFile(
  shape: TaskFileShape,
  size: number,
  options: { maxParallelAgents?: number } = {},
): { max_parallel_agents: number; tasks: Array<Record<string, unknown>> } {
  const random = seededRandom(size + 1);
  return {
    max_parallel_agents: options.maxParallelAgents ?? 4,
    tasks: shapeDependencies(shape, size).map((list, i) => ({
      id: `t${i}`,
      prompt: `Implement part ${i}.\nKeep the public API unchanged.\n`,
      ...(list.length > 0 && { dependencies: list.map((d) => `t${d}`) }),
      estimate_minutes: randomInt(random, 1, 30),
    })),
  };
}

export function shapeTasksText(
  shape: TaskFileShape,
  size: number,
  format: "json" | "yaml",
  options: { maxParallelAgents?: number } = {},
): string {
  const file = shapeTasksFile(shape, size, options);
  return format === "json" ? `${JSON.stringify(file, null, 2)}\n` : stringify(file);
}
