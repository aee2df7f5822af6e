import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { MAX_JSON_DEPTH, scanJson, type JsonPath } from "./json-source-map.js";
import { sourcePosition, type SourcePosition } from "./source-position.js";
import { buildTaskGraph, type TaskGraph } from "./task-graph.js";
import type { TasksFile } from "./tasks-schema.js";
import { validateTasksFile, type IssuePath, type Problem } from "./validate-tasks-file.js";
import { deepYamlNestingOffset } from "./yaml-nesting.js";
import type { ValidationIssue } from "./validation-issue.js";

/**
 * Text of a tasks file → a validated file and its graph, or every problem with its line and column.
 * Pure (no fs): the CLI, the App and the Action read the text their own way and call this.
 */

/** A tasks file is a few hundred kilobytes at most; 5 MB holds 10,000 tasks with room to spare. */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
/** Past this many, more lines help nobody; the last issue says how many were left out. */
export const MAX_REPORTED_ISSUES = 1_000;
const MAX_SYNTAX_ERRORS = 10;

export type ParseTasksFileResult =
  | { ok: true; file: TasksFile; graph: TaskGraph; warnings: ValidationIssue[] }
  | { ok: false; issues: ValidationIssue[] };

type Locate = (path: IssuePath, at: "key" | "value") => SourcePosition | undefined;

interface Loaded {
  value: unknown;
  locate: Locate;
  /** Problems found while reading (duplicate keys) and warnings of the YAML parser. */
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

export function parseTasksFile(input: { text: string; fileName: string }): ParseTasksFileResult {
  const { fileName } = input;
  try {
    return parse(input);
  } catch (error) {
    // The checks above are written not to throw; this keeps a bug (or a stack overflow on a
    // pathologically nested YAML file) a reported problem instead of a crash.
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, issues: [{ file: fileName, message: `could not read the tasks file: ${reason}` }] };
  }
}

function parse(input: { text: string; fileName: string }): ParseTasksFileResult {
  const { fileName } = input;
  const fail = (message: string, position?: SourcePosition): ParseTasksFileResult => ({
    ok: false,
    issues: [{ file: fileName, ...position, message }],
  });
  const size = utf8Length(input.text);
  if (size > MAX_FILE_BYTES) return fail(tooLargeReason(size));
  // Editors on Windows may save a byte order mark; JSON.parse rejects it and no one can see it.
  const text = input.text.startsWith("\uFEFF") ? input.text.slice(1) : input.text;
  if (text.trim() === "") return fail('the file is empty: it must be an object with a "tasks" list');

  const loaded = load(text, fileName);
  if ("issues" in loaded) return { ok: false, issues: loaded.issues };

  const validation = validateTasksFile(loaded.value);
  const toIssue = (found: Problem): ValidationIssue => {
    const issue: ValidationIssue = { file: fileName, message: found.message };
    if (found.task !== undefined) issue.task = found.task;
    if (found.field !== undefined) issue.field = found.field;
    const position = loaded.locate(found.path, found.at);
    if (position) {
      issue.line = position.line;
      issue.column = position.column;
    }
    const related = found.seeAlso ? loaded.locate(found.seeAlso, "value") : undefined;
    if (related) issue.message = `${found.message} (see line ${related.line})`;
    return issue;
  };
  const errors = [...loaded.errors, ...validation.errors.map(toIssue)];
  const warnings = sortIssues([...loaded.warnings, ...validation.warnings.map(toIssue)]);
  if (errors.length > 0 || validation.file === null) {
    if (errors.length === 0) errors.push({ file: fileName, message: "the file is not a valid tasks file" });
    return { ok: false, issues: capIssues(sortIssues(errors), fileName) };
  }
  return { ok: true, file: validation.file, graph: buildTaskGraph(validation.file), warnings };
}

type Format = "json" | "yaml";

function formatOf(fileName: string): Format | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  return undefined;
}

function load(text: string, fileName: string): Loaded | { issues: ValidationIssue[] } {
  const format = formatOf(fileName);
  if (format === "json") return loadJson(text, fileName);
  if (format === "yaml") return loadYaml(text, fileName);
  // Unknown extension: JSON if it parses as JSON or looks like it, else YAML.
  const json = loadJson(text, fileName);
  if (!("issues" in json) || /^\s*[[{]/.test(text)) return json;
  return loadYaml(text, fileName);
}

function loadJson(text: string, fileName: string): Loaded | { issues: ValidationIssue[] } {
  // Line starts are only needed once there is something to report.
  let positionOf: ((offset: number) => SourcePosition) | undefined;
  const position = (offset: number) => (positionOf ??= sourcePosition(text))(offset);
  const scan = scanJson(text);
  if (!scan.ok && scan.tooDeep)
    return { issues: [{ file: fileName, ...position(scan.offset), message: scan.message }] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (!scan.ok)
      return {
        issues: [{ file: fileName, ...position(scan.offset), message: `JSON syntax error: ${scan.message}` }],
      };
    // The scanner accepted what JSON.parse rejected: trust JSON.parse, without a position.
    const reason = error instanceof Error ? error.message : String(error);
    return { issues: [{ file: fileName, message: `JSON syntax error: ${reason}` }] };
  }
  if (!scan.ok) return { value, locate: () => undefined, errors: [], warnings: [] };
  const locate: Locate = (path, at) => {
    // A missing field points at its object: walk up to the nearest part that exists.
    for (let length = path.length; length >= 0; length--) {
      const offset = scan.locate(path.slice(0, length), length === path.length ? at : "value");
      if (offset !== undefined) return position(offset);
    }
    return undefined;
  };
  const errors = scan.duplicateKeys.map(({ path, key }) =>
    issueAt({
      fileName,
      path: [...path, key],
      locate,
      value,
      message: "appears twice in one object (JSON would silently keep only the last)",
    }),
  );
  return { value, locate, errors, warnings: [] };
}

function loadYaml(text: string, fileName: string): Loaded | { issues: ValidationIssue[] } {
  // Our own line index, not yaml's LineCounter: after a syntax error the lexer can skip line
  // breaks, and its positions then drift past the text (found by the fuzz test).
  const position = sourcePosition(text);
  const deep = deepYamlNestingOffset(text, MAX_JSON_DEPTH);
  if (deep !== undefined) {
    const { line, column } = position(deep);
    return {
      issues: [
        { file: fileName, line, column, message: `the file nests deeper than ${MAX_JSON_DEPTH} levels` },
      ],
    };
  }
  // `merge`: YAML 1.1 merge keys (`<<: *shared`) are a common way to share settings between tasks.
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, merge: true });
  const fromYamlError = (error: {
    code: string;
    message: string;
    pos: [number, number];
  }): ValidationIssue => {
    const message =
      error.code === "DUPLICATE_KEY"
        ? "this key appears twice in one mapping"
        : `YAML syntax error: ${firstLine(error.message)}`;
    const { line, column } = position(error.pos[0]);
    return { file: fileName, line, column, message };
  };
  if (doc.errors.length > 0) {
    // After the first few, YAML syntax errors are mostly echoes of the first one.
    const shown = doc.errors.slice(0, MAX_SYNTAX_ERRORS).map(fromYamlError);
    const left = doc.errors.length - shown.length;
    if (left > 0) shown.push({ file: fileName, message: `${left} more YAML syntax errors are not shown` });
    return { issues: shown };
  }
  let value: unknown;
  try {
    // Aliases are expanded: the limit stops "billion laughs" files from using all memory.
    value = doc.toJS({ maxAliasCount: 1_000 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { issues: [{ file: fileName, message: `YAML error: ${reason}` }] };
  }
  const locate: Locate = (path, at) => {
    const offset = yamlOffset(doc, path, at);
    return offset === undefined ? undefined : position(offset);
  };
  return {
    value,
    locate,
    errors: [],
    warnings: doc.warnings.map((warning) => ({
      ...fromYamlError(warning),
      message: firstLine(warning.message),
    })),
  };
}

/** yaml's pretty messages end with " at line L, column C:" and a code excerpt; the issue has both already. */
function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
}

/** Offset of the node at `path` (or of its key), or of the deepest part of the path that exists. */
function yamlOffset(doc: Document, path: JsonPath, at: "key" | "value"): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (let k = 0; k < path.length; k++) {
    if (isAlias(node)) node = node.resolve(doc);
    const segment = path[k];
    let keyNode: unknown;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.findLast((item) => {
        const key = isScalar(item.key) ? item.key.value : item.key;
        return String(key) === String(segment);
      });
      if (pair === undefined) return offset;
      keyNode = pair.key;
      next = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      next = node.items[segment];
      if (next === undefined) return offset;
    } else {
      return offset;
    }
    const isLast = k === path.length - 1;
    if (isLast && at === "key" && keyNode !== undefined) return rangeStart(keyNode) ?? offset;
    offset = rangeStart(next) ?? rangeStart(keyNode) ?? offset;
    node = next;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== "object" || node === null || !("range" in node)) return undefined;
  const range = (node as { range?: unknown }).range;
  return Array.isArray(range) && typeof range[0] === "number" ? range[0] : undefined;
}

function issueAt(args: {
  fileName: string;
  path: IssuePath;
  locate: Locate;
  value: unknown;
  message: string;
}): ValidationIssue {
  const issue: ValidationIssue = { file: args.fileName, message: args.message };
  const [first, index] = args.path;
  let rest = args.path;
  if (first === "tasks" && typeof index === "number") {
    const tasks = (args.value as { tasks?: unknown }).tasks;
    const raw: unknown = Array.isArray(tasks) ? tasks[index] : undefined;
    const id = typeof raw === "object" && raw !== null ? (raw as { id?: unknown }).id : undefined;
    issue.task = typeof id === "string" && id.trim() !== "" ? id : `#${index + 1}`;
    rest = args.path.slice(2);
  }
  const field = rest.filter((segment) => typeof segment === "string").join(".");
  if (field !== "") issue.field = field;
  const position = args.locate(args.path, "key");
  if (position) {
    issue.line = position.line;
    issue.column = position.column;
  }
  return issue;
}

function sortIssues(issues: ValidationIssue[]): ValidationIssue[] {
  return issues
    .map((issue, order) => ({ issue, order }))
    .sort(
      (a, b) =>
        (a.issue.line ?? 0) - (b.issue.line ?? 0) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.order - b.order,
    )
    .map(({ issue }) => issue);
}

function capIssues(issues: ValidationIssue[], fileName: string): ValidationIssue[] {
  if (issues.length <= MAX_REPORTED_ISSUES) return issues;
  const shown = issues.slice(0, MAX_REPORTED_ISSUES - 1);
  const left = issues.length - shown.length;
  return [
    ...shown,
    { file: fileName, message: `${left} more problems are not shown; fix the ones above first` },
  ];
}

function utf8Length(text: string): number {
  // UTF-8 needs at most 3 bytes per UTF-16 unit: most files are surely under the limit uncounted.
  if (text.length * 3 <= MAX_FILE_BYTES) return text.length;
  return new TextEncoder().encode(text).length;
}

/** Why a tasks file that is a symbolic link is refused (the CLI, the App and the Action say it alike). */
export const SYMLINK_REASON =
  "is a symbolic link; a tasks file must be a regular file: name the file itself, not a link to it";

/** Why a tasks file of `bytes` is refused: over `MAX_FILE_BYTES`. */
export function tooLargeReason(bytes: number): string {
  return `the file is ${formatMegabytes(bytes)}; the limit is ${formatMegabytes(MAX_FILE_BYTES)}`;
}

export function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;
}
