import type { TaskGraph } from "../src/core/task-graph.js";

/**
 * A plain list scheduler on a virtual clock, independent of the reconciler: whenever agents are
 * free, it starts ready tasks in the order `order` gives them. With the default order it is FIFO —
 * tasks start in the order they became ready (ties: topological order, i.e. file order) — the
 * baseline that critical-path-first is measured against.
 */
export function listSchedule(args: {
  graph: TaskGraph;
  agents: number;
  /** Sorts the ready queue before each round of starts; omit for FIFO. */
  order?: (ready: string[]) => string[];
}): number {
  const { graph, agents } = args;
  const waiting = new Map(graph.tasks.map((task) => [task.id, task.dependencies.length]));
  let ready = graph.order.filter((id) => waiting.get(id) === 0);
  const running: Array<{ id: string; end: number }> = [];
  let now = 0;
  let done = 0;
  while (done < graph.tasks.length) {
    if (args.order) ready = args.order(ready);
    while (running.length < agents && ready.length > 0) {
      const id = ready.shift() as string;
      running.push({ id, end: now + (graph.byId.get(id)?.estimateMinutes ?? 1) });
    }
    now = Math.min(...running.map((entry) => entry.end));
    // Everything ending now completes together; dependents join the back of the queue.
    const finishing = running.filter((entry) => entry.end === now).map((entry) => entry.id);
    for (const id of finishing) {
      running.splice(
        running.findIndex((entry) => entry.id === id),
        1,
      );
      done++;
      for (const next of graph.dependents.get(id) ?? []) {
        const left = (waiting.get(next) ?? 0) - 1;
        waiting.set(next, left);
        if (left === 0) ready.push(next);
      }
    }
  }
  return now;
}
