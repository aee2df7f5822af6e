import { describe, expect, it } from "vitest";
import { applyIssueGraphChange } from "../../src/core/issue-graph-change.js";
import { tasksFromIssueGraph } from "../../src/core/issue-graph.js";
import type { IssueGraphSnapshot } from "../../src/core/issue-graph-snapshot.js";
import type { TaskObservation } from "../../src/core/reconcile.js";

/** Sub-issues #2… of parent #1; `blockedBy[n]` lists the numbers blocking #n; `closed` are done. */
function snapshot(
  numbers: readonly number[],
  blockedBy: Readonly<Record<number, readonly number[]>> = {},
  closed: readonly number[] = [],
): IssueGraphSnapshot {
  return {
    repository: "acme/widgets",
    parent: { number: 1, title: "Ship it", body: "" },
    subIssues: numbers.map((number) => ({
      number,
      id: 1000 + number,
      title: `Step ${number}`,
      body: `Do step ${number}`,
      state: closed.includes(number) ? ("closed" as const) : ("open" as const),
      blockedBy: (blockedBy[number] ?? []).map((blocker) => ({
        number: blocker,
        id: 1000 + blocker,
        state: closed.includes(blocker) ? ("closed" as const) : ("open" as const),
      })),
    })),
  };
}

function start(snap: IssueGraphSnapshot) {
  const tasks = tasksFromIssueGraph(snap);
  if (!tasks.ok) throw new Error(tasks.problems.join("; "));
  return { oldFile: tasks.file, oldIssueOf: tasks.issueOfTask };
}

const running: TaskObservation = { status: "running", attempts: 1 };
const succeeded: TaskObservation = { status: "succeeded", attempts: 1 };

describe("applyIssueGraphChange", () => {
  it("a new sub-issue joins as a task, with its blocked-by links", () => {
    const change = applyIssueGraphChange({
      parent: 1,
      state: { "issue-2": running },
      ...start(snapshot([2, 3], { 3: [2] })),
      next: tasksFromIssueGraph(snapshot([2, 3, 4], { 3: [2], 4: [3] })),
    });
    expect(change).toMatchObject({
      kind: "changed",
      removed: [],
      notes: ["#4 joined the session, blocked by #3"],
    });
    if (change.kind !== "changed") throw new Error("changed");
    expect(change.file.tasks.find((task) => task.id === "issue-4")?.dependencies).toEqual(["issue-3"]);
    expect(change.issueOf).toEqual({ "issue-2": 2, "issue-3": 3, "issue-4": 4 });
  });

  it("a task that has not started takes its new blocked-by; a started one keeps its own", () => {
    const change = applyIssueGraphChange({
      parent: 1,
      state: { "issue-2": succeeded, "issue-3": running },
      ...start(snapshot([2, 3, 4], { 3: [2], 4: [2] })),
      next: tasksFromIssueGraph(snapshot([2, 3, 4, 5], { 3: [5], 4: [3] })),
    });
    expect(change.kind).toBe("changed");
    if (change.kind !== "changed") throw new Error("changed");
    const deps = Object.fromEntries(change.file.tasks.map((task) => [task.id, task.dependencies ?? []]));
    expect(deps).toEqual({ "issue-2": [], "issue-3": ["issue-2"], "issue-4": ["issue-3"], "issue-5": [] });
    expect(change.notes).toEqual([
      '#3 has started: its new "blocked by" links are not applied to it',
      "#4 is now blocked by #3",
      "#5 joined the session",
    ]);
  });

  it("refuses a change that makes a cycle, naming it by issue; the session keeps its tasks", () => {
    const change = applyIssueGraphChange({
      parent: 1,
      state: {},
      ...start(snapshot([2, 3], { 3: [2] })),
      next: tasksFromIssueGraph(snapshot([2, 3], { 3: [2], 2: [3] })),
    });
    expect(change.kind).toBe("refused");
    expect(change.notes[0]).toMatch(
      /^the new sub-issue graph of #1 was not applied \(the session goes on with the tasks it had\): "blocked by" cycle: #(2 → #3 → #2|3 → #2 → #3)/,
    );
  });

  it("a task that has not started leaves when its sub-issue is closed; its dependents drop the link", () => {
    const change = applyIssueGraphChange({
      parent: 1,
      state: {},
      ...start(snapshot([2, 3], { 3: [2] })),
      next: tasksFromIssueGraph(snapshot([2, 3], { 3: [2] }, [2])),
    });
    expect(change).toMatchObject({
      kind: "changed",
      removed: ["issue-2"],
      notes: [
        "#2 left the session (closed, no longer a sub-issue, or waiting on an open issue)",
        "#3 is no longer blocked by anything",
      ],
    });
  });

  it("a started task stays when its sub-issue is closed (its PR was merged)", () => {
    const change = applyIssueGraphChange({
      parent: 1,
      state: { "issue-2": succeeded },
      ...start(snapshot([2, 3], { 3: [2] })),
      next: tasksFromIssueGraph(snapshot([2, 3], { 3: [2] }, [2])),
    });
    expect(change.kind).toBe("changed");
    if (change.kind !== "changed") throw new Error("changed");
    expect(change.file.tasks.map((task) => task.id)).toEqual(["issue-2", "issue-3"]);
    expect(change.notes).toEqual(["#3 is no longer blocked by anything"]);
  });

  it("the same graph read again changes nothing", () => {
    const snap = snapshot([2, 3], { 3: [2] });
    expect(
      applyIssueGraphChange({
        parent: 1,
        state: { "issue-2": running },
        ...start(snap),
        next: tasksFromIssueGraph(snap),
      }),
    ).toEqual({ kind: "unchanged", notes: [] });
  });
});
