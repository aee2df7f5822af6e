import { isBudgetReached } from "./attempt-budget.js";
import {
  countedAttempts,
  observationOf,
  outcome,
  reconcile,
  skipReason,
  spentUsd,
  type Decision,
  type ReconcileInput,
  type TaskObservation,
  type TaskObservations,
  type TaskStatus,
} from "./reconcile.js";
import { MinHeap, type TaskGraph } from "./task-graph.js";

/**
 * `reconcile`'s decision kept up to date event by event, so deciding costs what changed, not the
 * size of the graph. `reconcile` reads every task on every call: fine for one step, quadratic for
 * a whole session of thousands of tasks (a 10,000-task chain is 10,000 decisions), which is what
 * `orchestrator plan` simulates.
 *
 * Only a few kinds of task can appear in a decision: a pending task with a dependency that failed
 * for good, was skipped or cancelled (it is skipped, and so are its pending dependents, in the
 * same decision); a pending task whose dependencies all succeeded (it starts, or waits for their
 * merge); a failed task with retries left (it starts again). The frontier counts, per task, the
 * dependencies that did not succeed and those that block it, and keeps each kind in its own set,
 * updated by `changed` whenever the machine sets a task's state. A cancel or a reached budget
 * changes every task at once: those decisions are left to `reconcile` itself.
 */
export class TaskFrontier {
  private readonly index: GraphIndex;
  /** Per task (topological position): dependencies that have not succeeded. */
  private readonly unsucceeded: Int32Array;
  /** Per task: dependencies that failed for good, were skipped or cancelled. */
  private readonly blocking: Int32Array;
  /** Per task: which set it is in. */
  private readonly kind: Uint8Array;
  /** Ready tasks by priority; an entry whose task left READY is dropped when it comes up. */
  private readonly ready: MinHeap<number>;
  private readonly inReadyHeap: Uint8Array;
  private readonly blocked = new Set<number>();
  private readonly waiting = new Set<number>();
  private pending = 0;
  private running = 0;
  /** Tasks that need input or wait out a limit: rare, and left to `reconcile` (see `decide`). */
  private attention = 0;

  /** `tasks` is read, never changed; whoever changes it tells `changed` and `merged`. */
  constructor(
    private readonly graph: TaskGraph,
    private readonly tasks: TaskObservations,
  ) {
    const index = graphIndex(graph);
    this.index = index;
    const n = index.ids.length;
    this.unsucceeded = new Int32Array(n);
    this.blocking = new Int32Array(n);
    this.kind = new Uint8Array(n);
    this.inReadyHeap = new Uint8Array(n);
    const { remaining } = index;
    // Longest remaining path first; ties in topological order, as reconcile's stable sort.
    this.ready = new MinHeap<number>((a, b) => (remaining[b] as number) - (remaining[a] as number) || a - b);
    const succeeded = new Uint8Array(n);
    const blocks = new Uint8Array(n);
    for (let pos = 0; pos < n; pos++) {
      const observed = this.observation(pos);
      succeeded[pos] = observed.status === "succeeded" ? 1 : 0;
      blocks[pos] = this.blocks(pos, observed) ? 1 : 0;
    }
    for (let pos = 0; pos < n; pos++) {
      for (const dep of index.dependencies[pos] as Int32Array) {
        if (succeeded[dep] === 0) (this.unsucceeded[pos] as number)++;
        if (blocks[dep] === 1) (this.blocking[pos] as number)++;
      }
      this.enter(pos, this.observation(pos));
    }
  }

  /** Task `id` went from `previous` to `next` (already stored in `tasks`). */
  changed(id: string, previous: TaskObservation, next: TaskObservation): void {
    const pos = this.index.position.get(id);
    if (pos === undefined) return;
    this.leave(pos, previous);
    const succeededChange = Number(next.status === "succeeded") - Number(previous.status === "succeeded");
    const blockingChange = Number(this.blocks(pos, next)) - Number(this.blocks(pos, previous));
    if (succeededChange !== 0 || blockingChange !== 0 || previous.merged !== next.merged) {
      for (const dependent of this.index.dependents[pos] as Int32Array) {
        (this.unsucceeded[dependent] as number) -= succeededChange;
        (this.blocking[dependent] as number) += blockingChange;
        this.replace(dependent);
      }
    }
    this.enter(pos, next);
  }

  /** Task `id`'s work reached the base branch: its `base: "merged"` dependents may stop waiting. */
  merged(id: string): void {
    const pos = this.index.position.get(id);
    if (pos === undefined) return;
    for (const dependent of this.index.dependents[pos] as Int32Array) this.replace(dependent);
  }

  /** What `reconcile` decides for the same graph, observation and limits. */
  decide(
    args: Omit<ReconcileInput, "graph" | "tasks">,
    options: { reportWaiting?: boolean | undefined } = {},
  ): Decision {
    const budget = args.limits.budgetUsd;
    const budgetReached = budget !== undefined && isBudgetReached(spentUsd(this.tasks), budget);
    // A cancel or a reached budget changes every task at once; a task that needs input or waits
    // out a limit (time-dependent) changes what its dependents are: `reconcile` decides those.
    if (args.cancelRequested === true || budgetReached || this.attention > 0)
      return reconcile({ ...args, graph: this.graph, tasks: this.tasks });

    const { ids, dependencies, dependents } = this.index;
    const decision: Decision = { start: [], skip: [], cancel: [], waiting: [], finished: null };
    // Skips cascade down the graph in topological order, exactly as reconcile's pass meets them.
    const skipped = new Map<number, number>(); // skipped task → root cause
    const next = (pos: number): TaskStatus =>
      skipped.has(pos) ? "skipped" : this.statusAfter(pos, this.observation(pos));
    const queue = new MinHeap<number>((a, b) => a - b);
    for (const pos of this.blocked) queue.push(pos);
    for (let pos = queue.pop(); pos !== undefined; pos = queue.pop()) {
      if (skipped.has(pos) || this.observation(pos).status !== "pending") continue;
      const blocker = (dependencies[pos] as Int32Array).find((dep) => BLOCKING.has(next(dep)));
      if (blocker === undefined) continue;
      const cause = skipped.get(blocker) ?? blocker;
      skipped.set(pos, cause);
      decision.skip.push({
        id: ids[pos] as string,
        reason: skipReason({
          blocker: ids[blocker] as string,
          cause: ids[cause] as string,
          causeStatus: next(cause),
        }),
      });
      for (const dependent of dependents[pos] as Int32Array) queue.push(dependent);
    }

    if (options.reportWaiting !== false) {
      for (const pos of [...this.waiting].sort((a, b) => a - b))
        decision.waiting.push({ id: ids[pos] as string, unmerged: this.unmergedDependencies(pos) });
    }

    const slots = Math.max(0, Math.max(1, Math.floor(args.limits.maxParallel)) - this.running);
    const taken: number[] = [];
    while (taken.length < slots) {
      const pos = this.ready.pop();
      if (pos === undefined) break;
      if (this.kind[pos] !== READY) {
        this.inReadyHeap[pos] = 0;
        continue;
      }
      taken.push(pos);
      const observed = this.observation(pos);
      decision.start.push({
        id: ids[pos] as string,
        attempt: observed.attempts + 1,
        retry: observed.attempts > 0,
      });
    }
    for (const pos of taken) this.ready.push(pos);

    if (decision.start.length === 0 && this.running === 0 && this.pending === skipped.size) {
      const statuses = new Map<string, TaskStatus>(ids.map((id, pos) => [id, next(pos)]));
      decision.finished = outcome({
        next: statuses,
        cancelling: false,
        budgetReached: false,
        budget,
        spent: 0,
      });
    }
    return decision;
  }

  private observation(pos: number): TaskObservation {
    return observationOf(this.tasks, this.index.ids[pos] as string);
  }

  /** The status reconcile gives a task it does not skip (no cancel, budget not reached). */
  private statusAfter(pos: number, observed: TaskObservation): TaskStatus {
    return this.retriesLeft(pos, observed) ? "pending" : observed.status;
  }

  private retriesLeft(pos: number, observed: TaskObservation): boolean {
    return (
      observed.status === "failed" && countedAttempts(observed) < 1 + (this.index.retries[pos] as number)
    );
  }

  private blocks(pos: number, observed: TaskObservation): boolean {
    return BLOCKING.has(this.statusAfter(pos, observed));
  }

  private unmergedDependencies(pos: number): string[] {
    const { ids, dependencies } = this.index;
    const unmerged: string[] = [];
    for (const dep of dependencies[pos] as Int32Array) {
      const id = ids[dep] as string;
      if (observationOf(this.tasks, id).merged !== true) unmerged.push(id);
    }
    return unmerged;
  }

  /** Counts the task and puts it in its set. */
  private enter(pos: number, observed: TaskObservation): void {
    if (needsAttention(observed)) this.attention++;
    if (observed.status === "running") this.running++;
    else if (observed.status === "pending") {
      this.pending++;
      this.place(pos);
    } else if (this.retriesLeft(pos, observed)) this.setKind(pos, READY);
  }

  /** Uncounts the task and takes it out of its set. */
  private leave(pos: number, observed: TaskObservation): void {
    if (needsAttention(observed)) this.attention--;
    if (observed.status === "running") this.running--;
    else if (observed.status === "pending") this.pending--;
    this.setKind(pos, NONE);
  }

  /** A dependency changed: a pending task may have moved between sets. */
  private replace(pos: number): void {
    if (this.observation(pos).status === "pending") this.place(pos);
  }

  private place(pos: number): void {
    if ((this.blocking[pos] as number) > 0) this.setKind(pos, BLOCKED);
    else if (this.unsucceeded[pos] !== 0) this.setKind(pos, NONE);
    else if (this.index.waitsForMerge[pos] === 1 && this.unmergedDependencies(pos).length > 0)
      this.setKind(pos, WAITING);
    else this.setKind(pos, READY);
  }

  private setKind(pos: number, kind: number): void {
    const was = this.kind[pos];
    if (was === kind) return;
    if (was === BLOCKED) this.blocked.delete(pos);
    else if (was === WAITING) this.waiting.delete(pos);
    this.kind[pos] = kind;
    if (kind === BLOCKED) this.blocked.add(pos);
    else if (kind === WAITING) this.waiting.add(pos);
    else if (kind === READY && this.inReadyHeap[pos] === 0) {
      // A stale entry of this task may still be in the heap: its key never changes, so it serves.
      this.inReadyHeap[pos] = 1;
      this.ready.push(pos);
    }
  }
}

function needsAttention(observed: TaskObservation): boolean {
  return observed.status === "needs_input" || observed.resumeAt !== undefined;
}

const NONE = 0;
const READY = 1;
const WAITING = 2;
const BLOCKED = 3;

const BLOCKING: ReadonlySet<TaskStatus> = new Set(["failed", "skipped", "cancelled"]);

/** The graph as arrays by topological position: built once per graph and shared by every frontier. */
interface GraphIndex {
  ids: readonly string[];
  position: ReadonlyMap<string, number>;
  dependencies: readonly Int32Array[];
  dependents: readonly Int32Array[];
  remaining: Float64Array;
  retries: Int32Array;
  /** 1 for a task with `base: "merged"` and dependencies. */
  waitsForMerge: Uint8Array;
}

const indexes = new WeakMap<TaskGraph, GraphIndex>();

function graphIndex(graph: TaskGraph): GraphIndex {
  const cached = indexes.get(graph);
  if (cached !== undefined) return cached;
  const ids = graph.order;
  const position = new Map(ids.map((id, pos) => [id, pos]));
  const positionsOf = (list: readonly string[]) => Int32Array.from(list, (id) => position.get(id) as number);
  const tasks = ids.map((id) => graph.byId.get(id));
  const index: GraphIndex = {
    ids,
    position,
    dependencies: tasks.map((task) => positionsOf(task?.dependencies ?? [])),
    dependents: ids.map((id) => positionsOf(graph.dependents.get(id) ?? [])),
    remaining: Float64Array.from(ids, (id) => graph.remaining.get(id) ?? 0),
    retries: Int32Array.from(tasks, (task) => task?.retries ?? 0),
    waitsForMerge: Uint8Array.from(tasks, (task) =>
      task?.base === "merged" && task.dependencies.length > 0 ? 1 : 0,
    ),
  };
  indexes.set(graph, index);
  return index;
}
