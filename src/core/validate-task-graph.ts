import { branchNameProblem } from "./branch-name.js";
import { closestMatch } from "./closest-match.js";
import { dependencyCycles } from "./dependency-cycles.js";
import { defaultBranchName } from "./task-graph.js";
import { taskSchema } from "./tasks-schema.js";
import { isRecord, problem, taskPhrase, type Problem } from "./validation-problem.js";

/** The checks that need the whole file: dependencies (unknown, duplicate, self), cycles, branches. */

/** Finding the closest id is O(tasks) per unknown dependency; a hopelessly broken huge file gets no more. */
const MAX_SUGGESTIONS = 50;

export interface GraphCheck {
  root: Record<string, unknown>;
  rawTasks: readonly unknown[];
  labels: readonly string[];
  errors: Problem[];
  warnings: Problem[];
}

/** The rules that need the whole file. They read the raw data, so they also run on files the schema rejects. */
export function checkGraph(check: GraphCheck): void {
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
