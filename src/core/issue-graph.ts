import { dependencyCycles } from "./dependency-cycles.js";
import { plainLine } from "./inert-text.js";
import {
  issueName,
  sortSubIssues,
  waitingIssues,
  type SortedSubIssues,
  type WaitingIssue,
} from "./issue-graph-edges.js";
import type { IssueGraphSnapshot, SubIssueSnapshot } from "./issue-graph-snapshot.js";
import { PARENT_OPTION_FIELDS, readOptionsBlock, SUB_ISSUE_OPTION_FIELDS } from "./issue-options-block.js";
import { buildTaskGraph, type TaskGraph } from "./task-graph.js";
import { LIMITS, taskOptionsSchema, type TasksFile } from "./tasks-schema.js";
import { validateTasksFile, type Problem } from "./validate-tasks-file.js";

/**
 * An issue graph (a parent issue, its sub-issues and their "blocked by" links) → the tasks file
 * the rest of the system runs: the same validated `TasksFile` and `TaskGraph` that
 * `parseTasksFile` gives, so the session machine, `plan` and the reconciler run it unchanged.
 *
 * - One task per open sub-issue of the parent's repository, id `issue-<number>`; its prompt is
 *   the issue's title and body (without the options block), saying which issue it works on.
 * - Options from a ```orchestrator block in the sub-issue's body; session settings and defaults
 *   for every task from one in the parent's body. Checked by the tasks schema.
 * - Dependencies from "blocked by"; what is done, outside or waiting: see `issue-graph-edges.ts`.
 * - Every problem names its issue (`#14: retries must be at most 10 (got 11)`), all at once.
 */

export type { WaitingIssue } from "./issue-graph-edges.js";

export type IssueGraphTasks =
  | {
      ok: true;
      file: TasksFile;
      graph: TaskGraph;
      /** Task id → issue number, for every task of `file`. */
      issueOfTask: Record<string, number>;
      /** Open sub-issues left out of this session because they wait on an open outside issue. */
      waiting: WaitingIssue[];
      /** Things the user should know that are not errors (closed, nested, other repository). */
      notes: string[];
    }
  | { ok: false; problems: string[]; notes: string[] };

export function taskIdOfIssue(number: number): string {
  return `issue-${number}`;
}

/** Room left in a task name for the title after `#<number> `. */
const MAX_TITLE_IN_NAME = LIMITS.maxNameLength - 12;

export function tasksFromIssueGraph(snapshot: IssueGraphSnapshot): IssueGraphTasks {
  const parent = snapshot.parent.number;
  const problems: string[] = [];
  const sorted = sortSubIssues(snapshot);
  const notes = notesOf(snapshot, sorted);

  if (sorted.open.length === 0) {
    problems.push(
      snapshot.subIssues.length === 0
        ? `#${parent} has no sub-issues: add the work as sub-issues of #${parent} (and link their order with "blocked by")`
        : `#${parent} has no open sub-issues in ${snapshot.repository}: nothing is left to run`,
    );
    return { ok: false, problems, notes };
  }
  if (sorted.open.length > LIMITS.maxTasks) {
    problems.push(
      `#${parent} has too many open sub-issues: ${sorted.open.length} (the limit is ${LIMITS.maxTasks})`,
    );
    return { ok: false, problems, notes };
  }

  const parentBlock = readOptionsBlock(snapshot.parent.body, PARENT_OPTION_FIELDS);
  problems.push(...parentBlock.problems.map((message) => `#${parent}: ${message}`));
  const sessionSettings: Record<string, unknown> = {};
  const defaults: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(parentBlock.options)) {
    if (Object.hasOwn(taskOptionsSchema.shape, field)) defaults[field] = value;
    else sessionSettings[field] = value;
  }

  const writtenAs = new Map<number, Record<string, string>>();
  const tasks = sorted.open.map((sub) => {
    const block = readOptionsBlock(sub.body, SUB_ISSUE_OPTION_FIELDS);
    problems.push(...block.problems.map((message) => `#${sub.number}: ${message}`));
    writtenAs.set(sub.number, block.writtenAs);
    const dependencies = (sorted.dependencies.get(sub.number) ?? []).map(taskIdOfIssue);
    return {
      ...block.options,
      id: taskIdOfIssue(sub.number),
      name: `#${sub.number} ${plainLine(sub.title, MAX_TITLE_IN_NAME)}`.trim(),
      prompt: promptOf({ snapshot, sub, text: block.text }),
      ...(dependencies.length > 0 ? { dependencies } : {}),
    };
  });
  const raw = {
    ...sessionSettings,
    ...(Object.keys(defaults).length > 0 ? { defaults } : {}),
    tasks,
  };

  // Every problem at once: options and limits of every issue, and every cycle.
  const numberOfTask = new Map(sorted.open.map((sub) => [taskIdOfIssue(sub.number), sub.number]));
  const validation = validateTasksFile(raw);
  for (const found of validation.errors) {
    // Cycles are reported below, by issue.
    if (found.message.startsWith("dependency cycle")) continue;
    problems.push(
      describeProblem({ found, numberOfTask, writtenAs, parent, parentWrittenAs: parentBlock.writtenAs }),
    );
  }
  for (const { cycle, tangled } of dependencyCycles(
    tasks.map((task) => ({ id: task.id, dependencies: task.dependencies ?? [] })),
  )) {
    const path = cycle.map((id) => `#${numberOfTask.get(id) ?? id}`).join(" → ");
    const more =
      tangled.length === 0
        ? ""
        : ` (also caught with ${tangled.map((id) => `#${numberOfTask.get(id) ?? id}`).join(", ")})`;
    problems.push(`"blocked by" cycle: ${path}, each blocked by the next${more}; remove one of these links`);
  }
  if (problems.length > 0) return { ok: false, problems, notes };

  const waiting = waitingIssues(sorted, parent);
  const waitingSet = new Set(waiting.map((entry) => taskIdOfIssue(entry.issue)));
  const runnable = tasks.filter((task) => !waitingSet.has(task.id));
  if (runnable.length === 0) {
    const why = waiting
      .filter((entry) => !entry.waitsOn.every((reason) => reason.endsWith("(waiting)")))
      .map((entry) => `#${entry.issue} waits on ${entry.waitsOn.join(", ")}`);
    problems.push(`no sub-issue of #${parent} can start yet: ${why.join("; ")}`);
    return { ok: false, problems, notes };
  }
  // A task that waits takes its dependents with it, so the runnable tasks depend only on each other.
  const file = validateTasksFile({ ...raw, tasks: runnable });
  if (file.file === null) {
    // Unreachable: removing whole tasks with their dependents keeps a valid file valid.
    return { ok: false, problems: file.errors.map((found) => found.message), notes };
  }
  const issueOfTask: Record<string, number> = {};
  for (const task of file.file.tasks) issueOfTask[task.id] = numberOfTask.get(task.id) as number;
  return { ok: true, file: file.file, graph: buildTaskGraph(file.file), issueOfTask, waiting, notes };
}

/** What the agent is asked: which issue, as part of what, then the issue's own words. */
function promptOf(args: { snapshot: IssueGraphSnapshot; sub: SubIssueSnapshot; text: string }): string {
  const { snapshot, sub, text } = args;
  const title = plainLine(sub.title, 1_000);
  const parentTitle = plainLine(snapshot.parent.title, 1_000);
  return [
    `Work on GitHub issue #${sub.number} of ${snapshot.repository}: ${title}`,
    `It is one step of #${snapshot.parent.number} (${parentTitle}); the issues it was blocked by are done.`,
    `Change the code so that #${sub.number} is resolved. The issue's description follows.`,
    "",
    text === "" ? "(The issue has no description beyond its title.)" : text,
  ].join("\n");
}

const FIELD_WORDS: Readonly<Record<string, string>> = {
  dependencies: '"blocked by"',
  prompt: "the issue's text",
  name: "the title",
};

function describeProblem(args: {
  found: Problem;
  numberOfTask: ReadonlyMap<string, number>;
  writtenAs: ReadonlyMap<number, Record<string, string>>;
  parent: number;
  parentWrittenAs: Record<string, string>;
}): string {
  const { found, numberOfTask, writtenAs, parent, parentWrittenAs } = args;
  const number = found.task === undefined ? undefined : numberOfTask.get(found.task);
  if (number === undefined) {
    // A session setting or default, from the parent's block.
    const field = (found.field ?? "").replace(/^defaults\./, "");
    const name = parentWrittenAs[field] ?? field;
    return `#${parent}: ${name === "" ? "" : `${name} `}${found.message}`;
  }
  const field = found.field ?? "";
  const name = writtenAs.get(number)?.[field] ?? FIELD_WORDS[field] ?? field;
  return `#${number}: ${name === "" ? "" : `${name} `}${found.message}`;
}

function notesOf(snapshot: IssueGraphSnapshot, sorted: SortedSubIssues): string[] {
  const parent = snapshot.parent.number;
  const notes: string[] = [];
  if (sorted.closed.length > 0)
    notes.push(
      `${sorted.closed.length} closed sub-issue${sorted.closed.length === 1 ? " is" : "s are"} done already: ${sorted.closed.map((sub) => `#${sub.number}`).join(", ")}`,
    );
  for (const sub of sorted.otherRepository)
    notes.push(`${issueName(sub)} is a sub-issue of #${parent} in another repository: it does not run here`);
  for (const sub of sorted.open)
    if ((sub.subIssueCount ?? 0) > 0)
      notes.push(
        `#${sub.number} has sub-issues of its own: it runs as one task (only direct sub-issues of #${parent} are tasks)`,
      );
  return notes;
}
