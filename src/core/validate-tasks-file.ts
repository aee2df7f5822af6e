import type { core } from "zod";
import { closestMatch } from "./closest-match.js";
import { checkGraph } from "./validate-task-graph.js";
import { isRecord, problem, taskLabel, type IssuePath, type Problem } from "./validation-problem.js";
import { taskOptionsSchema, taskSchema, tasksFileSchema, type TasksFile } from "./tasks-schema.js";

/**
 * Checks the parsed content of a tasks file (any JSON value) against the schema and the rules that
 * need the whole file: unknown, duplicate and self dependencies, cycles, branch names. Every
 * problem is found in one pass, also when the schema check fails, so a user fixes a file in one
 * round. Problems carry their path in the document; `parse-tasks-file.ts` turns paths into lines.
 */

export type { IssuePath, Problem } from "./validation-problem.js";

export interface TasksFileValidation {
  /** Set only when there are no errors. */
  file: TasksFile | null;
  errors: Problem[];
  warnings: Problem[];
}

/** Names other tools use for our fields. */
const FIELD_SYNONYMS: Readonly<Record<string, string>> = {
  depends_on: "dependencies",
  dependsOn: "dependencies",
  deps: "dependencies",
  needs: "dependencies",
  requires: "dependencies",
  branch: "branch_name",
  branchName: "branch_name",
  title: "name",
  instructions: "prompt",
  timeout: "timeout_minutes",
  estimate: "estimate_minutes",
  max_parallel: "max_parallel_agents",
  parallel: "max_parallel_agents",
};
const EXPECTED: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
};

export function validateTasksFile(data: unknown): TasksFileValidation {
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  if (!isRecord(data)) {
    errors.push({ path: [], at: "value", message: describeNonObject(data) });
    return { file: null, errors, warnings };
  }
  const rawTasks = Array.isArray(data.tasks) ? (data.tasks as unknown[]) : [];
  const labels = rawTasks.map((raw, index) => taskLabel(raw, index));

  const parsed = tasksFileSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors.push(...describeZodIssue({ issue, data, labels }));
  }
  checkGraph({ root: data, rawTasks, labels, errors, warnings });
  return { file: parsed.success && errors.length === 0 ? parsed.data : null, errors, warnings };
}

function describeNonObject(data: unknown): string {
  const expected = 'the file must be an object with a "tasks" list';
  if (data === null || data === undefined)
    return 'the file is empty: it must be an object with a "tasks" list';
  if (Array.isArray(data)) return `${expected}, not a list; wrap it as { "tasks": [ ... ] }`;
  return `${expected}, not ${show(data)}`;
}

function valueAt(data: unknown, path: IssuePath): unknown {
  let value = data;
  for (const segment of path) {
    if (Array.isArray(value) && typeof segment === "number") value = value[segment];
    else if (isRecord(value) && typeof segment === "string" && Object.hasOwn(value, segment))
      value = value[segment];
    else return undefined;
  }
  return value;
}

function allowedFields(path: IssuePath): string[] {
  if (path.length === 0) return Object.keys(tasksFileSchema.shape);
  if (path.length === 1 && path[0] === "defaults") return Object.keys(taskOptionsSchema.shape);
  if (path.length === 2 && path[0] === "tasks") return Object.keys(taskSchema.shape);
  return [];
}

function describeZodIssue(args: {
  issue: core.$ZodIssue;
  data: unknown;
  labels: readonly string[];
}): Problem[] {
  const { issue, data, labels } = args;
  const path = issue.path.filter((segment) => typeof segment !== "symbol");
  if (issue.code === "unrecognized_keys") {
    const allowed = allowedFields(path);
    return issue.keys.map((key) =>
      problem({
        path: [...path, key],
        at: "key",
        labels,
        message: unknownFieldMessage({ key, allowed, path }),
      }),
    );
  }
  const value = valueAt(data, path);
  const isTasksList = path.length === 1 && path[0] === "tasks";
  if (isTasksList && value === undefined)
    return [
      problem({
        path,
        labels,
        message:
          'is required: list the tasks under "tasks", e.g. { "tasks": [ { "id": "…", "prompt": "…" } ] }',
      }),
    ];
  if (isTasksList && issue.code === "too_big" && Array.isArray(value))
    return [
      problem({
        path,
        labels,
        message: `too many tasks: ${value.length} (the limit is ${String(issue.maximum)})`,
      }),
    ];
  return [problem({ path, labels, message: describeValueIssue(issue, value) })];
}

function unknownFieldMessage(args: { key: string; allowed: string[]; path: IssuePath }): string {
  const { key, allowed, path } = args;
  if (path.length === 1 && path[0] === "defaults" && key in taskSchema.shape)
    return `unknown field: "${key}" can be set on each task, not in "defaults"`;
  const synonym = FIELD_SYNONYMS[key];
  const suggestion =
    synonym !== undefined && allowed.includes(synonym) ? synonym : closestMatch(key, allowed);
  if (suggestion !== undefined) return `unknown field (did you mean "${suggestion}"?)`;
  return allowed.length > 0
    ? `unknown field; the allowed fields are: ${allowed.join(", ")}`
    : "unknown field";
}

const DEFAULT_ZOD_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized)/;

function describeValueIssue(issue: core.$ZodIssue, value: unknown): string {
  // Our schema sets some messages itself (e.g. the id pattern); zod's generic ones are rewritten.
  if (!DEFAULT_ZOD_MESSAGE.test(issue.message)) return issue.message;
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return "is required";
      if (issue.expected === "int") return `must be a whole number (got ${show(value)})`;
      if (issue.expected === "number" && typeof value === "number")
        return `must be a finite number (got ${show(value)})`;
      return `must be ${EXPECTED[issue.expected] ?? issue.expected} (got ${show(value)})`;
    case "too_small": {
      const minimum = String(issue.minimum);
      if (issue.origin === "number")
        return issue.inclusive
          ? `must be at least ${minimum} (got ${show(value)})`
          : `must be greater than ${minimum} (got ${show(value)})`;
      if (issue.origin === "string")
        return minimum === "1" ? "must not be empty" : `must be at least ${minimum} characters long`;
      if (issue.origin === "array") return `must list at least ${minimum} item${minimum === "1" ? "" : "s"}`;
      return issue.message;
    }
    case "too_big": {
      const maximum = String(issue.maximum);
      if (issue.origin === "number") return `must be at most ${maximum} (got ${show(value)})`;
      if (issue.origin === "string" && typeof value === "string")
        return `is too long: ${value.length} characters (the limit is ${maximum})`;
      if (issue.origin === "array" && Array.isArray(value))
        return `lists too many items: ${value.length} (the limit is ${maximum})`;
      return issue.message;
    }
    case "invalid_value": {
      const options = issue.values.map((option) => JSON.stringify(option)).join(", ");
      const suggestion =
        typeof value === "string"
          ? closestMatch(
              value,
              issue.values.filter((option): option is string => typeof option === "string"),
            )
          : undefined;
      return (
        `must be one of ${options} (got ${show(value)})` +
        (suggestion === undefined ? "" : `; did you mean "${suggestion}"?`)
      );
    }
    default:
      return issue.message;
  }
}

/** A value as a user would write it, short: `"abc"`, `1.5`, `a list`, `an object`. */
function show(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    const quoted = JSON.stringify(value);
    return quoted.length > 42 ? `${quoted.slice(0, 40)}…"` : quoted;
  }
  return String(value);
}
