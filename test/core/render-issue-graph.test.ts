import { describe, expect, it } from "vitest";
import { renderIssueGraphSection } from "../../src/core/render-issue-graph.js";
import { renderStatusComment, type SessionView } from "../../src/core/render-status.js";
import { buildTaskGraph } from "../../src/core/task-graph.js";
import { tasksFileSchema } from "../../src/core/tasks-schema.js";

function graphOf(count: number, name: (n: number) => string) {
  return buildTaskGraph(
    tasksFileSchema.parse({
      tasks: Array.from({ length: count }, (_, i) => ({
        id: `issue-${i + 2}`,
        name: name(i + 2),
        prompt: "x",
        ...(i > 0 ? { dependencies: [`issue-${i + 1}`] } : {}),
      })),
    }),
  );
}

describe("the issue part of the status comment", () => {
  it("draws the graph by state, lists what waits and what changed; text that is not the App's is inert", () => {
    const graph = graphOf(2, (n) => `#${n} Step ${n}`);
    const text = renderIssueGraphSection({
      parent: 1,
      graph,
      tasks: { "issue-2": { status: "running", attempts: 1 } },
      waiting: [{ issue: 7, waitsOn: ["#99 (open, not a sub-issue of #1)"] }],
      changes: ["#4 joined the session", '#5: model must be a string (got "@everyone <img src=x>")'],
    });
    expect(text).toContain('t0["#35;2 Step 2"]:::running');
    expect(text).toContain('t1["#35;3 Step 3"]:::pending');
    expect(text).toContain('["#35;7 #40;waiting#41;"]:::waiting');
    expect(text).toContain("- #7 waits on #99 (open, not a sub-issue of #1)");
    expect(text).toContain("- #4 joined the session");
    expect(text).toContain('- ` #5: model must be a string (got "@everyone <img src=x>") `');
  });

  it("keeps the whole comment within GitHub's 65,536 characters however large the graph", () => {
    const graph = graphOf(500, (n) => `#${n} ${"long title ".repeat(15)}`);
    const long = Array.from({ length: 50 }, (_, i) => `#${i} ${"x".repeat(2_000)}`);
    const section = renderIssueGraphSection({
      parent: 1,
      graph,
      tasks: {},
      waiting: long.map((_, i) => ({ issue: 1000 + i, waitsOn: long })),
      changes: long,
      notes: long,
    });
    const view: SessionView = {
      state: "running",
      file: "sub-issues of #1",
      sha: "a".repeat(40),
      sessionId: "acme:widgets:1",
      parallel: 3,
      cancelRequested: false,
      issue: 1,
    };
    const comment = renderStatusComment({ view, graph, tasks: {}, sections: [section] });
    expect(comment.length).toBeLessThan(65_536);
    expect(section).toContain("not shown");
    expect(section).toContain("- … and 30 more");
  });
});
