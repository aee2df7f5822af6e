import { DEFAULTS, type BaseStrategy, type TasksFile } from "./tasks-schema.js";

/** A task with the file's defaults applied: what every other part of the system works with. */
export interface ResolvedTask {
  id: string;
  name: string;
  description: string;
  prompt: string;
  branch: string;
  dependencies: string[];
  estimateMinutes: number;
  timeoutMinutes: number;
  retries: number;
  base: BaseStrategy;
  allowNoChanges: boolean;
  model?: string;
  maxTurns?: number;
  maxBudgetUsd?: number;
  allowedTools?: string[];
  /** `reset_existing`: the task may replace an existing branch holding others' commits. */
  resetExisting?: boolean;
}

export interface TaskGraph {
  /** Tasks in file order. */
  tasks: ResolvedTask[];
  byId: ReadonlyMap<string, ResolvedTask>;
  dependents: ReadonlyMap<string, readonly string[]>;
  /** Topological order; ties keep file order. */
  order: readonly string[];
  /** Longest path from the task to any sink, the task's own estimate included (critical-path priority). */
  remaining: ReadonlyMap<string, number>;
  maxParallelAgents: number;
  baseBranch?: string;
  budgetUsd?: number;
}

export function defaultBranchName(id: string): string {
  return `${DEFAULTS.branchPrefix}${id}`;
}

export function resolveTasks(file: TasksFile): ResolvedTask[] {
  const defaults = file.defaults ?? {};
  return file.tasks.map((task) => {
    const resolved: ResolvedTask = {
      id: task.id,
      name: task.name?.trim() || task.id,
      description: task.description ?? "",
      prompt: task.prompt,
      branch: task.branch_name ?? defaultBranchName(task.id),
      dependencies: [...new Set(task.dependencies ?? [])],
      estimateMinutes: task.estimate_minutes ?? DEFAULTS.estimateMinutes,
      timeoutMinutes: task.timeout_minutes ?? defaults.timeout_minutes ?? DEFAULTS.timeoutMinutes,
      retries: task.retries ?? defaults.retries ?? DEFAULTS.retries,
      base: task.base ?? defaults.base ?? DEFAULTS.base,
      allowNoChanges: task.allow_no_changes ?? defaults.allow_no_changes ?? false,
    };
    const model = task.model ?? defaults.model;
    const maxTurns = task.max_turns ?? defaults.max_turns;
    const maxBudgetUsd = task.max_budget_usd ?? defaults.max_budget_usd;
    const allowedTools = task.allowed_tools ?? defaults.allowed_tools;
    if (model !== undefined) resolved.model = model;
    if (maxTurns !== undefined) resolved.maxTurns = maxTurns;
    if (maxBudgetUsd !== undefined) resolved.maxBudgetUsd = maxBudgetUsd;
    if (allowedTools !== undefined) resolved.allowedTools = allowedTools;
    if (task.reset_existing === true) resolved.resetExisting = true;
    return resolved;
  });
}

export class GraphCycleError extends Error {
  constructor(readonly cycle: string[]) {
    super(`dependency cycle: ${cycle.join(" → ")}`);
    this.name = "GraphCycleError";
  }
}

/**
 * Builds the graph of a file that passed validation. Unknown dependencies and cycles are
 * programming errors here (validation reports them to users first), so they throw.
 */
export function buildTaskGraph(file: TasksFile): TaskGraph {
  return graphFromTasks(resolveTasks(file), {
    maxParallelAgents: file.max_parallel_agents ?? DEFAULTS.maxParallelAgents,
    baseBranch: file.base_branch,
    budgetUsd: file.budget_usd,
  });
}

export function graphFromTasks(
  tasks: ResolvedTask[],
  settings: {
    maxParallelAgents?: number;
    baseBranch?: string | undefined;
    budgetUsd?: number | undefined;
  } = {},
): TaskGraph {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const dependents = new Map<string, string[]>(tasks.map((task) => [task.id, []]));
  for (const task of tasks) {
    for (const dep of task.dependencies) {
      const list = dependents.get(dep);
      if (!list) throw new Error(`task "${task.id}" depends on unknown task "${dep}"`);
      list.push(task.id);
    }
  }
  const order = topologicalOrder(tasks, dependents);
  const remaining = new Map<string, number>();
  for (let i = order.length - 1; i >= 0; i--) {
    const id = order[i] as string;
    const task = byId.get(id) as ResolvedTask;
    let longestAfter = 0;
    for (const next of dependents.get(id) ?? [])
      longestAfter = Math.max(longestAfter, remaining.get(next) ?? 0);
    remaining.set(id, task.estimateMinutes + longestAfter);
  }
  const graph: TaskGraph = {
    tasks,
    byId,
    dependents,
    order,
    remaining,
    maxParallelAgents: settings.maxParallelAgents ?? DEFAULTS.maxParallelAgents,
  };
  if (settings.baseBranch !== undefined) graph.baseBranch = settings.baseBranch;
  if (settings.budgetUsd !== undefined) graph.budgetUsd = settings.budgetUsd;
  return graph;
}

/** Kahn's algorithm; among tasks ready at once, file order wins so output is stable. */
function topologicalOrder(
  tasks: ResolvedTask[],
  dependents: ReadonlyMap<string, readonly string[]>,
): string[] {
  const indegree = new Map(tasks.map((task) => [task.id, task.dependencies.length]));
  const position = new Map(tasks.map((task, index) => [task.id, index]));
  const ready = new MinHeap<string>((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
  for (const task of tasks) if (task.dependencies.length === 0) ready.push(task.id);
  const order: string[] = [];
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    order.push(id);
    for (const next of dependents.get(id) ?? []) {
      const left = (indegree.get(next) ?? 0) - 1;
      indegree.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (order.length !== tasks.length) {
    const cycle = findCycle(tasks) ?? tasks.filter((t) => !order.includes(t.id)).map((t) => t.id);
    throw new GraphCycleError(cycle);
  }
  return order;
}

/**
 * Finds one dependency cycle, returned as a closed path `[a, b, c, a]` where each task depends on
 * the next one. Iterative DFS so 10,000-task chains do not overflow the stack. Unknown
 * dependencies are ignored (reported separately).
 */
export function findCycle(
  tasks: ReadonlyArray<{ id: string; dependencies: readonly string[] }>,
): string[] | null {
  const deps = new Map(tasks.map((task) => [task.id, task.dependencies]));
  const state = new Map<string, "visiting" | "done">();
  for (const root of tasks) {
    if (state.has(root.id)) continue;
    const stack: Array<{ id: string; next: number }> = [{ id: root.id, next: 0 }];
    state.set(root.id, "visiting");
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { id: string; next: number };
      const list = deps.get(frame.id) ?? [];
      if (frame.next >= list.length) {
        state.set(frame.id, "done");
        stack.pop();
        continue;
      }
      const dep = list[frame.next++] as string;
      if (!deps.has(dep)) continue;
      const seen = state.get(dep);
      if (seen === "visiting") {
        const start = stack.findIndex((f) => f.id === dep);
        return [...stack.slice(start).map((f) => f.id), dep];
      }
      if (seen === undefined) {
        state.set(dep, "visiting");
        stack.push({ id: dep, next: 0 });
      }
    }
  }
  return null;
}

/** Tasks grouped by depth: wave k holds tasks whose longest dependency chain has k links. */
export function waves(graph: TaskGraph): string[][] {
  const depth = new Map<string, number>();
  const result: string[][] = [];
  for (const id of graph.order) {
    const task = graph.byId.get(id) as ResolvedTask;
    let level = 0;
    for (const dep of task.dependencies) level = Math.max(level, (depth.get(dep) ?? 0) + 1);
    depth.set(id, level);
    (result[level] ??= []).push(id);
  }
  return result;
}

/** Every task that depends, directly or not, on `id`. */
export function descendants(graph: TaskGraph, id: string): Set<string> {
  const found = new Set<string>();
  const stack = [...(graph.dependents.get(id) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (found.has(next)) continue;
    found.add(next);
    stack.push(...(graph.dependents.get(next) ?? []));
  }
  return found;
}

/** The longest chain of tasks by estimate: nothing can finish sooner than its length. */
export function criticalPath(graph: TaskGraph): string[] {
  const path: string[] = [];
  let candidates = graph.tasks.filter((task) => task.dependencies.length === 0).map((task) => task.id);
  while (candidates.length > 0) {
    const best = candidates.reduce((a, b) =>
      (graph.remaining.get(b) ?? 0) > (graph.remaining.get(a) ?? 0) ? b : a,
    );
    path.push(best);
    candidates = [...(graph.dependents.get(best) ?? [])];
  }
  return path;
}

export function criticalPathMinutes(graph: TaskGraph): number {
  let longest = 0;
  for (const value of graph.remaining.values()) longest = Math.max(longest, value);
  return longest;
}

export function totalWorkMinutes(graph: TaskGraph): number {
  return graph.tasks.reduce((sum, task) => sum + task.estimateMinutes, 0);
}

/** No schedule on `agents` agents can beat this: max(critical path, total work ÷ agents). */
export function makespanLowerBound(graph: TaskGraph, agents: number): number {
  return Math.max(criticalPathMinutes(graph), totalWorkMinutes(graph) / agents);
}

/**
 * A small binary heap: the ready queue of the topological sort (and the reconciler's frontier)
 * stays O(n log n) on large files.
 */
export class MinHeap<T> {
  private items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i] as T, items[parent] as T) >= 0) break;
      [items[i], items[parent]] = [items[parent] as T, items[i] as T];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && this.compare(items[left] as T, items[smallest] as T) < 0) smallest = left;
        if (right < items.length && this.compare(items[right] as T, items[smallest] as T) < 0)
          smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest] as T, items[i] as T];
        i = smallest;
      }
    }
    return top;
  }
}
