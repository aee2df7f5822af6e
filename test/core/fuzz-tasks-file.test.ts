import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify as toYaml } from "yaml";
import { scanJson } from "../../src/core/json-source-map.js";
import { parseTasksFile, type ParseTasksFileResult } from "../../src/core/parse-tasks-file.js";
import { validateTasksFile } from "../../src/core/validate-tasks-file.js";

/**
 * Whatever the input, parseTasksFile answers: a valid file with a graph, or issues that name the
 * file and point inside the text. It never throws.
 */

const EXAMPLE_TEXT = readFileSync(new URL("../../tasks/tasks.json", import.meta.url), "utf8");
const EXAMPLE = JSON.parse(EXAMPLE_TEXT) as { tasks: Array<Record<string, unknown>> } & Record<
  string,
  unknown
>;
const EXAMPLE_YAML = toYaml(EXAMPLE);
const FILE_NAMES = ["tasks.json", "tasks.yaml", "tasks.yml", "tasks", "tasks.txt"] as const;

function checkAnswer(text: string, fileName: string): ParseTasksFileResult {
  let result: ParseTasksFileResult;
  try {
    result = parseTasksFile({ text, fileName });
  } catch (error) {
    throw new Error(`parseTasksFile threw on ${JSON.stringify(text.slice(0, 200))}: ${String(error)}`, {
      cause: error,
    });
  }
  if (result.ok) {
    expect(result.graph.tasks).toHaveLength(result.file.tasks.length);
    expect(result.graph.order).toHaveLength(result.file.tasks.length);
    return result;
  }
  expect(result.issues.length).toBeGreaterThan(0);
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  for (const issue of result.issues) {
    expect(issue.file).toBe(fileName);
    expect(typeof issue.message).toBe("string");
    expect(issue.message.length).toBeGreaterThan(0);
    if (issue.line === undefined) {
      expect(issue.column).toBeUndefined();
      continue;
    }
    // Positions point inside the text (a column may sit just past a line's end, e.g. at end of file).
    expect(Number.isInteger(issue.line) && issue.line >= 1 && issue.line <= lines.length).toBe(true);
    const lineText = lines[issue.line - 1] ?? "";
    expect(issue.column !== undefined && issue.column >= 1 && issue.column <= lineText.length + 1).toBe(true);
  }
  return result;
}

const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "grapheme-ascii", maxLength: 200 }),
  // Characters that matter to JSON and YAML, so the parsers' edge cases come up often.
  fc.string({
    unit: fc.constantFrom(..."{}[]\":,'-#&*!|>?@`%\\ \n\t\r0123456789.eE+truefalsnul\uFEFF"),
    maxLength: 120,
  }),
);

/** Random edits of a valid file's text: deletions, insertions, replacements and duplicated slices. */
function mutatedText(base: string) {
  const edit = fc.tuple(
    fc.constantFrom("delete", "insert", "replace", "duplicate"),
    fc.nat({ max: base.length }),
    fc.nat({ max: 40 }),
    fc.string({ unit: fc.constantFrom(..."{}[]\":, \n-abc1#&*'"), maxLength: 8 }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let text = base;
    for (const [kind, at, length, insert] of edits) {
      const position = Math.min(at, text.length);
      const end = Math.min(text.length, position + length);
      if (kind === "delete") text = text.slice(0, position) + text.slice(end);
      else if (kind === "insert") text = text.slice(0, position) + insert + text.slice(position);
      else if (kind === "replace")
        text = text.slice(0, position) + insert + text.slice(position + insert.length);
      else text = text.slice(0, end) + text.slice(position, end) + text.slice(end);
    }
    return text;
  });
}

/** The example with one field of one task (or of the file) replaced by any JSON value, or removed. */
const mutatedExample = fc
  .tuple(
    fc.nat({ max: EXAMPLE.tasks.length }),
    fc.constantFrom(
      "id",
      "name",
      "prompt",
      "branch_name",
      "dependencies",
      "estimate_minutes",
      "retries",
      "base",
      "defaults",
      "tasks",
      "max_parallel_agents",
      "unknown_field",
    ),
    fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
  )
  .map(([index, field, value]) => {
    const copy = structuredClone(EXAMPLE);
    const target: Record<string, unknown> =
      index < copy.tasks.length ? (copy.tasks[index] as Record<string, unknown>) : copy;
    if (value === undefined) delete target[field];
    else target[field] = value;
    return copy;
  });

describe("never throws, always answers", () => {
  it("on random text, under every kind of file name", () => {
    fc.assert(
      fc.property(anyText, fc.constantFrom(...FILE_NAMES), (text, fileName) => {
        checkAnswer(text, fileName);
      }),
      { numRuns: 600 },
    );
  });

  it("on random JSON values, as JSON and as YAML", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        checkAnswer(JSON.stringify(value, null, 2) ?? "null", "tasks.json");
        checkAnswer(toYaml(value), "tasks.yaml");
      }),
      { numRuns: 300 },
    );
  });

  it("on randomly edited text of the valid example, JSON and YAML", () => {
    fc.assert(
      fc.property(mutatedText(EXAMPLE_TEXT), (text) => void checkAnswer(text, "tasks.json")),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(mutatedText(EXAMPLE_YAML), (text) => void checkAnswer(text, "tasks.yaml")),
      { numRuns: 300 },
    );
  });

  it("on the example with a field replaced by any value; text and data checks agree", () => {
    fc.assert(
      fc.property(mutatedExample, (data) => {
        const text = JSON.stringify(data, null, 2);
        const fromText = checkAnswer(text, "tasks.json");
        const fromYaml = checkAnswer(toYaml(data), "tasks.yaml");
        const fromData = validateTasksFile(data);
        expect(fromText.ok).toBe(fromData.errors.length === 0);
        expect(fromYaml.ok).toBe(fromText.ok);
        if (!fromText.ok) expect(fromText.issues).toHaveLength(Math.min(fromData.errors.length, 1_000));
      }),
      { numRuns: 400 },
    );
  });
});

describe("the JSON scanner agrees with JSON.parse", () => {
  const jsonish = fc.oneof(
    fc.string({ unit: fc.constantFrom(...'{}[]":,0123456789.-+eE \ntrufalsn\\/bu'), maxLength: 60 }),
    fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  );
  it("on what is valid JSON and what is not", () => {
    fc.assert(
      fc.property(
        fc.oneof(jsonish, mutatedText(`{"a": [1, -2.5e3, "x\\n", true, null, {"b": {}}]}`)),
        (text) => {
          let parses = true;
          try {
            JSON.parse(text);
          } catch {
            parses = false;
          }
          expect(scanJson(text).ok).toBe(parses);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe("graphs", () => {
  /** Random graphs on up to 12 tasks, edges anywhere (so cycles happen). */
  const randomGraph = fc
    .integer({ min: 1, max: 12 })
    .chain((size) =>
      fc.tuple(
        fc.constant(size),
        fc.array(fc.tuple(fc.nat({ max: size - 1 }), fc.nat({ max: size - 1 })), { maxLength: 20 }),
      ),
    );

  function hasCycle(size: number, edges: Array<[number, number]>): boolean {
    // Reference: repeatedly remove tasks with no remaining dependencies.
    const remaining = new Set(Array.from({ length: size }, (_, i) => i));
    for (;;) {
      const free = [...remaining].filter((i) => !edges.some(([from, to]) => from === i && remaining.has(to)));
      if (free.length === 0) return remaining.size > 0;
      for (const i of free) remaining.delete(i);
    }
  }

  it("accepts exactly the files without a cycle", () => {
    fc.assert(
      fc.property(randomGraph, ([size, edges]) => {
        const tasks = Array.from({ length: size }, (_, i) => ({
          id: `t${i}`,
          prompt: "p",
          dependencies: [...new Set(edges.filter(([from]) => from === i).map(([, to]) => `t${to}`))],
        }));
        const result = checkAnswer(JSON.stringify({ tasks }), "tasks.json");
        const selfLoop = edges.some(([from, to]) => from === to);
        expect(result.ok).toBe(!hasCycle(size, edges));
        if (!result.ok) {
          const messages = result.issues.map((issue) => issue.message);
          if (selfLoop) expect(messages).toContain("a task cannot depend on itself");
          else expect(messages.every((message) => message.startsWith("dependency cycle: "))).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("reports one unknown dependency added to a valid file, and only that", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: EXAMPLE.tasks.length - 1 }),
        fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
        (index, name) => {
          fc.pre(!EXAMPLE.tasks.some((task) => task.id === name));
          const copy = structuredClone(EXAMPLE);
          const task = copy.tasks[index] as { id: string; dependencies: string[] };
          task.dependencies = [...task.dependencies, name];
          const result = checkAnswer(JSON.stringify(copy, null, 2), "tasks.json");
          expect(result.ok).toBe(false);
          if (result.ok) return;
          expect(result.issues).toHaveLength(1);
          expect(result.issues[0]).toMatchObject({ task: task.id, field: "dependencies" });
          expect(result.issues[0]?.message).toMatch(new RegExp(`^unknown task "${name}"`));
        },
      ),
      { numRuns: 200 },
    );
  });
});
