import { describe, expect, it } from "vitest";
import { parseTasksFile } from "../../src/core/parse-tasks-file.js";
import { formatIssue } from "../../src/core/validation-issue.js";

/** `reset_existing` in the tasks file: a task's own permission to replace a branch holding others' work. */
describe("reset_existing", () => {
  it("reaches the resolved task only when true", () => {
    const result = parseTasksFile({
      text: JSON.stringify({
        tasks: [
          { id: "a", prompt: "p", branch_name: "feature", reset_existing: true },
          { id: "b", prompt: "p", reset_existing: false },
          { id: "c", prompt: "p" },
        ],
      }),
      fileName: "tasks.json",
    });
    if (!result.ok) throw new Error(result.issues.map(formatIssue).join("\n"));
    expect(result.graph.byId.get("a")?.resetExisting).toBe(true);
    expect(result.graph.byId.get("b")).not.toHaveProperty("resetExisting");
    expect(result.graph.byId.get("c")).not.toHaveProperty("resetExisting");
  });

  it("is a task field, not a default, and must be a boolean", () => {
    const text = `{"tasks": [\n{"id": "a", "prompt": "p", "reset_existing": "yes"}\n]}`;
    const result = parseTasksFile({ text, fileName: "tasks.json" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map(formatIssue)).toEqual([
      expect.stringMatching(/^tasks\.json:2:\d+: task "a" field "reset_existing": must be true or false/),
    ]);
    const inDefaults = parseTasksFile({
      text: JSON.stringify({ defaults: { reset_existing: true }, tasks: [{ id: "a", prompt: "p" }] }),
      fileName: "tasks.json",
    });
    expect(inDefaults.ok).toBe(false);
  });
});
