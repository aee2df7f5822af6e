import { findCycle } from "./task-graph.js";

export interface DependencyCycle {
  /** Closed path `[a, b, c, a]`, each task depending on the next, starting at the earliest task in the file. */
  cycle: string[];
  /** Other tasks caught in cycles with these (same strongly connected component), in file order. */
  tangled: string[];
}

/**
 * One cycle per knot of mutually dependent tasks (strongly connected component), so a file with
 * three separate loops gets three messages, and a loop is never reported twice from each of its
 * members. Self-dependencies are left out: they are reported on their own. Unknown ids are ignored.
 */
export function dependencyCycles(
  tasks: ReadonlyArray<{ id: string; dependencies: readonly string[] }>,
): DependencyCycle[] {
  const position = new Map(tasks.map((task, index) => [task.id, index]));
  const edges = new Map(
    tasks.map((task) => [task.id, task.dependencies.filter((dep) => dep !== task.id && position.has(dep))]),
  );
  const result: DependencyCycle[] = [];
  for (const component of stronglyConnectedComponents(tasks, edges)) {
    const members = new Set(component);
    const inFileOrder = component.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
    const sub = inFileOrder.map((id) => ({
      id,
      dependencies: (edges.get(id) ?? []).filter((dep) => members.has(dep)),
    }));
    const found = findCycle(sub);
    if (found === null) continue;
    const nodes = found.slice(0, -1);
    let first = 0;
    for (let k = 1; k < nodes.length; k++)
      if ((position.get(nodes[k] as string) ?? 0) < (position.get(nodes[first] as string) ?? 0)) first = k;
    const rotated = [...nodes.slice(first), ...nodes.slice(0, first)];
    const inCycle = new Set(rotated);
    result.push({
      cycle: [...rotated, rotated[0] as string],
      tangled: inFileOrder.filter((id) => !inCycle.has(id)),
    });
  }
  return result.sort(
    (a, b) => (position.get(a.cycle[0] as string) ?? 0) - (position.get(b.cycle[0] as string) ?? 0),
  );
}

/** Tarjan's algorithm, iterative so 10,000-task chains cannot overflow the stack. Only components of 2+ tasks. */
function stronglyConnectedComponents(
  tasks: ReadonlyArray<{ id: string }>,
  edges: ReadonlyMap<string, readonly string[]>,
): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const visit = (id: string, work: Array<{ id: string; next: number }>) => {
    index.set(id, counter);
    low.set(id, counter);
    counter++;
    stack.push(id);
    onStack.add(id);
    work.push({ id, next: 0 });
  };
  for (const root of tasks) {
    if (index.has(root.id)) continue;
    const work: Array<{ id: string; next: number }> = [];
    visit(root.id, work);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; next: number };
      const list = edges.get(frame.id) ?? [];
      if (frame.next < list.length) {
        const next = list[frame.next++] as string;
        if (!index.has(next)) visit(next, work);
        else if (onStack.has(next))
          low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(next) as number));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) !== index.get(frame.id)) continue;
      const component: string[] = [];
      for (;;) {
        const member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
        if (member === frame.id) break;
      }
      if (component.length > 1) components.push(component);
    }
  }
  return components;
}
