import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { makePlan } from "../../src/core/make-plan.js";
import { parseTasksFile } from "../../src/core/parse-tasks-file.js";
import { renderPlan } from "../../src/core/render-plan.js";
import type { TaskObservation } from "../../src/core/reconcile.js";
import { SessionInPlace, type SessionAction } from "../../src/core/session-machine.js";
import { graphFromTasks, type TaskGraph } from "../../src/core/task-graph.js";
import { makeTask } from "../support/random-dag.js";
import { countWork } from "../support/work-meter.js";
import {
  shapeDependencies,
  shapeTasksFile,
  TASK_FILE_SHAPES,
  type TaskFileShape,
} from "../support/task-file-shapes.js";

/**
 * `orchestrator validate` and `plan` must cost O(n) (up to a log) for n tasks in every shape.
 * Wall time proves nothing on a busy machine, so this counts work instead, for 1,000 and for
 * 10,000 tasks: every read of the graph's tables while a plan is made, every read or write of the
 * task states while a session is driven through the machine, and every read of the tasks and
 * their dependency lists while the whole-file checks run (dependencies, cycles, branches).
 * Linear work grows 10×; the old plan, which rescanned every task on every step, grew about 100×.
 */

const SMALL = 1_000;
const LARGE = 10_000;
/** 10× the tasks: linear work grows 10× (measured: 9.9–10.2); quadratic work 100×. */
const MAX_GROWTH = 12;

function graphOfShape(shape: TaskFileShape, size: number): TaskGraph {
  const deps = shapeDependencies(shape, size);
  return graphFromTasks(
    deps.map((list, i) =>
      makeTask(
        `t${i}`,
        list.map((d) => `t${d}`),
        { estimateMinutes: 1 + ((i * 7) % 13) },
      ),
    ),
    { maxParallelAgents: 4 },
  );
}

/** The same graph whose tables count every read: arrays by index, maps by key and by entry. */
function countingGraph(graph: TaskGraph): { graph: TaskGraph; reads: () => number } {
  let reads = 0;
  class CountingMap<K, V> extends Map<K, V> {
    override get(key: K): V | undefined {
      reads++;
      return super.get(key);
    }
    override has(key: K): boolean {
      reads++;
      return super.has(key);
    }
    override values(): MapIterator<V> {
      reads += this.size;
      return super.values();
    }
    override keys(): MapIterator<K> {
      reads += this.size;
      return super.keys();
    }
    override entries(): MapIterator<[K, V]> {
      reads += this.size;
      return super.entries();
    }
    override [Symbol.iterator](): MapIterator<[K, V]> {
      reads += this.size;
      return super[Symbol.iterator]();
    }
    override forEach(callback: (value: V, key: K, map: Map<K, V>) => void): void {
      reads += this.size;
      super.forEach(callback);
    }
  }
  const countingArray = <T>(items: readonly T[]): T[] =>
    new Proxy([...items], {
      get(target, key, receiver) {
        if (typeof key === "string" && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
  return {
    graph: {
      ...graph,
      tasks: countingArray(graph.tasks),
      order: countingArray(graph.order),
      byId: new CountingMap(graph.byId),
      dependents: new CountingMap(graph.dependents),
      remaining: new CountingMap(graph.remaining),
    },
    reads: () => reads,
  };
}

/** Graph reads of `makePlan`, and the work of making and rendering the plan. */
function planReads(shape: TaskFileShape, size: number): { reads: number; work: number } {
  const counted = countingGraph(graphOfShape(shape, size));
  const plan = makePlan({ graph: counted.graph, agents: 4 });
  expect(plan.schedule).toHaveLength(size);
  const graph = graphOfShape(shape, size);
  const { work } = countWork(() =>
    renderPlan({ plan: makePlan({ graph, agents: 4 }), fileName: "tasks.json" }),
  );
  return { reads: counted.reads(), work };
}

/**
 * A whole session through `SessionInPlace` on 4 agents, every task succeeding, on a task-state
 * record that counts every access: what a machine that copies or rescans the state per event pays.
 */
function sessionStateAccesses(shape: TaskFileShape, size: number): number {
  let accesses = 0;
  const tasks = new Proxy({} as Record<string, TaskObservation>, {
    get: (target, key) => (accesses++, Reflect.get(target, key) as unknown),
    set: (target, key, value) => (accesses++, Reflect.set(target, key, value)),
    has: (target, key) => (accesses++, Reflect.has(target, key)),
    ownKeys: (target) => {
      const keys = Reflect.ownKeys(target);
      accesses += keys.length;
      return keys;
    },
  });
  const graph = graphOfShape(shape, size);
  const session = new SessionInPlace({ graph, limits: { maxParallel: 4 } }, { tasks });
  const running: string[] = [];
  let finished = false;
  for (let round = 0; round <= 2 * size && !finished; round++) {
    const actions: SessionAction[] = session.apply({ type: "advance" });
    for (const action of actions) {
      if (action.type === "start") running.push(action.id);
      if (action.type === "finished") finished = true;
    }
    const id = running.shift();
    if (id !== undefined) session.apply({ type: "attempt_ended", id, attempt: 1, succeeded: true });
  }
  expect(session.state.outcome?.conclusion).toBe("success");
  return accesses;
}

/** `validate`'s whole pipeline (syntax, schema, dependencies, cycles, branches, the graph) on a file of the shape. */
function validateWork(shape: TaskFileShape, size: number, variant: "json" | "yaml" | "cycle"): number {
  const file = shapeTasksFile(shape, size);
  // The first task depends on the last: one cycle through every task on a path to the last.
  if (variant === "cycle") file.tasks[0] = { ...file.tasks[0], dependencies: [`t${size - 1}`] };
  const text = variant === "yaml" ? stringify(file) : JSON.stringify(file, null, 2);
  const { result, work } = countWork(() =>
    parseTasksFile({ text, fileName: variant === "yaml" ? "tasks.yaml" : "tasks.json" }),
  );
  expect(result.ok ? [] : result.issues.map((issue) => issue.message.slice(0, 20))).toEqual(
    variant === "cycle" ? ["dependency cycle: t0"] : [],
  );
  return work;
}

describe("validate and plan scale linearly with the number of tasks", () => {
  for (const shape of TASK_FILE_SHAPES) {
    const variants = shape === "chain" ? (["json", "cycle", "yaml"] as const) : (["json", "cycle"] as const);
    it(`${shape}: the work of validating grows about 10× from ${SMALL} to ${LARGE} tasks (${variants.join(", ")})`, () => {
      for (const variant of variants) {
        const small = validateWork(shape, SMALL, variant);
        const large = validateWork(shape, LARGE, variant);
        expect(large / small, `${small} reads for ${SMALL} tasks, ${large} for ${LARGE}`).toBeLessThanOrEqual(
          MAX_GROWTH,
        );
      }
    });

    it(`${shape}: graph reads and the work of planning grow about 10× from ${SMALL} to ${LARGE} tasks`, () => {
      const small = planReads(shape, SMALL);
      const large = planReads(shape, LARGE);
      expect(
        large.reads / small.reads,
        `${small.reads} reads for ${SMALL} tasks, ${large.reads} for ${LARGE}`,
      ).toBeLessThanOrEqual(MAX_GROWTH);
      expect(
        large.work / small.work,
        `work ${small.work} for ${SMALL} tasks, ${large.work} for ${LARGE}`,
      ).toBeLessThanOrEqual(MAX_GROWTH);
    });

    it(`${shape}: task-state accesses of a whole session grow about 10× from ${SMALL} to ${LARGE} tasks`, () => {
      const small = sessionStateAccesses(shape, SMALL);
      const large = sessionStateAccesses(shape, LARGE);
      expect(
        large / small,
        `${small} accesses for ${SMALL} tasks, ${large} for ${LARGE}`,
      ).toBeLessThanOrEqual(MAX_GROWTH);
    });
  }
});
