import type { IssueGraphTasks } from "./issue-graph.js";
import { observationOf, type TaskObservation } from "./reconcile.js";
import type { Task, TasksFile } from "./tasks-schema.js";
import { validateTasksFile } from "./validate-tasks-file.js";

/**
 * What a change of the issue graph does to a running issue session: the one rule, pure.
 *
 * - A task that has started (any attempt, or skipped/cancelled/ended) keeps its definition as the
 *   session fixed it: its prompt, options and dependencies. What the issue now says is noted, not
 *   applied. (A started task's dependencies all succeeded, so they started too: kept tasks never
 *   depend on a task that changes.)
 * - A task that has not started takes the issue graph's new definition (its text, options and
 *   "blocked by"), or leaves the session when its sub-issue is gone, closed, or now waits on an
 *   open issue outside the set.
 * - A new open sub-issue becomes a task.
 * - Session settings (the parent's options block, the base branch) stay as they were at start.
 * - A reading that is not a valid graph (a "blocked by" cycle, a bad options block, a limit) is
 *   refused whole: the session goes on with the tasks it had, and the notes say why.
 * An ended session is not changed (start a new one); the caller does not ask.
 */

export type IssueGraphChange =
  | { kind: "unchanged"; notes: string[] }
  | { kind: "refused"; notes: string[] }
  | {
      kind: "changed";
      file: TasksFile;
      /** Task id → issue number, for every task of `file`. */
      issueOf: Record<string, number>;
      /** Tasks that left the session (they had not started). */
      removed: string[];
      notes: string[];
    };

export function applyIssueGraphChange(args: {
  parent: number;
  /** The core state's tasks (a missing entry is a pending task that never started). */
  state: Readonly<Record<string, TaskObservation | undefined>>;
  oldFile: TasksFile;
  /** Task id → issue number, as the session knows them. */
  oldIssueOf: Readonly<Record<string, number>>;
  next: IssueGraphTasks;
}): IssueGraphChange {
  const { parent, state, oldFile, oldIssueOf, next } = args;
  if (!next.ok) {
    const problems = next.problems.length > 0 ? next.problems : ["the sub-issues cannot run"];
    return {
      kind: "refused",
      notes: [
        `the new sub-issue graph of #${parent} was not applied (the session goes on with the tasks it had): ${problems.join("; ")}`,
      ],
    };
  }
  const started = (id: string): boolean => {
    const task = observationOf(state, id);
    return task.status !== "pending" || task.attempts > 0;
  };
  const name = (id: string): string => {
    const number = oldIssueOf[id] ?? next.issueOfTask[id];
    return number === undefined ? id : `#${number}`;
  };
  const oldById = new Map(oldFile.tasks.map((task) => [task.id, task]));
  const nextById = new Map(next.file.tasks.map((task) => [task.id, task]));
  const notes: string[] = [];
  const tasks: Task[] = [];
  const issueOf: Record<string, number> = {};
  const removed: string[] = [];

  for (const old of oldFile.tasks) {
    const fresh = nextById.get(old.id);
    if (started(old.id)) {
      tasks.push(old);
      issueOf[old.id] = oldIssueOf[old.id] ?? next.issueOfTask[old.id] ?? 0;
      if (fresh !== undefined && !sameList(old.dependencies, fresh.dependencies))
        notes.push(`${name(old.id)} has started: its new "blocked by" links are not applied to it`);
      continue;
    }
    if (fresh === undefined) {
      removed.push(old.id);
      notes.push(
        `${name(old.id)} left the session (closed, no longer a sub-issue, or waiting on an open issue)`,
      );
      continue;
    }
    tasks.push(fresh);
    issueOf[old.id] = next.issueOfTask[old.id] ?? oldIssueOf[old.id] ?? 0;
    if (!sameList(old.dependencies, fresh.dependencies)) notes.push(describeLinks(old.id, fresh, name));
    else if (JSON.stringify(old) !== JSON.stringify(fresh))
      notes.push(`${name(old.id)} changed (its text or options): the new version runs`);
  }
  for (const fresh of next.file.tasks) {
    if (oldById.has(fresh.id)) continue;
    tasks.push(fresh);
    issueOf[fresh.id] = next.issueOfTask[fresh.id] ?? 0;
    const links = (fresh.dependencies ?? []).map(name);
    notes.push(
      `${name(fresh.id)} joined the session${links.length > 0 ? `, blocked by ${links.join(", ")}` : ""}`,
    );
  }

  if (notes.length === 0 && tasks.length === oldFile.tasks.length) return { kind: "unchanged", notes: [] };
  const file = validateTasksFile({ ...oldFile, tasks });
  if (file.file === null) {
    // Kept and new tasks are checked together here (e.g. more tasks than a session may have).
    return {
      kind: "refused",
      notes: [
        `the new sub-issue graph of #${parent} was not applied (the session goes on with the tasks it had): ${file.errors.map((error) => error.message).join("; ")}`,
      ],
    };
  }
  if (notes.length === 0) return { kind: "unchanged", notes: [] };
  return { kind: "changed", file: file.file, issueOf, removed, notes };
}

function describeLinks(id: string, task: Task, name: (id: string) => string): string {
  const links = (task.dependencies ?? []).map(name);
  return links.length === 0
    ? `${name(id)} is no longer blocked by anything`
    : `${name(id)} is now blocked by ${links.join(", ")}`;
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const left = [...(a ?? [])].sort();
  const right = [...(b ?? [])].sort();
  return left.length === right.length && left.every((value, index) => value === right[index]);
}
