import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_LABEL_CHARS,
  mermaidBlock,
  mermaidLabel,
  mermaidTasksOf,
  renderMermaidGraph,
  type MermaidNodeState,
} from "../../src/core/render-mermaid.js";

/** Every line the renderer may write; a label holds only plain characters and entity codes. */
const LABEL = String.raw`(?:[\p{L}\p{N} .,:_/!?'+=-]|#\d+;)*`;
const LINE = new RegExp(
  String.raw`^(?:flowchart TD|  (?:t\d+|more)\["${LABEL}"\]:::(?:pending|running|succeeded|failed|skipped|cancelled|waiting)|  t\d+ --> t\d+|  classDef [a-z]+ [a-z0-9:#,.\- ]+)$`,
  "u",
);

describe("renderMermaidGraph", () => {
  it("draws nodes coloured by state and edges from dependency to dependent", () => {
    const graph = renderMermaidGraph(
      [
        { id: "schema", label: "#13 Schema" },
        { id: "api", label: "#14 API", dependencies: ["schema"] },
        { id: "ui", dependencies: ["schema", "api", "unknown"] },
      ],
      { schema: "succeeded", api: "running" },
    );
    expect(graph.source).toBe(
      [
        "flowchart TD",
        '  t0["#35;13 Schema"]:::succeeded',
        '  t1["#35;14 API"]:::running',
        '  t2["ui"]:::pending',
        "  t0 --> t1",
        "  t0 --> t2",
        "  t1 --> t2",
        "  classDef pending fill:#f6f8fa,stroke:#8c959f,color:#24292f",
        "  classDef running fill:#ddf4ff,stroke:#0969da,color:#0a3069",
        "  classDef succeeded fill:#dafbe1,stroke:#1a7f37,color:#116329",
      ].join("\n"),
    );
    expect(mermaidBlock(graph)).toMatch(/^```mermaid\nflowchart TD\n[\s\S]*\n```$/);
  });

  it("uses its own node ids, so task ids that are Mermaid keywords do no harm", () => {
    const { source } = renderMermaidGraph([{ id: "end" }, { id: "graph", dependencies: ["end"] }], {});
    expect(source).toContain('  t0["end"]:::pending');
    expect(source).toContain("  t0 --> t1");
  });

  it.each([
    ['"]:::x\nclick t0 "https://evil.example"', "#34;#93;:::x click t0 #34;https://evil.example#34;"],
    ["%%{init: {'theme':'dark'}}%%", "#37;#37;#123;init: #123;'theme':'dark'#125;#125;#37;#37;"],
    ["```\n# Heading", "#96;#96;#96; #35; Heading"],
    ["<img src=x onerror=alert(1)>", "#60;img src=x onerror=alert#40;1#41;#62;"],
    ["a; b & c", "a#59; b #38; c"],
    ["[link](https://x.y) `code`", "#91;link#93;#40;https://x.y#41; #96;code#96;"],
    ["bidi \u202eevil\u0000", "bidi evil"],
  ])("makes a hostile label inert: %j", (text, expected) => {
    expect(mermaidLabel(text)).toBe(expected);
  });

  it("cuts long labels", () => {
    const label = mermaidLabel("word ".repeat(100));
    expect(label.endsWith("#8230;")).toBe(true);
    expect(label.replace(/#\d+;/g, "x").length).toBeLessThanOrEqual(MAX_LABEL_CHARS);
  });

  it("stays within the size Mermaid renders and says what it left out", () => {
    const tasks = Array.from({ length: 2_000 }, (_, k) => ({
      id: `task-${k}`,
      label: "\u{1F600}".repeat(60),
      dependencies: k > 0 ? [`task-${k - 1}`] : [],
    }));
    const graph = renderMermaidGraph(tasks, {});
    expect(graph.source.length).toBeLessThanOrEqual(40_000);
    expect(graph.hiddenTasks).toBeGreaterThan(0);
    expect(graph.source).toContain(
      `#8230; and ${graph.hiddenTasks} more tasks and ${graph.hiddenLinks} more links not shown`,
    );
    expect(graph.source).not.toMatch(/#5[5-7]\d{3};/); // no half of an emoji
  });

  it("labels a tasks file's tasks by id and name", () => {
    expect(
      mermaidTasksOf([
        { id: "a", name: "Build A" },
        { id: "b", name: "b", dependencies: ["a"] },
      ]),
    ).toEqual([
      { id: "a", label: "a: Build A", dependencies: [] },
      { id: "b", label: "b", dependencies: ["a"] },
    ]);
  });

  it("writes only lines of its own grammar, whatever the ids, labels and states", () => {
    const states: MermaidNodeState[] = [
      "pending",
      "running",
      "succeeded",
      "failed",
      "skipped",
      "cancelled",
      "waiting",
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.string({ maxLength: 8 }),
            label: fc.option(fc.string({ unit: "binary", maxLength: 200 }), { nil: undefined }),
            dependencies: fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }),
            state: fc.constantFrom(...states),
          }),
          { maxLength: 30 },
        ),
        fc.integer({ min: 500, max: 5_000 }),
        (tasks, maxChars) => {
          const byId = Object.fromEntries(tasks.map((task) => [task.id, task.state]));
          const { source } = renderMermaidGraph(tasks, byId, { maxChars });
          expect(source.length).toBeLessThanOrEqual(maxChars);
          for (const line of source.split("\n")) expect(line).toMatch(LINE);
          expect(source).not.toContain("``");
          expect(source).not.toContain("%%");
        },
      ),
      { numRuns: 300 },
    );
  });
});
