/**
 * What GitHub reads from `.github/workflows/*.yml` when dispatching: the workflow's name, its
 * `run-name`, and whether and with which inputs it accepts `workflow_dispatch`.
 */
import { parse } from "yaml";
import { isRecord } from "./schema-validator.js";
import type { FakeCommit } from "./state.js";

export interface WorkflowInputSpec {
  readonly required: boolean;
  readonly default: string | undefined;
  readonly type: string;
  readonly options: readonly string[] | undefined;
}

export interface WorkflowFile {
  readonly path: string;
  /** `name:`, or the path when absent (GitHub shows the path). */
  readonly name: string;
  readonly runName: string | undefined;
  readonly dispatchable: boolean;
  readonly inputs: ReadonlyMap<string, WorkflowInputSpec>;
  /** The jobs, in file order: key, `name:` (an expression template, or the key) and `runs-on` labels. */
  readonly jobs: readonly WorkflowJobSpec[];
}

export interface WorkflowJobSpec {
  readonly key: string;
  readonly nameTemplate: string;
  readonly labels: readonly string[];
}

export function workflowPaths(commit: FakeCommit): string[] {
  return [...commit.files.keys()].filter((path) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(path)).sort();
}

export function readWorkflowFile(path: string, text: string): WorkflowFile {
  let document: unknown;
  try {
    document = parse(text);
  } catch {
    document = undefined;
  }
  const root = isRecord(document) ? document : {};
  const on = root.on;
  const dispatch = isRecord(on) ? on.workflow_dispatch : undefined;
  const dispatchable =
    on === "workflow_dispatch" ||
    (Array.isArray(on) && on.includes("workflow_dispatch")) ||
    (isRecord(on) && "workflow_dispatch" in on);
  const inputs = new Map<string, WorkflowInputSpec>();
  const declared = isRecord(dispatch) && isRecord(dispatch.inputs) ? dispatch.inputs : {};
  for (const [name, raw] of Object.entries(declared)) {
    const spec = isRecord(raw) ? raw : {};
    inputs.set(name, {
      required: spec.required === true,
      default: spec.default === undefined || spec.default === null ? undefined : String(spec.default),
      type: typeof spec.type === "string" ? spec.type : "string",
      options: Array.isArray(spec.options) ? spec.options.map(String) : undefined,
    });
  }
  const jobs: WorkflowJobSpec[] = Object.entries(isRecord(root.jobs) ? root.jobs : {}).map(([key, raw]) => {
    const job = isRecord(raw) ? raw : {};
    const runsOn = job["runs-on"];
    return {
      key,
      nameTemplate: typeof job.name === "string" ? job.name : key,
      labels: typeof runsOn === "string" ? [runsOn] : Array.isArray(runsOn) ? runsOn.map(String) : [],
    };
  });
  return {
    path,
    name: typeof root.name === "string" ? root.name : path,
    jobs,
    runName: typeof root["run-name"] === "string" ? root["run-name"] : undefined,
    dispatchable,
    inputs,
  };
}

/**
 * Evaluates `run-name` (and a job's `name:`) for the expressions a dispatch can use: `inputs.X`,
 * `github.event.inputs.X`, `github.actor`, `github.ref_name`, and the choice
 * `inputs.X == 'v' && 'then' || 'else'`. Anything else becomes empty, as
 * an unknown context value does in Actions.
 */
export function renderRunName(input: {
  template: string;
  inputs: Readonly<Record<string, string>>;
  actor: string;
  refName: string;
}): string {
  return input.template.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_whole, expression: string) => {
    const inputMatch = /^(?:github\.event\.)?inputs\.([A-Za-z_][\w-]*)$/.exec(expression);
    if (inputMatch !== null) return input.inputs[inputMatch[1] ?? ""] ?? "";
    // `inputs.X == 'v' && 'then' || 'else'` (the task workflow's restack suffix).
    const choice =
      /^(?:github\.event\.)?inputs\.([A-Za-z_][\w-]*) == '([^']*)' && '([^']*)' \|\| '([^']*)'$/.exec(
        expression,
      );
    if (choice !== null)
      return (input.inputs[choice[1] ?? ""] ?? "") === choice[2] ? (choice[3] ?? "") : (choice[4] ?? "");
    if (expression === "github.actor") return input.actor;
    if (expression === "github.ref_name") return input.refName;
    return "";
  });
}
