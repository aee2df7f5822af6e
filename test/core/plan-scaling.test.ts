import { describe, expect, it } from "vitest";
import { makePlan } from "../../src/core/make-plan.js";
import type { TaskObservation } from "../../src/core/reconcile.js";
import { SessionInPlace, type SessionAction } from "../../src/core/session-machine.js";
import { graphFromTasks, type TaskGraph } from "../../src/core/task-graph.js";
import { makeTask } from "../support/random-dag.js";
import { shapeDependencies, TASK_FILE_SHAPES, type TaskFileShape } from "../support/task-file-shapes.js";

/**
 * `orchestrator plan` simulates a whole session; it must cost O(n) (up to a log) for n tasks in
 * every shape. Wall time proves nothing on a busy machine, so this counts work instead: every
 * read of the graph's tables, and every read or write of the session's task states, while a plan
 * is made (or a session driven) for 1,000 and for 10,000 tasks. Linear work grows 10×; the old
 * machine, which rescanned every task on every step, grew about 100×.
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

function planReads(shape: TaskFileShape, size: number): number {
  const counted = countingGraph(graphOfShape(shape, size));
  const plan = makePlan({ graph: counted.graph, agents: 4 });
  expect(plan.schedule).toHaveLength(size);
  return counted.reads();
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

describe("plan scales linearly with the number of tasks", () => {
  for (const shape of TASK_FILE_SHAPES) {
    it(`${shape}: graph reads of makePlan grow about 10× from ${SMALL} to ${LARGE} tasks`, () => {
      const small = planReads(shape, SMALL);
      const large = planReads(shape, LARGE);
      expect(large / small, `${small} reads for ${SMALL} tasks, ${large} for ${LARGE}`).toBeLessThanOrEqual(
        MAX_GROWTH,
      );
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
