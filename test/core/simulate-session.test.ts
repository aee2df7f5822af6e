import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { simulateSession, type SimulatedSession } from "../../src/core/simulate-session.js";
import {
  criticalPathMinutes,
  makespanLowerBound,
  totalWorkMinutes,
  type TaskGraph,
} from "../../src/core/task-graph.js";
import { DAG_SHAPES, graphOf, randomDag } from "../support/random-dag.js";

/** A schedule is valid when every task runs once, after its dependencies, on a free agent. */
function expectValidSchedule(
  graph: TaskGraph,
  agents: number,
  result: SimulatedSession,
  duration?: (id: string) => number,
): void {
  const { schedule } = result;
  expect(schedule.map((s) => s.id).sort()).toEqual([...graph.order].sort());
  const byId = new Map(schedule.map((s) => [s.id, s]));
  for (const entry of schedule) {
    const length = duration ? duration(entry.id) : (graph.byId.get(entry.id)?.estimateMinutes ?? 1);
    expect(entry.end - entry.start).toBe(length);
    expect(entry.agent).toBeGreaterThanOrEqual(1);
    expect(entry.agent).toBeLessThanOrEqual(agents);
    for (const dep of graph.byId.get(entry.id)?.dependencies ?? []) {
      expect(byId.get(dep)?.end).toBeLessThanOrEqual(entry.start);
    }
  }
  for (const a of schedule) {
    for (const b of schedule) {
      if (a !== b && a.agent === b.agent) expect(a.end <= b.start || b.end <= a.start).toBe(true);
    }
  }
  expect(result.makespan).toBe(Math.max(0, ...schedule.map((s) => s.end)));
}

describe("simulateSession", () => {
  it("starts the longest remaining path first and reaches the optimum on a classic trap", () => {
    // FIFO in file order would run short1, short2 first and finish the long chain late (8 minutes);
    // critical-path-first starts long1 at once and finishes in 6.
    const graph = graphOf(
      { short1: [], short2: [], long1: [], long2: ["long1"] },
      { estimates: { short1: 2, short2: 2, long1: 3, long2: 3 } },
    );
    const result = simulateSession({ graph, agents: 2 });
    expect(result.schedule).toEqual([
      { id: "long1", start: 0, end: 3, agent: 1 },
      { id: "short1", start: 0, end: 2, agent: 2 },
      { id: "short2", start: 2, end: 4, agent: 2 },
      { id: "long2", start: 3, end: 6, agent: 1 },
    ]);
    expect(result.makespan).toBe(6);
  });

  it("uses the given durations instead of the estimates", () => {
    const graph = graphOf({ a: [], b: ["a"] }, { estimates: { a: 10, b: 10 } });
    const result = simulateSession({ graph, agents: 1, duration: (id) => (id === "a" ? 1 : 2) });
    expect(result.makespan).toBe(3);
    expect(result.schedule).toEqual([
      { id: "a", start: 0, end: 1, agent: 1 },
      { id: "b", start: 1, end: 3, agent: 1 },
    ]);
  });

  it("on one agent takes the total work; with unlimited agents, the critical path", () => {
    const graph = randomDag({ shape: "layered", size: 40, seed: 7 });
    expect(simulateSession({ graph, agents: 1 }).makespan).toBe(totalWorkMinutes(graph));
    expect(simulateSession({ graph, agents: 40 }).makespan).toBe(criticalPathMinutes(graph));
  });

  it("always produces a valid schedule no shorter than the lower bound and within Graham's 2 − 1/m", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DAG_SHAPES),
        fc.integer({ min: 1, max: 50 }),
        fc.integer(),
        fc.integer({ min: 1, max: 8 }),
        (shape, size, seed, agents) => {
          const graph = randomDag({ shape, size, seed });
          const result = simulateSession({ graph, agents });
          expectValidSchedule(graph, agents, result);
          const bound = makespanLowerBound(graph, agents);
          expect(result.makespan).toBeGreaterThanOrEqual(bound - 1e-9);
          // Graham: a schedule that never idles with work ready ends by work ÷ m + (1 − 1/m) × critical path.
          const graham = totalWorkMinutes(graph) / agents + (1 - 1 / agents) * criticalPathMinutes(graph);
          expect(result.makespan).toBeLessThanOrEqual(graham + 1e-9);
        },
      ),
      { numRuns: 200 },
    );
  });
});
