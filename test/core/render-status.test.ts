import { describe, expect, it } from "vitest";
import {
  cell,
  renderStatusComment,
  renderStatusSummary,
  renderStatusTable,
  statusTotals,
  type SessionView,
  type TaskDetails,
} from "../../src/core/render-status.js";
import { buildTaskGraph } from "../../src/core/task-graph.js";

const graph = buildTaskGraph({
  tasks: [
    { id: "schema", name: "Design | schema", prompt: "x", retries: 1 },
    { id: "api", prompt: "x", dependencies: ["schema"] },
    { id: "ui", prompt: "x", dependencies: ["schema"] },
    { id: "e2e", prompt: "x", dependencies: ["api", "ui"] },
  ],
});

const tasks: TaskDetails = {
  schema: {
    status: "succeeded",
    attempts: 2,
    costUsd: 1.5,
    prNumber: 7,
    prUrl: "https://gh/pr/7",
    durationMs: 252_000,
    runUrl: "https://gh/run/1",
  },
  api: { status: "failed", attempts: 1, reason: "tests fail\nbadly", costUsd: 0.25 },
  ui: { status: "running", attempts: 1, runUrl: "https://gh/run/3", note: "waiting for the run" },
};

const view: SessionView = {
  state: "running",
  file: "tasks/tasks.json",
  sha: "0123456789abcdef",
  sessionId: "acme:widgets:42",
  parallel: 3,
  cancelRequested: false,
  checkRunUrl: "https://gh/checks/42",
};

describe("status rendering", () => {
  it("renders one row per task with status, PR, cost, duration, dependencies and reasons", () => {
    const table = renderStatusTable({ graph, tasks });
    const rows = table.split("\n");
    expect(rows[0]).toBe("| Task | Status | PR | Cost | Duration | Depends on | Notes |");
    expect(rows[2]).toBe(
      "| `schema` ` Design \\| schema ` | [✅ succeeded](https://gh/run/1) (attempt 2/2) | [#7](https://gh/pr/7) | $1.50 | 4m 12s |  |  |",
    );
    expect(rows[3]).toBe(
      "| `api` | ❌ failed | | $0.25 |  | `schema` | ` tests fail badly ` |".replace("| |", "|  |"),
    );
    expect(rows[4]).toContain("[🔄 running](https://gh/run/3)");
    expect(rows[4]).toContain("waiting for the run");
    expect(rows[5]).toBe("| `e2e` | ⏳ pending |  |  |  | `api`, `ui` |  |");
  });

  it("sums totals over the session's tasks", () => {
    expect(statusTotals(graph, tasks)).toMatchObject({
      tasks: 4,
      succeeded: 1,
      failed: 1,
      running: 1,
      pending: 1,
      costUsd: 1.75,
      durationMs: 252_000,
    });
    const summary = renderStatusSummary({ view, graph, tasks });
    expect(summary).toContain(
      "**Totals:** 4 tasks · ✅ 1 succeeded · 🔄 1 running · ⏳ 1 pending · ❌ 1 failed · cost $1.75 · agent time 4m 12s",
    );
    expect(summary).toContain(
      "` tasks/tasks.json ` at `0123456` · up to 3 at once · session `acme:widgets:42`",
    );
  });

  it("the comment links the Checks tab and says how to retry a failure", () => {
    const comment = renderStatusComment({ view, graph, tasks });
    expect(comment.split("\n")[0]).toBe(
      "### 🔄 Orchestrator session: Running: 1/4 succeeded, 1 running, 1 failed",
    );
    expect(comment).toContain("Live progress: [Checks tab](https://gh/checks/42)");
    expect(comment).toContain("`/orchestrate retry failed` (or `/orchestrate retry api`)");
    // Hidden, last: commands on the issue find the session by it.
    expect(comment.split("\n").at(-1)).toBe("<!-- orchestrator:session-id acme:widgets:42 -->");
    const done = renderStatusComment({
      view: { ...view, state: "completed", conclusion: "success", outcome: "4 of 4 tasks succeeded" },
      graph,
      tasks: {},
    });
    expect(done).toContain("### ✅ Orchestrator session: Succeeded: 0/4 succeeded");
    expect(done).toContain("**4 of 4 tasks succeeded.**");
  });

  it("stays under the size limit, saying how many rows were left out", () => {
    const big = buildTaskGraph({
      tasks: Array.from({ length: 2000 }, (_, i) => ({ id: `task-${i}`, prompt: "x" })),
    });
    const summary = renderStatusSummary({ view, graph: big, tasks: {}, maxChars: 10_000 });
    expect(summary.length).toBeLessThanOrEqual(10_000);
    expect(summary).toMatch(/… \d+ more tasks not shown\.$/);
    const comment = renderStatusComment({ view, graph: big, tasks: {}, maxChars: 10_000 });
    expect(comment.length).toBeLessThanOrEqual(10_000);
    expect(comment).toContain("more tasks not shown.");
    expect(comment.endsWith("<!-- orchestrator:session-id acme:widgets:42 -->")).toBe(true);
  });

  it("makes table cells safe: one inert line, pipes escaped for the table", () => {
    expect(cell("a|b <script>\n c", 100)).toBe("` a\\|b <script> c `");
    expect(cell("x".repeat(10), 5)).toBe("` xxxx… `");
  });
});
