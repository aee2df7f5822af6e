/**
 * Counts the work a synchronous call does, independently of the machine's speed: every Map and
 * Set lookup or change, and the length of every array an array method walks (a scan with
 * `includes`, `filter`, `map`… counts its whole length). Graph code spends its time in exactly
 * these, so a loop that goes quadratic shows up as a count that grows with the square of the input.
 * Built-ins are patched only for the duration of the call.
 */

const MAP_METHODS = ["get", "set", "has", "delete"] as const;
const SET_METHODS = ["add", "has", "delete"] as const;
const ARRAY_METHODS = [
  "includes",
  "indexOf",
  "lastIndexOf",
  "find",
  "findIndex",
  "findLast",
  "findLastIndex",
  "filter",
  "map",
  "forEach",
  "some",
  "every",
  "reduce",
  "slice",
  "concat",
  "join",
  "sort",
] as const;

export function countWork<T>(fn: () => T): { result: T; work: number } {
  let work = 0;
  const restore: Array<() => void> = [];
  const patch = (prototype: object, name: string, cost: (self: unknown) => number) => {
    const original = Reflect.get(prototype, name) as (...args: unknown[]) => unknown;
    Reflect.set(prototype, name, function (this: unknown, ...args: unknown[]) {
      work += cost(this);
      return original.apply(this, args);
    });
    restore.push(() => Reflect.set(prototype, name, original));
  };
  for (const name of MAP_METHODS) patch(Map.prototype, name, () => 1);
  for (const name of SET_METHODS) patch(Set.prototype, name, () => 1);
  for (const name of ARRAY_METHODS) patch(Array.prototype, name, (self) => 1 + (self as unknown[]).length);
  try {
    const result = fn();
    return { result, work };
  } finally {
    for (const undo of restore.reverse()) undo();
  }
}
