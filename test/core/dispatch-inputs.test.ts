import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DISPATCH_INPUT_NAMES,
  DispatchInputError,
  decodeDispatchInputs,
  encodeDispatchInputs,
  formatRunName,
  parseRunName,
  splitTools,
  type TaskRunRequest,
} from "../../src/core/dispatch-inputs.js";

const full: TaskRunRequest = {
  sessionId: "octo:repo:123",
  taskId: "api",
  attempt: 2,
  tasksRef: "0123456789abcdef0123456789abcdef01234567",
  tasksFile: "tasks/tasks.yaml",
  prompt: "Do it",
  branch: "orchestrator/api",
  baseBranch: "main",
  baseStrategy: "dependencies",
  dependencyBranches: ["orchestrator/db", "orchestrator/auth"],
  prBase: "main",
  timeoutMinutes: 30,
  model: "claude-sonnet-4-5",
  maxTurns: 40,
  maxBudgetUsd: 2.5,
  allowedTools: ["Edit", "Bash(git diff:*, git log:*)", "Write"],
  allowNoChanges: true,
  issue: 14,
  mode: "plan",
  feedback: "Rename the helper, see line 12.",
};

function errorOf(run: () => unknown): DispatchInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof DispatchInputError) return error;
    throw error;
  }
  throw new Error("expected a DispatchInputError");
}

describe("dispatch inputs", () => {
  it("round-trips a request with every field", () => {
    expect(decodeDispatchInputs(encodeDispatchInputs(full))).toEqual(full);
  });

  it("sends mode and feedback only when set, so an older task workflow still takes a plain task", () => {
    const plain: TaskRunRequest = { ...full, mode: "task" };
    delete plain.feedback;
    const inputs = encodeDispatchInputs(plain);
    expect(inputs.mode).toBeUndefined();
    expect(inputs.feedback).toBeUndefined();
    expect(decodeDispatchInputs(inputs).mode).toBeUndefined();
  });

  it("names a mode it does not know", () => {
    expect(errorOf(() => decodeDispatchInputs({ ...encodeDispatchInputs(full), mode: "deploy" })).input).toBe(
      "mode",
    );
  });

  it("encodes within the workflow_dispatch limits: ≤ 25 inputs, strings only", () => {
    const inputs = encodeDispatchInputs(full);
    expect(DISPATCH_INPUT_NAMES.length).toBeLessThanOrEqual(25);
    for (const [name, value] of Object.entries(inputs)) {
      expect(DISPATCH_INPUT_NAMES).toContain(name);
      expect(typeof value).toBe("string");
    }
  });

  it("round-trips random requests", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
    const branch = name.map((value) => `orchestrator/${value}`);
    const request = fc.record({
      sessionId: name,
      taskId: name,
      attempt: fc.integer({ min: 1, max: 99 }),
      tasksFile: fc.constant("tasks/tasks.json"),
      branch,
      baseBranch: branch,
      baseStrategy: fc.constantFrom("dependencies", "merged", "base_branch" as const),
      dependencyBranches: fc.array(branch, { maxLength: 4 }),
      prBase: branch,
      allowNoChanges: fc.boolean(),
      allowedTools: fc.option(
        fc.array(fc.constantFrom("Edit", "Write", "Bash(npm test)", "Bash(a:*, b:*)"), { minLength: 1 }),
        {
          nil: undefined,
        },
      ),
    });
    fc.assert(
      fc.property(request, (value) => {
        const clean = Object.fromEntries(
          Object.entries(value).filter(([, v]) => v !== undefined),
        ) as TaskRunRequest;
        expect(decodeDispatchInputs(encodeDispatchInputs(clean))).toEqual(clean);
      }),
    );
  });

  it("sends `issue` only for a task of an issue session (older task workflows do not declare it)", () => {
    const { issue: _issue, ...fileTask } = full;
    expect(encodeDispatchInputs(fileTask)).not.toHaveProperty("issue");
    expect(encodeDispatchInputs(full).issue).toBe("14");
    expect(errorOf(() => decodeDispatchInputs({ ...encodeDispatchInputs(full), issue: "#14" })).message).toBe(
      'input "issue": expected a whole number, got "#14"',
    );
  });

  it("fills defaults for a manual run: session, attempt, file, strategy, pr_base", () => {
    const request = decodeDispatchInputs({
      task_id: "a",
      branch: "orchestrator/a",
      base_branch: "main",
      prompt: "x",
    });
    expect(request).toMatchObject({
      sessionId: "manual",
      attempt: 1,
      tasksFile: "tasks/tasks.json",
      baseStrategy: "dependencies",
      dependencyBranches: [],
      prBase: "main",
      allowNoChanges: false,
    });
  });

  it("treats empty strings (the Actions UI's blanks) as absent", () => {
    const request = decodeDispatchInputs({
      task_id: "a",
      branch: "b",
      base_branch: "main",
      model: "",
      max_turns: "  ",
      pr_base: "",
      allowed_tools: "",
    });
    expect(request.model).toBeUndefined();
    expect(request.maxTurns).toBeUndefined();
    expect(request.prBase).toBe("main");
  });

  it.each([
    [{ task_id: "a", branch: "b", base_branch: "main", attempt: "two" }, "attempt", "whole number"],
    [{ task_id: "a", branch: "b", base_branch: "main", attempt: "0" }, "attempt", ""],
    [{ task_id: "a", branch: "b", base_branch: "main", max_turns: "1.5" }, "max_turns", "whole number"],
    [
      { task_id: "a", branch: "b", base_branch: "main", timeout_minutes: "-3" },
      "timeout_minutes",
      "whole number",
    ],
    [
      { task_id: "a", branch: "b", base_branch: "main", max_budget_usd: "free" },
      "max_budget_usd",
      "positive",
    ],
    [
      { task_id: "a", branch: "b", base_branch: "main", allow_no_changes: "yes" },
      "allow_no_changes",
      "true or false",
    ],
    [{ task_id: "a", branch: "b", base_branch: "main", base_strategy: "rebase" }, "base_strategy", ""],
    [{ branch: "b", base_branch: "main" }, "task_id", ""],
    [{ task_id: "a", base_branch: "main" }, "branch", ""],
    [{ task_id: "a", branch: "b" }, "base_branch", ""],
  ])("names the bad input: %j → %s", (inputs, name, words) => {
    const error = errorOf(() => decodeDispatchInputs(inputs));
    expect(error.input).toBe(name);
    expect(error.message).toContain(`input "${name}"`);
    expect(error.message).toContain(words);
  });

  it("splits tools at commas outside parentheses", () => {
    expect(splitTools("Edit, Bash(git diff:*, git log:*),Write,")).toEqual([
      "Edit",
      "Bash(git diff:*, git log:*)",
      "Write",
    ]);
  });

  it("formats run names that parse back, and rejects other titles", () => {
    const key = { sessionId: "octo:repo:42", taskId: "db.schema_v2", attempt: 3 };
    expect(formatRunName(key)).toBe("orchestrator db.schema_v2 #3 [octo:repo:42]");
    expect(parseRunName(formatRunName(key))).toEqual({ ...key, mode: "task" });
    expect(parseRunName("CI")).toBeNull();
    expect(parseRunName("orchestrator a #x [s]")).toBeNull();
  });

  it("names a restack run apart from the attempt whose branch it rebases, and parses its mode back", () => {
    const key = { sessionId: "octo:repo:42", taskId: "db.schema_v2", attempt: 3 };
    const restack = formatRunName({ ...key, mode: "restack" });
    expect(restack).toBe("orchestrator db.schema_v2 #3 [octo:repo:42] restack");
    expect(restack).not.toBe(formatRunName(key));
    expect(parseRunName(restack)).toEqual({ ...key, mode: "restack" });
    // The old name, from a task workflow without the suffix, is still a task run.
    expect(parseRunName("orchestrator db.schema_v2 #3 [octo:repo:42]")?.mode).toBe("task");
    // A plan or task mode adds nothing to the name; anything else after the name is not ours.
    expect(formatRunName({ ...key, mode: "task" })).toBe(formatRunName(key));
    expect(parseRunName(`${formatRunName(key)} restacked`)).toBeNull();
  });
});
