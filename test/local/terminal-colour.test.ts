import { describe, expect, it } from "vitest";
import { graphFromTasks, resolveTasks } from "../../src/core/task-graph.js";
import { finalSummary } from "../../src/local/final-summary.js";
import { localPaths } from "../../src/local/local-paths.js";
import { createProgressReporter, tableLines } from "../../src/local/progress-table.js";
import { STATE_VERSION, type LocalSessionState } from "../../src/local/state-file.js";
import { colourWanted, cutVisible, visibleText } from "../../src/local/terminal-colour.js";

const GREEN = "\x1b[32m";
const RED = "\x1b[31m";
const YELLOW = "\x1b[33m";
const RESET = "\x1b[0m";

const graph = graphFromTasks(
  resolveTasks({
    tasks: [
      { id: "setup", prompt: "p" },
      { id: "broken", prompt: "p" },
      { id: "after-broken-with-a-long-name", prompt: "p", dependencies: ["broken"] },
    ],
  }),
  { maxParallelAgents: 2 },
);
const t0 = Date.parse("2026-01-01T10:00:00.000Z");
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
const state: LocalSessionState = {
  version: STATE_VERSION,
  sessionId: "local-x",
  tasksFile: "tasks/tasks.json",
  tasksFileSha256: "h",
  baseBranch: "main",
  maxParallel: 2,
  startedAt: at(0),
  updatedAt: at(30),
  tasks: {
    setup: { status: "succeeded", attempts: 1, costUsd: 0.25 },
    broken: { status: "failed", attempts: 1, reason: "the agent said no ".repeat(10) },
    "after-broken-with-a-long-name": { status: "skipped", attempts: 0, reason: 'dependency "broken" failed' },
  },
  runs: {
    setup: { branch: "orchestrator/setup", startedAt: at(0), endedAt: at(12), changedFiles: 1, commits: 1 },
    broken: { branch: "orchestrator/broken", startedAt: at(0), endedAt: at(5) },
    "after-broken-with-a-long-name": { branch: "orchestrator/after-broken-with-a-long-name", endedAt: at(5) },
  },
};
const view = { state, graph };

describe("when to colour", () => {
  it("a terminal without NO_COLOR, or FORCE_COLOR anywhere; never a pipe or file by default", () => {
    expect(colourWanted({ isTTY: true, env: {} })).toBe(true);
    expect(colourWanted({ isTTY: true, env: { NO_COLOR: "1" } })).toBe(false);
    expect(colourWanted({ isTTY: true, env: { NO_COLOR: "" } })).toBe(true);
    expect(colourWanted({ isTTY: false, env: {} })).toBe(false);
    expect(colourWanted({ isTTY: false, env: { FORCE_COLOR: "1" } })).toBe(true);
    expect(colourWanted({ isTTY: false, env: { FORCE_COLOR: "1", NO_COLOR: "1" } })).toBe(true);
    expect(colourWanted({ isTTY: true, env: { FORCE_COLOR: "0" } })).toBe(false);
  });

  it("cuts a coloured line by what is seen, never inside a code", () => {
    const line = `ab${GREEN}cdef${RESET}gh`;
    expect(cutVisible(line, 20)).toBe(line);
    expect(cutVisible(line, 5)).toBe(`ab${GREEN}cd…${RESET}`);
    expect(visibleText(cutVisible(line, 5))).toBe("abcd…");
  });
});

describe("status words in colour", () => {
  it("the live table colours each status, and fits the terminal by visible width", () => {
    const coloured = tableLines(view, t0 + 30_000, (text, tone) =>
      tone === undefined ? text : `<${tone}>${text}</>`,
    );
    expect(coloured.find((l) => l.startsWith("setup"))).toContain("<good>✓ done       </>");
    expect(coloured.find((l) => l.startsWith("broken"))).toContain("<bad>✗ failed     </>");
    expect(coloured.at(-1)).toContain("<good>1 succeeded</>, <bad>1 failed</>, <warn>1 skipped</>");

    const out: string[] = [];
    const reporter = createProgressReporter({
      output: { write: (text: string) => out.push(text), isTTY: true, columns: 60 },
      now: () => t0 + 30_000,
      colour: true,
    });
    reporter.event({ type: "task_started", id: "setup", attempt: 1 }, view);
    reporter.close();
    const drawn = (out[0] ?? "").replace("\x1b[0J", "");
    expect(drawn).toContain(`${GREEN}✓ done`);
    expect(drawn).toContain(`${RED}✗ failed`);
    for (const line of drawn.trimEnd().split("\n")) expect(visibleText(line).length).toBeLessThanOrEqual(59);
  });

  it("plain lines colour their first word with colour on, and hold no code with it off", () => {
    const lines = (colour: boolean) => {
      const out: string[] = [];
      const reporter = createProgressReporter({ output: { write: (t: string) => out.push(t) }, colour });
      reporter.event({ type: "task_skipped", id: "after-broken-with-a-long-name", reason: "r" }, view);
      return out.join("");
    };
    expect(lines(true)).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d \\x1b\\[33mskipped\\x1b\\[0m {3}after-broken`),
    );
    expect(lines(false)).not.toContain("\x1b");
  });

  it("the final summary colours each result only when asked", () => {
    const args = { state, graph, paths: localPaths("/repo"), status: "interrupted" as const, cwd: "/repo" };
    const on = finalSummary({ ...args, colour: true });
    expect(on).toContain(`${GREEN}succeeded `);
    expect(on).toContain(`${RED}failed    ${RESET}`);
    expect(on).toContain(`${YELLOW}skipped   ${RESET}`);
    expect(finalSummary(args)).not.toContain("\x1b");
    expect(visibleText(on)).toBe(finalSummary(args));
  });
});
