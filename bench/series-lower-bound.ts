import { descendants, makespanLowerBound, type TaskGraph } from "../src/core/task-graph.js";

/**
 * A tighter makespan lower bound for graphs that run in stages. A "bottleneck" task is one that
 * every other task comes before or after: it runs alone, and it cuts the graph into segments that
 * must run one after the other. So no schedule beats
 *   Σ bottleneck estimates + Σ over segments of max(segment's critical path, segment work ÷ agents),
 * which for fork-join graphs is far above max(critical path, work ÷ agents): the plain bound
 * pretends the work of every stage can be spread over all agents all the time.
 * O(n²) with sets: fine for the benchmark's 1,000 tasks, not meant for the product.
 */
export function seriesLowerBound(graph: TaskGraph, agents: number): number {
  const n = graph.order.length;
  const below = new Map(graph.order.map((id) => [id, descendants(graph, id)]));
  const aboveCount = new Map(graph.order.map((id) => [id, 0]));
  for (const set of below.values()) for (const id of set) aboveCount.set(id, (aboveCount.get(id) ?? 0) + 1);
  const bottlenecks = graph.order.filter(
    (id) => (below.get(id)?.size ?? 0) + (aboveCount.get(id) ?? 0) === n - 1,
  );
  if (bottlenecks.length === 0) return makespanLowerBound(graph, agents);

  // Each other task lies after the same number of bottlenecks as every task of its segment.
  const segmentOf = new Map<string, number>();
  for (const id of graph.order) {
    if (bottlenecks.includes(id)) continue;
    segmentOf.set(id, bottlenecks.filter((b) => below.get(b)?.has(id)).length);
  }
  const estimate = (id: string) => graph.byId.get(id)?.estimateMinutes ?? 1;
  let total = bottlenecks.reduce((sum, id) => sum + estimate(id), 0);
  for (let segment = 0; segment <= bottlenecks.length; segment++) {
    const members = graph.order.filter((id) => segmentOf.get(id) === segment);
    if (members.length === 0) continue;
    // Longest path inside the segment, in topological order.
    const finish = new Map<string, number>();
    let longest = 0;
    let work = 0;
    for (const id of members) {
      const start = Math.max(
        0,
        ...(graph.byId.get(id)?.dependencies ?? []).map((dep) => finish.get(dep) ?? 0),
      );
      finish.set(id, start + estimate(id));
      longest = Math.max(longest, start + estimate(id));
      work += estimate(id);
    }
    total += Math.max(longest, work / agents);
  }
  return Math.max(total, makespanLowerBound(graph, agents));
}
