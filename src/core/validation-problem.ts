/**
 * A problem found in a tasks file, located by its path in the document and named by task and
 * field: the shape every check of `validate-tasks-file.ts` and `validate-task-graph.ts` reports.
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

export function taskLabel(raw: unknown, index: number): string {
  if (isRecord(raw) && typeof raw.id === "string" && raw.id.trim() !== "") return raw.id;
  return `#${index + 1}`;
}

export function taskPhrase(label: string): string {
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

export function problem(args: {
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

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
