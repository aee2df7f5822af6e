import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildTaskGraph,
  criticalPath,
  criticalPathMinutes,
  descendants,
  findCycle,
  GraphCycleError,
  graphFromTasks,
  makespanLowerBound,
  totalWorkMinutes,
  waves,
  type TaskGraph,
} from "../../src/core/task-graph.js";
import { DAG_SHAPES, graphOf, makeTask, randomDag } from "../support/random-dag.js";

// A diamond with a tail: a → (b, c) → d → e, plus an independent f.
const diamond = (): TaskGraph =>
  graphOf(
    { a: [], b: ["a"], c: ["a"], d: ["b", "c"], e: ["d"], f: [] },
    { estimates: { a: 2, b: 10, c: 1, d: 3, e: 1, f: 5 } },
  );

describe("topological order", () => {
  it("puts every dependency before its dependents", () => {
    const graph = diamond();
    const position = new Map(graph.order.map((id, i) => [id, i]));
    for (const task of graph.tasks) {
      for (const dep of task.dependencies) {
        expect(position.get(dep)).toBeLessThan(position.get(task.id) as number);
      }
    }
    expect([...graph.order].sort()).toEqual(["a", "b", "c", "d", "e", "f"]);
  });

  it("keeps file order among tasks that are ready at once", () => {
    const graph = graphOf({ z: [], y: [], x: ["z"], w: ["y"], v: [] });
    expect(graph.order).toEqual(["z", "y", "x", "w", "v"]);
  });

  it("handles a 10,000-task chain without recursion limits", () => {
    const tasks = Array.from({ length: 10_000 }, (_, i) => makeTask(`t${i}`, i === 0 ? [] : [`t${i - 1}`]));
    const graph = graphFromTasks(tasks.reverse());
    expect(graph.order[0]).toBe("t0");
    expect(graph.order[9_999]).toBe("t9999");
    expect(criticalPathMinutes(graph)).toBe(10_000);
  });

  it("throws a GraphCycleError naming the cycle", () => {
    const tasks = [makeTask("a", ["c"]), makeTask("b", ["a"]), makeTask("c", ["b"]), makeTask("d")];
    expect(() => graphFromTasks(tasks)).toThrow(GraphCycleError);
    try {
      graphFromTasks(tasks);
    } catch (error) {
      expect((error as GraphCycleError).cycle).toEqual(["a", "c", "b", "a"]);
      expect((error as Error).message).toBe("dependency cycle: a → c → b → a");
    }
  });

  it("throws on an unknown dependency", () => {
    expect(() => graphFromTasks([makeTask("a", ["nope"])])).toThrow(/"a" depends on unknown task "nope"/);
  });
});

describe("buildTaskGraph", () => {
  it("applies file defaults and collects dependents", () => {
    const graph = buildTaskGraph({
      max_parallel_agents: 5,
      budget_usd: 12,
      defaults: { retries: 2, timeout_minutes: 30 },
      tasks: [
        { id: "a", prompt: "first", estimate_minutes: 4 },
        { id: "b", prompt: "second", dependencies: ["a", "a"], retries: 0 },
      ],
    });
    expect(graph.maxParallelAgents).toBe(5);
    expect(graph.budgetUsd).toBe(12);
    expect(graph.byId.get("a")).toMatchObject({ retries: 2, timeoutMinutes: 30, branch: "orchestrator/a" });
    expect(graph.byId.get("b")).toMatchObject({ retries: 0, dependencies: ["a"], estimateMinutes: 1 });
    expect(graph.dependents.get("a")).toEqual(["b"]);
    expect(graph.remaining.get("a")).toBe(5);
  });
});

describe("waves", () => {
  it("groups tasks by the length of their longest dependency chain", () => {
    expect(waves(diamond())).toEqual([["a", "f"], ["b", "c"], ["d"], ["e"]]);
  });

  it("places a task after its deepest dependency, not its shallowest", () => {
    expect(waves(graphOf({ a: [], b: ["a"], c: ["a", "b"] }))).toEqual([["a"], ["b"], ["c"]]);
  });
});

describe("descendants", () => {
  it("returns everything downstream, directly or not, and not the task itself", () => {
    const graph = diamond();
    expect([...descendants(graph, "a")].sort()).toEqual(["b", "c", "d", "e"]);
    expect([...descendants(graph, "c")].sort()).toEqual(["d", "e"]);
    expect(descendants(graph, "e").size).toBe(0);
    expect(descendants(graph, "f").size).toBe(0);
  });
});

describe("critical path and lower bound", () => {
  it("follows the longest chain by estimate", () => {
    const graph = diamond();
    expect(criticalPath(graph)).toEqual(["a", "b", "d", "e"]);
    expect(criticalPathMinutes(graph)).toBe(16);
    expect(totalWorkMinutes(graph)).toBe(22);
  });

  it("counts tasks when no estimates are given", () => {
    const graph = graphOf({ a: [], b: ["a"], c: [], d: ["c"], e: ["d"] });
    expect(criticalPath(graph)).toEqual(["c", "d", "e"]);
    expect(criticalPathMinutes(graph)).toBe(3);
    expect(graph.remaining.get("c")).toBe(3);
    expect(graph.remaining.get("a")).toBe(2);
  });

  it("is the larger of the critical path and the work per agent", () => {
    const graph = diamond();
    expect(makespanLowerBound(graph, 1)).toBe(22);
    expect(makespanLowerBound(graph, 2)).toBe(16);
    expect(makespanLowerBound(graph, 8)).toBe(16);
    const wide = graphOf({ a: [], b: [], c: [], d: [] }, { estimates: { a: 3, b: 3, c: 3, d: 3 } });
    expect(makespanLowerBound(wide, 3)).toBe(4);
  });

  it("remaining is the task's estimate plus the longest remaining among its dependents", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DAG_SHAPES),
        fc.integer({ min: 1, max: 60 }),
        fc.integer(),
        (shape, size, seed) => {
          const graph = randomDag({ shape, size, seed });
          for (const task of graph.tasks) {
            const after = (graph.dependents.get(task.id) ?? []).map((id) => graph.remaining.get(id) ?? 0);
            expect(graph.remaining.get(task.id)).toBe(task.estimateMinutes + Math.max(0, ...after));
          }
          const path = criticalPath(graph);
          const pathMinutes = path.reduce((sum, id) => sum + (graph.byId.get(id)?.estimateMinutes ?? 0), 0);
          expect(pathMinutes).toBe(criticalPathMinutes(graph));
          for (let i = 1; i < path.length; i++) {
            expect(graph.byId.get(path[i] as string)?.dependencies).toContain(path[i - 1]);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("findCycle", () => {
  const expectClosedPath = (
    tasks: ReadonlyArray<{ id: string; dependencies: readonly string[] }>,
    cycle: string[] | null,
  ): void => {
    expect(cycle).not.toBeNull();
    const path = cycle as string[];
    expect(path.length).toBeGreaterThanOrEqual(2);
    expect(path[0]).toBe(path[path.length - 1]);
    const deps = new Map(tasks.map((task) => [task.id, task.dependencies]));
    for (let i = 0; i + 1 < path.length; i++) expect(deps.get(path[i] as string)).toContain(path[i + 1]);
    // A simple cycle: no task repeats except the closing one.
    expect(new Set(path.slice(0, -1)).size).toBe(path.length - 1);
  };

  it("returns null for a DAG", () => {
    expect(findCycle(diamond().tasks)).toBeNull();
  });

  it("finds a self-dependency", () => {
    expect(findCycle([{ id: "a", dependencies: ["a"] }])).toEqual(["a", "a"]);
  });

  it("finds a cycle reachable only through other tasks, and ignores unknown dependencies", () => {
    const tasks = [
      { id: "root", dependencies: ["x", "missing"] },
      { id: "x", dependencies: ["y"] },
      { id: "y", dependencies: ["z"] },
      { id: "z", dependencies: ["x"] },
    ];
    const cycle = findCycle(tasks);
    expectClosedPath(tasks, cycle);
    expect(cycle).toEqual(["x", "y", "z", "x"]);
  });

  it("finds a cycle in a 10,000-task ring without overflowing the stack", () => {
    const tasks = Array.from({ length: 10_000 }, (_, i) => ({
      id: `t${i}`,
      dependencies: [`t${(i + 1) % 10_000}`],
    }));
    const cycle = findCycle(tasks);
    expectClosedPath(tasks, cycle);
    expect(cycle).toHaveLength(10_001);
  });

  it("always returns a closed path when a random DAG gets one back edge", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DAG_SHAPES),
        fc.integer({ min: 2, max: 60 }),
        fc.integer(),
        fc.nat(),
        (shape, size, seed, pickEdge) => {
          const graph = randomDag({ shape, size, seed });
          const withEdges = graph.tasks.filter((task) => task.dependencies.length > 0);
          fc.pre(withEdges.length > 0);
          const task = withEdges[pickEdge % withEdges.length] as (typeof withEdges)[number];
          const dep = task.dependencies[0] as string;
          // Reverse reachability: make the dependency depend on its dependent.
          const tasks = graph.tasks.map((t) =>
            t.id === dep ? { id: t.id, dependencies: [...t.dependencies, task.id] } : t,
          );
          expectClosedPath(tasks, findCycle(tasks));
          expect(() => graphFromTasks(tasks.map((t) => makeTask(t.id, t.dependencies)))).toThrow(
            GraphCycleError,
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
