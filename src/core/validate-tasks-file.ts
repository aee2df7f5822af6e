import type { core } from "zod";
import { branchNameProblem } from "./branch-name.js";
import { closestMatch } from "./closest-match.js";
import { dependencyCycles } from "./dependency-cycles.js";
import { defaultBranchName } from "./task-graph.js";
import { taskOptionsSchema, taskSchema, tasksFileSchema, type TasksFile } from "./tasks-schema.js";

/**
 * Checks the parsed content of a tasks file (any JSON value) against the schema and the rules that
 * need the whole file: unknown, duplicate and self dependencies, cycles, branch names. Every
 * problem is found in one pass, also when the schema check fails, so a user fixes a file in one
 * round. Problems carry their path in the document; `parse-tasks-file.ts` turns paths into lines.
 */

export type IssuePath = Array<string | number>;

export interface Problem {
  path: IssuePath;
  /** Point at the key (unknown fields, duplicates) or at the value. */
  at: "key" | "value";
  task?: string;
  field?: string;
  message: string;
  /** A related place (e.g. the first task using a duplicated id), shown as "(see line N)". */
  seeAlso?: IssuePath;
}

export interface TasksFileValidation {
  /** Set only when there are no errors. */
  file: TasksFile | null;
  errors: Problem[];
  warnings: Problem[];
}

/** Finding the closest id is O(tasks) per unknown dependency; a hopelessly broken huge file gets no more. */
const MAX_SUGGESTIONS = 50;
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

function taskLabel(raw: unknown, index: number): string {
  if (isRecord(raw) && typeof raw.id === "string" && raw.id.trim() !== "") return raw.id;
  return `#${index + 1}`;
}

function taskPhrase(label: string): string {
  return label.startsWith("#") ? `task ${label}` : `task ${JSON.stringify(label)}`;
}

/** Who a path belongs to: the task (by label), the field (`defaults.retries`), and a list item (1-based). */
function subjectOf(
  path: IssuePath,
  labels: readonly string[],
): { task?: string; field?: string; item?: number } {
  let rest = path;
  const subject: { task?: string; field?: string; item?: number } = {};
  if (path[0] === "tasks" && typeof path[1] === "number") {
    subject.task = labels[path[1]] ?? `#${path[1] + 1}`;
    rest = path.slice(2);
  }
  const field = rest.filter((segment) => typeof segment === "string").join(".");
  if (field !== "") subject.field = field;
  const last = rest[rest.length - 1];
  if (typeof last === "number" && rest.length > 0) subject.item = last + 1;
  return subject;
}

function problem(args: {
  path: IssuePath;
  at?: "key" | "value";
  labels: readonly string[];
  message: string;
  seeAlso?: IssuePath;
  /** Schema messages ("must be a string") need "item 2" in a list; graph messages quote the value. */
  namesItem?: boolean;
}): Problem {
  const { item, ...subject } = subjectOf(args.path, args.labels);
  const result: Problem = {
    path: args.path,
    at: args.at ?? "value",
    ...subject,
    message: item === undefined || args.namesItem === false ? args.message : `item ${item} ${args.message}`,
  };
  if (args.seeAlso) result.seeAlso = args.seeAlso;
  return result;
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

interface GraphCheck {
  root: Record<string, unknown>;
  rawTasks: readonly unknown[];
  labels: readonly string[];
  errors: Problem[];
  warnings: Problem[];
}

/** The rules that need the whole file. They read the raw data, so they also run on files the schema rejects. */
function checkGraph(check: GraphCheck): void {
  const { rawTasks, labels, errors } = check;
  const firstIndex = new Map<string, number>();
  rawTasks.forEach((raw, index) => {
    if (!isRecord(raw) || typeof raw.id !== "string" || raw.id === "") return;
    const first = firstIndex.get(raw.id);
    if (first === undefined) {
      firstIndex.set(raw.id, index);
      return;
    }
    errors.push(
      problem({
        path: ["tasks", index, "id"],
        labels,
        message: `duplicate id: ${taskPhrase(`#${first + 1}`)} already uses it`,
        seeAlso: ["tasks", first, "id"],
      }),
    );
  });
  checkDependencies(check, firstIndex);
  checkBranches(check, firstIndex);
}

function checkDependencies(check: GraphCheck, firstIndex: ReadonlyMap<string, number>): void {
  const { rawTasks, labels, errors, warnings } = check;
  const graphTasks: Array<{ id: string; dependencies: string[] }> = [];
  const dependencyPosition = new Map<string, Map<string, number>>();
  let suggestionsLeft = MAX_SUGGESTIONS;
  rawTasks.forEach((raw, index) => {
    if (!isRecord(raw)) return;
    const id = typeof raw.id === "string" && raw.id !== "" ? raw.id : undefined;
    const isFirst = id !== undefined && firstIndex.get(id) === index;
    const known: string[] = [];
    const positions = new Map<string, number>();
    const list: unknown[] = Array.isArray(raw.dependencies) ? raw.dependencies : [];
    list.forEach((dep, j) => {
      if (typeof dep !== "string") return;
      const path = ["tasks", index, "dependencies", j];
      if (positions.has(dep)) {
        warnings.push(problem({ path, labels, namesItem: false, message: `"${dep}" is listed twice` }));
        return;
      }
      positions.set(dep, j);
      if (dep === id) {
        errors.push(problem({ path, labels, namesItem: false, message: "a task cannot depend on itself" }));
      } else if (!firstIndex.has(dep)) {
        const suggestion = suggestionsLeft-- > 0 ? closestMatch(dep, firstIndex.keys()) : undefined;
        const hint =
          suggestion !== undefined
            ? ` (did you mean "${suggestion}"?)`
            : firstIndex.size <= 10
              ? ` (the tasks are: ${[...firstIndex.keys()].join(", ")})`
              : "";
        errors.push(problem({ path, labels, namesItem: false, message: `unknown task "${dep}"${hint}` }));
      } else {
        known.push(dep);
      }
    });
    if (isFirst) {
      graphTasks.push({ id, dependencies: known });
      dependencyPosition.set(id, positions);
    }
  });

  for (const { cycle, tangled } of dependencyCycles(graphTasks)) {
    const [from, to] = cycle as [string, string];
    const index = firstIndex.get(from) as number;
    const j = dependencyPosition.get(from)?.get(to) ?? 0;
    const more =
      tangled.length === 0
        ? ""
        : ` (also caught in cycles with these: ${tangled.slice(0, 10).join(", ")}${tangled.length > 10 ? `, and ${tangled.length - 10} more` : ""})`;
    errors.push(
      problem({
        path: ["tasks", index, "dependencies", j],
        labels,
        namesItem: false,
        message: `dependency cycle: ${cyclePath(cycle)}${more}`,
      }),
    );
  }
}

/** A cycle as `a → b → c → a`; a very long one keeps its start and end, and counts the rest. */
function cyclePath(cycle: readonly string[]): string {
  if (cycle.length <= 12) return cycle.join(" → ");
  const hidden = cycle.length - 11;
  return [...cycle.slice(0, 8), `… ${hidden} more …`, ...cycle.slice(-3)].join(" → ");
}

interface BranchUse {
  index: number;
  branch: string;
  /** `branch_name` when set explicitly, else `id` (the default `orchestrator/<id>`). */
  field: "branch_name" | "id";
}

function checkBranches(check: GraphCheck, firstIndex: ReadonlyMap<string, number>): void {
  const { root, rawTasks, labels, errors, warnings } = check;
  const uses: BranchUse[] = [];
  rawTasks.forEach((raw, index) => {
    if (!isRecord(raw)) return;
    if (typeof raw.branch_name === "string") {
      const reason = branchNameProblem(raw.branch_name);
      if (reason === undefined) uses.push({ index, branch: raw.branch_name, field: "branch_name" });
      else
        errors.push(
          problem({
            path: ["tasks", index, "branch_name"],
            labels,
            message: `${JSON.stringify(raw.branch_name)} is not a valid git branch name: ${reason}`,
          }),
        );
      return;
    }
    // Only ids the schema accepts get a default branch; the schema reports the others.
    if (raw.branch_name !== undefined || typeof raw.id !== "string" || firstIndex.get(raw.id) !== index)
      return;
    if (!taskSchema.shape.id.safeParse(raw.id).success) return;
    const branch = defaultBranchName(raw.id);
    const reason = branchNameProblem(branch);
    if (reason === undefined) uses.push({ index, branch, field: "id" });
    else
      errors.push(
        problem({
          path: ["tasks", index, "id"],
          labels,
          message: `the default branch "${branch}" is not a valid git branch name (${reason}); rename the task or set "branch_name"`,
        }),
      );
  });

  const describe = (use: BranchUse) =>
    use.field === "branch_name" ? `branch "${use.branch}"` : `its default branch "${use.branch}"`;
  const byName = new Map<string, BranchUse>();
  const byLowerCase = new Map<string, BranchUse>();
  for (const use of uses) {
    const path = ["tasks", use.index, use.field];
    const first = byName.get(use.branch);
    if (first !== undefined) {
      errors.push(
        problem({
          path,
          labels,
          message: `${describe(use)} is also the branch of ${taskPhrase(labels[first.index] as string)}; each task needs its own branch`,
          seeAlso: ["tasks", first.index, first.field],
        }),
      );
      continue;
    }
    byName.set(use.branch, use);
    const lower = use.branch.toLowerCase();
    const sameButCase = byLowerCase.get(lower);
    if (sameButCase !== undefined)
      warnings.push(
        problem({
          path,
          labels,
          message: `${describe(use)} differs from the branch "${sameButCase.branch}" of ${taskPhrase(labels[sameButCase.index] as string)} only in letter case; they clash on macOS and Windows`,
          seeAlso: ["tasks", sameButCase.index, sameButCase.field],
        }),
      );
    else byLowerCase.set(lower, use);
  }
  // git stores refs/heads/a as a file, so refs/heads/a/b cannot exist beside it.
  for (const use of byName.values()) {
    for (let slash = use.branch.indexOf("/"); slash !== -1; slash = use.branch.indexOf("/", slash + 1)) {
      const outer = byName.get(use.branch.slice(0, slash));
      if (outer === undefined) continue;
      errors.push(
        problem({
          path: ["tasks", use.index, use.field],
          labels,
          message: `${describe(use)} cannot exist beside the branch "${outer.branch}" of ${taskPhrase(labels[outer.index] as string)}: git cannot keep a branch inside another branch's name`,
          seeAlso: ["tasks", outer.index, outer.field],
        }),
      );
    }
  }

  if (typeof root.base_branch === "string") {
    const reason = branchNameProblem(root.base_branch);
    if (reason !== undefined)
      errors.push(
        problem({
          path: ["base_branch"],
          labels,
          message: `${JSON.stringify(root.base_branch)} is not a valid git branch name: ${reason}`,
        }),
      );
    const clash = byName.get(root.base_branch);
    if (clash !== undefined)
      errors.push(
        problem({
          path: ["tasks", clash.index, clash.field],
          labels,
          message: `${describe(clash)} is the file's base_branch; a task needs a branch of its own`,
        }),
      );
  }
}
