import { describe, expect, it } from "vitest";
import { reconcile } from "../../src/core/reconcile.js";
import { buildTaskGraph } from "../../src/core/task-graph.js";

const graph = buildTaskGraph({
  tasks: [
    { id: "schema", prompt: "p" },
    { id: "api", prompt: "p" },
    { id: "migrate", prompt: "p", dependencies: ["schema", "api"], base: "merged" },
    { id: "docs", prompt: "p", dependencies: ["schema"] },
  ],
});
const limits = { maxParallel: 4 };

describe('reconcile with base "merged"', () => {
  it("waits for every dependency's work to be merged, while other tasks go on", () => {
    const tasks = {
      schema: { status: "succeeded" as const, attempts: 1, merged: true },
      api: { status: "succeeded" as const, attempts: 1 },
    };
    const decision = reconcile({ graph, tasks, limits });
    expect(decision.start.map((s) => s.id)).toEqual(["docs"]);
    expect(decision.waiting).toEqual([{ id: "migrate", unmerged: ["api"] }]);
    expect(decision.finished).toBeNull();
  });

  it("starts the task once the last dependency is merged", () => {
    // Recording the merge itself (the machine's `merged` event): session-machine.test.ts.
    const tasks = {
      schema: { status: "succeeded" as const, attempts: 1, merged: true },
      api: { status: "succeeded" as const, attempts: 1, merged: true },
      docs: { status: "succeeded" as const, attempts: 1 },
    };
    const decision = reconcile({ graph, tasks, limits });
    expect(decision.start).toEqual([{ id: "migrate", attempt: 1, retry: false }]);
    expect(decision.waiting).toEqual([]);
  });

  it("never finishes a session while a task waits for a merge", () => {
    const tasks = {
      schema: { status: "succeeded" as const, attempts: 1 },
      api: { status: "succeeded" as const, attempts: 1 },
      docs: { status: "succeeded" as const, attempts: 1 },
    };
    const decision = reconcile({ graph, tasks, limits });
    expect(decision.start).toEqual([]);
    expect(decision.waiting).toEqual([{ id: "migrate", unmerged: ["schema", "api"] }]);
    expect(decision.finished).toBeNull();
  });

  it("a merge of a task that did not succeed unblocks nothing", () => {
    const tasks = {
      schema: { status: "succeeded" as const, attempts: 1, merged: true },
      api: { status: "failed" as const, attempts: 1, merged: true },
      docs: { status: "succeeded" as const, attempts: 1 },
    };
    const decision = reconcile({ graph, tasks, limits });
    expect(decision.start).toEqual([]);
    expect(decision.skip).toEqual([{ id: "migrate", reason: 'dependency "api" failed' }]);
  });
});
