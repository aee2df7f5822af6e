import { describe, expect, it } from "vitest";
import { graphFromTasks, resolveTasks } from "../../src/core/task-graph.js";
import { finalSummary } from "../../src/local/final-summary.js";
import { localPaths } from "../../src/local/local-paths.js";
import { createProgressReporter, tableLines } from "../../src/local/progress-table.js";
import { STATE_VERSION, type LocalSessionState } from "../../src/local/state-file.js";

const graph = graphFromTasks(
  resolveTasks({
    tasks: [
      { id: "setup", prompt: "p" },
      { id: "feature", prompt: "p", dependencies: ["setup"] },
      { id: "broken", prompt: "p" },
      { id: "after-broken", prompt: "p", dependencies: ["broken"] },
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
    feature: { status: "running", attempts: 2, costUsd: 0.5 },
    broken: {
      status: "failed",
      attempts: 1,
      reason: "Claude Code reported an error: overloaded\nsecond line",
    },
    "after-broken": { status: "skipped", attempts: 0, reason: 'dependency "broken" failed' },
  },
  runs: {
    setup: {
      branch: "orchestrator/setup",
      startedAt: at(0),
      endedAt: at(12),
      changedFiles: 3,
      commits: 1,
      commitSha: "abcdef0123",
    },
    feature: { branch: "orchestrator/feature", startedAt: at(20) },
    broken: {
      branch: "orchestrator/broken",
      startedAt: at(0),
      endedAt: at(5),
      keptWorktree: "/repo/.orchestrator/worktrees/broken",
    },
    "after-broken": { branch: "orchestrator/after-broken", endedAt: at(5) },
  },
};

describe("progress table", () => {
  it("shows each task's status, elapsed time, cost and a note, then the totals", () => {
    const lines = tableLines({ state, graph }, t0 + 30_000);
    expect(lines[0]).toMatch(/^TASK\s+STATUS\s+ELAPSED\s+COST\s+NOTE$/);
    const row = (id: string) => lines.find((line) => line.startsWith(`${id} `)) ?? "";
    expect(row("setup")).toMatch(/✓ done\s+12s\s+\$0\.25\s+orchestrator\/setup, 3 files/);
    expect(row("feature")).toMatch(/▶ running #2\s+10s\s+\$0\.50\s+orchestrator\/feature/);
    expect(row("broken")).toMatch(/✗ failed\s+5\.0s\s+Claude Code reported an error: overloaded$/);
    expect(row("after-broken")).toMatch(/- skipped\s+dependency "broken" failed/);
    expect(lines.at(-1)).toBe(
      "4 tasks: 1 running, 1 succeeded, 1 failed, 1 skipped · $0.75 · 30s · up to 2 at once",
    );
  });

  it("prints plain lines when not in a terminal", () => {
    const out: string[] = [];
    const reporter = createProgressReporter({
      output: { write: (text: string) => out.push(text) },
      now: () => t0,
    });
    reporter.event({ type: "task_started", id: "feature", attempt: 2 }, { state, graph });
    reporter.event(
      { type: "task_skipped", id: "after-broken", reason: 'dependency "broken" failed' },
      { state, graph },
    );
    reporter.close();
    expect(out.join("")).not.toContain("\x1b[");
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d started {3}feature \(attempt 2\) on orchestrator\/feature\n$/);
    expect(out[1]).toContain('skipped   after-broken: dependency "broken" failed');
  });

  it("redraws the table in place in a terminal, and draws nothing after close", () => {
    const out: string[] = [];
    const reporter = createProgressReporter({
      output: { write: (text: string) => out.push(text), isTTY: true, columns: 120 },
      now: () => t0 + 30_000,
    });
    reporter.event({ type: "task_started", id: "feature", attempt: 2 }, { state, graph });
    reporter.event({ type: "notice", message: "hello" }, { state, graph });
    reporter.close();
    reporter.event({ type: "task_started", id: "feature", attempt: 2 }, { state, graph });
    const lines = tableLines({ state, graph }, t0 + 30_000).length;
    expect(out[0]?.startsWith("\x1b[0JTASK")).toBe(true);
    // The notice clears the table, prints above it, and the table comes back below.
    expect(out[1]).toBe(`\x1b[${lines}A\r\x1b[0J`);
    expect(out[2]).toBe("note: hello\n");
    expect(out[3]?.startsWith("\x1b[0JTASK")).toBe(true);
    expect(out[4]?.startsWith(`\x1b[${lines}A\r\x1b[0JTASK`)).toBe(true);
    expect(out).toHaveLength(5);
  });
});

describe("final summary", () => {
  it("lists result, branch, cost and reason per task, the total, and where to look", () => {
    const paths = localPaths("/repo");
    const text = finalSummary({ state, graph, paths, status: "interrupted", cwd: "/repo" });
    expect(text).toMatch(
      /setup\s+succeeded\s+orchestrator\/setup\s+\$0\.25\s+3 files, 1 commit, tip abcdef0, 12s/,
    );
    expect(text).toMatch(/broken\s+failed\s+orchestrator\/broken\s+—\s+see below/);
    expect(text).toContain("  broken: Claude Code reported an error: overloaded");
    expect(text).toContain("    worktree kept for inspection: .orchestrator/worktrees/broken");
    expect(text).toContain(
      "    log: .orchestrator/logs/broken.log (readable: .orchestrator/logs/broken.txt)",
    );
    expect(text).toContain('  after-broken: dependency "broken" failed');
    expect(text).toContain("Total so far: $0.75 · 1 of 4 tasks succeeded");
    expect(text).toContain("Continue with: orchestrator run --resume");

    const done = finalSummary({
      state: {
        ...state,
        outcome: { conclusion: "failure", summary: "1 of 4 tasks succeeded, 1 failed (broken)" },
        finishedAt: at(60),
      },
      graph,
      paths,
      status: "finished",
      cwd: "/repo",
    });
    expect(done).toContain("Total: $0.75 · 1 of 4 tasks succeeded, 1 failed (broken) · 1m 00s");
    expect(done).not.toContain("--resume");
  });
});
