import { describe, expect, it } from "vitest";
import { decideRestack, dependentsOnBranchOf } from "../../src/core/restack-plan.js";
import type { TaskObservation } from "../../src/core/reconcile.js";
import { buildTaskGraph } from "../../src/core/task-graph.js";

const graph = buildTaskGraph({
  tasks: [
    { id: "a", prompt: "a" },
    { id: "b", prompt: "b", dependencies: ["a"] },
    { id: "c", prompt: "c", dependencies: ["a"], base: "merged" },
    { id: "d", prompt: "d", dependencies: ["a", "b"] },
    { id: "e", prompt: "e", dependencies: ["b"], branch_name: "feature/e" },
  ],
});
const done: TaskObservation = { status: "succeeded", attempts: 2 };

describe("which dependents are restacked, and where", () => {
  it("only dependents built on the dependency's branch alone (base dependencies, one dependency)", () => {
    expect(dependentsOnBranchOf(graph, "a")).toEqual(["b"]);
    expect(dependentsOnBranchOf(graph, "b")).toEqual(["e"]);
  });

  it("onto the dependency's branch when its work changed, onto the base branch when it merged", () => {
    const decide = (why: "revised" | "merged") =>
      decideRestack({
        graph,
        tasks: { b: done },
        baseBranch: "main",
        ask: { id: "b", onto: "a", why },
        hasPullRequest: true,
      });
    expect(decide("revised")).toEqual({
      restack: true,
      branch: "orchestrator/b",
      base: "orchestrator/a",
      dependencyBranch: "orchestrator/a",
      attempt: 2,
    });
    expect(decide("merged")).toMatchObject({ restack: true, base: "main" });
  });

  it("leaves alone what has nothing to move or cannot be replayed faithfully, saying why", () => {
    const ask = (
      id: string,
      tasks: Record<string, TaskObservation> = { [id]: done },
      hasPullRequest = true,
    ) =>
      decideRestack({
        graph,
        tasks,
        baseBranch: "main",
        ask: { id, onto: "a", why: "merged" },
        hasPullRequest,
      });
    expect(ask("c")).toMatchObject({
      restack: false,
      why: expect.stringContaining('base "merged"') as string,
    });
    expect(ask("d")).toMatchObject({
      restack: false,
      why: expect.stringContaining("2 dependencies") as string,
    });
    expect(ask("b", {})).toMatchObject({
      restack: false,
      why: expect.stringContaining("(pending)") as string,
    });
    expect(ask("b", { b: { status: "running", attempts: 1 } })).toMatchObject({ restack: false });
    expect(ask("b", { b: done }, false)).toMatchObject({ restack: false });
    expect(ask("b", { b: { status: "failed", attempts: 1 } })).toMatchObject({ restack: true });
    expect(ask("b", { b: { ...done, merged: true } })).toMatchObject({ restack: false });
  });
});
