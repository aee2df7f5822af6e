import type { TaskGraph } from "../src/core/task-graph.js";

/**
 * The exact optimal makespan of a small graph (≤ ~12 tasks) on `agents` identical agents, by
 * branch and bound.
 *
 * Why the search is complete: take any optimal schedule and shift every task as early as its
 * dependencies and its agent allow (in start order). The makespan does not grow, and now every
 * task starts at time 0 or at the moment some task ends (a dependency, or the previous task on
 * its agent). So it is enough to make decisions at time 0 and at each completion time.
 *
 * At each such moment the search branches over every subset of the ready tasks that fits the free
 * agents — including smaller subsets and the empty one while something still runs. That is what
 * makes it exact: an optimal schedule may leave an agent idle on purpose (hold it back for a
 * critical task that becomes ready soon), which no greedy list schedule ever does. It then jumps
 * to the next completion time.
 *
 * Pruning: (1) a lower bound per node — max over running tasks of end + longest path after them,
 * over unstarted tasks of now + their remaining path, and now + remaining work ÷ agents — against
 * the best schedule found so far, seeded with a list schedule; (2) a state seen before (same
 * finished set, same running tasks with the same time left) at an earlier or equal clock is
 * dominated; (3) stop as soon as a schedule meets the root lower bound.
 */
export function optimalMakespan(args: { graph: TaskGraph; agents: number; upperBound: number }): number {
  const { graph, agents } = args;
  const ids = [...graph.order];
  const n = ids.length;
  if (n > 20) throw new Error(`optimalMakespan is for small graphs, got ${n} tasks`);
  const index = new Map(ids.map((id, i) => [id, i]));
  const duration = ids.map((id) => graph.byId.get(id)?.estimateMinutes ?? 1);
  const remaining = ids.map((id) => graph.remaining.get(id) ?? 0);
  const depMask = ids.map((id) =>
    (graph.byId.get(id)?.dependencies ?? []).reduce((mask, dep) => mask | (1 << (index.get(dep) ?? 0)), 0),
  );
  const all = (1 << n) - 1;
  const totalWork = duration.reduce((a, b) => a + b, 0);
  const rootBound = Math.max(Math.max(...remaining), totalWork / agents);

  let best = args.upperBound;
  const seen = new Map<string, number>();

  interface Running {
    task: number;
    end: number;
  }

  const bound = (now: number, started: number, running: Running[]): number => {
    let lb = now;
    let work = 0;
    for (const r of running) {
      lb = Math.max(lb, r.end + remaining[r.task]! - duration[r.task]!);
      work += r.end - now;
    }
    for (let t = 0; t < n; t++) {
      if (started & (1 << t)) continue;
      lb = Math.max(lb, now + remaining[t]!);
      work += duration[t]!;
    }
    return Math.max(lb, now + work / agents);
  };

  const search = (now: number, done: number, started: number, running: Running[]): void => {
    if (best <= rootBound) return;
    if (done === all) {
      best = Math.min(best, now);
      return;
    }
    if (bound(now, started, running) >= best) return;
    const key = `${done}:${started}:${running.map((r) => `${r.task}@${r.end - now}`).join(",")}`;
    const previous = seen.get(key);
    if (previous !== undefined && previous <= now) return;
    seen.set(key, now);

    const ready: number[] = [];
    for (let t = 0; t < n; t++) {
      if (!(started & (1 << t)) && (depMask[t]! & done) === depMask[t]) ready.push(t);
    }
    const free = agents - running.length;
    // Larger subsets first: greedy-looking schedules are found early and tighten the bound.
    for (const subset of subsetsBySize(ready, Math.min(free, ready.length))) {
      if (subset.length === 0 && running.length === 0) continue;
      const nowRunning = running.concat(subset.map((task) => ({ task, end: now + duration[task]! })));
      let startedNow = started;
      for (const task of subset) startedNow |= 1 << task;
      const next = Math.min(...nowRunning.map((r) => r.end));
      let doneNext = done;
      const stillRunning: Running[] = [];
      for (const r of nowRunning) {
        if (r.end === next) doneNext |= 1 << r.task;
        else stillRunning.push(r);
      }
      stillRunning.sort((a, b) => a.task - b.task);
      search(next, doneNext, startedNow, stillRunning);
    }
  };

  search(0, 0, 0, []);
  return best;
}

/** Every subset of `items` with at most `limit` members, largest first. */
function* subsetsBySize(items: number[], limit: number): Generator<number[]> {
  for (let size = limit; size >= 0; size--) yield* combinations(items, size, 0);
}

function* combinations(items: number[], size: number, from: number): Generator<number[]> {
  if (size === 0) {
    yield [];
    return;
  }
  for (let i = from; i <= items.length - size; i++) {
    for (const rest of combinations(items, size - 1, i + 1)) yield [items[i] as number, ...rest];
  }
}
