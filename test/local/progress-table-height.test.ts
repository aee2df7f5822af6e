import { describe, expect, it } from "vitest";
import type { TaskStatus } from "../../src/core/reconcile.js";
import { graphFromTasks, resolveTasks } from "../../src/core/task-graph.js";
import { createProgressReporter, tableLines } from "../../src/local/progress-table.js";
import { STATE_VERSION, type LocalSessionState } from "../../src/local/state-file.js";

/** 50 tasks in a chain of fives: 28 done, 4 running, 3 failed, 15 waiting. */
const ids = Array.from({ length: 50 }, (_, index) => `task-${String(index).padStart(2, "0")}`);
const statusOf = (index: number): TaskStatus =>
  index < 28 ? "succeeded" : index < 32 ? "running" : index < 35 ? "failed" : "pending";
const graph = graphFromTasks(resolveTasks({ tasks: ids.map((id) => ({ id, prompt: "p" })) }), {
  maxParallelAgents: 4,
});
const t0 = Date.parse("2026-01-01T10:00:00.000Z");
const state: LocalSessionState = {
  version: STATE_VERSION,
  sessionId: "local-50",
  tasksFile: "tasks.json",
  tasksFileSha256: "h",
  baseBranch: "main",
  maxParallel: 4,
  startedAt: new Date(t0).toISOString(),
  updatedAt: new Date(t0 + 60_000).toISOString(),
  tasks: Object.fromEntries(
    ids.map((id, index) => [
      id,
      { status: statusOf(index), attempts: statusOf(index) === "pending" ? 0 : 1, reason: "r" },
    ]),
  ),
  runs: Object.fromEntries(
    ids.map((id, index) => [
      id,
      { branch: `orchestrator/${id}`, ...(index < 35 ? { startedAt: new Date(t0).toISOString() } : {}) },
    ]),
  ),
};
const view = { state, graph };
const idsWith = (status: TaskStatus) => ids.filter((_, index) => statusOf(index) === status);

/** The last frame the live table drew: what follows its last "clear to the end" code. */
function lastFrame(output: string): string[] {
  const frame = output.slice(output.lastIndexOf("\x1b[0J") + "\x1b[0J".length);
  return frame.replace(/\n$/, "").split("\n");
}

describe("the live table on a terminal shorter than the table", () => {
  it("draws at most the terminal's height: running and failed rows, the next waiting ones, one summary line", () => {
    let output = "";
    const reporter = createProgressReporter({
      output: { write: (text: string) => (output += text), isTTY: true, columns: 120, rows: 20 },
      now: () => t0 + 60_000,
    });
    reporter.event({ type: "session_started", resumed: false }, view);
    reporter.close();

    const frame = lastFrame(output);
    expect(frame.length).toBeLessThanOrEqual(20);
    for (const id of [...idsWith("running"), ...idsWith("failed")]) {
      expect(frame.some((line) => line.startsWith(id))).toBe(true);
    }
    const shownIds = ids.filter((id) => frame.some((line) => line.startsWith(`${id} `)));
    const hidden = ids.filter((id) => !shownIds.includes(id));
    // The waiting rows shown are the next to start, and no finished row takes a running one's place.
    const waitingShown = shownIds.filter((id) => idsWith("pending").includes(id));
    expect(waitingShown).toEqual(idsWith("pending").slice(0, waitingShown.length));
    const hiddenDone = hidden.filter((id) => idsWith("succeeded").includes(id)).length;
    const hiddenWaiting = hidden.filter((id) => idsWith("pending").includes(id)).length;
    expect(hiddenDone + hiddenWaiting).toBe(hidden.length);
    expect(frame).toContain(`… ${hidden.length} more: ${hiddenDone} succeeded, ${hiddenWaiting} waiting`);
    expect(frame.at(-1)).toMatch(/^50 tasks: 4 running, 28 succeeded, 3 failed, 15 waiting/);
  });

  it("counts exactly what it leaves out", () => {
    const lines = tableLines(view, t0 + 60_000, undefined, 19);
    expect(lines).toHaveLength(19);
    // Header, 4 running, 3 failed, 9 of 15 waiting, the summary, the totals.
    expect(lines.at(-2)).toBe("… 34 more: 28 succeeded, 6 waiting");
  });

  it("keeps every row when the height is not known or is enough", () => {
    expect(tableLines(view, t0 + 60_000)).toHaveLength(52);
    expect(tableLines(view, t0 + 60_000, undefined, 52)).toHaveLength(52);
  });
});
