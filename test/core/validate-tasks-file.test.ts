import { describe, expect, it } from "vitest";
import { parseTasksFile } from "../../src/core/parse-tasks-file.js";
import { validateTasksFile } from "../../src/core/validate-tasks-file.js";
import { formatIssue } from "../../src/core/validation-issue.js";

/** What a user sees: one formatted line per problem. */
function problems(text: string, fileName = "tasks.json"): string[] {
  const result = parseTasksFile({ text, fileName });
  if (result.ok) return [];
  return result.issues.map(formatIssue);
}

function warnings(text: string, fileName = "tasks.json"): string[] {
  const result = parseTasksFile({ text, fileName });
  if (!result.ok)
    throw new Error(`expected a valid file, got:\n${result.issues.map(formatIssue).join("\n")}`);
  return result.warnings.map(formatIssue);
}

/** A file with one task per line, so line N+2 is task N (1-based) and columns are easy to count. */
function oneLinePerTask(...tasks: string[]): string {
  return `{"tasks": [\n${tasks.join(",\n")}\n]}`;
}

describe("schema problems", () => {
  it("names an unknown field and suggests the closest allowed one", () => {
    const text = oneLinePerTask(`{"id": "api", "prompt": "p", "dependancies": []}`);
    expect(problems(text)).toEqual([
      'tasks.json:2:30: task "api" field "dependancies": unknown field (did you mean "dependencies"?)',
    ]);
  });

  it("maps other tools' field names to ours", () => {
    const text = oneLinePerTask(`{"id": "api", "prompt": "p", "depends_on": []}`);
    expect(problems(text)).toEqual([
      'tasks.json:2:30: task "api" field "depends_on": unknown field (did you mean "dependencies"?)',
    ]);
  });

  it("lists the allowed fields when nothing is close", () => {
    const text = `{"tasks": [{"id": "a", "prompt": "p"}], "zzzzzzzz": 1}`;
    expect(problems(text)).toEqual([
      'tasks.json:1:41: field "zzzzzzzz": unknown field; the allowed fields are: $schema, max_parallel_agents, ' +
        "base_branch, budget_usd, defaults, tasks",
    ]);
  });

  it("says which task fields cannot go in defaults", () => {
    const text = `{"defaults": {"estimate_minutes": 3}, "tasks": [{"id": "a", "prompt": "p"}]}`;
    expect(problems(text)).toEqual([
      'tasks.json:1:15: field "defaults.estimate_minutes": unknown field: "estimate_minutes" can be set on each task, not in "defaults"',
    ]);
  });

  it("reports wrong types with what was found", () => {
    const text = oneLinePerTask(
      `{"id": "a", "prompt": 5}`,
      `{"id": "b", "prompt": "p", "dependencies": "a"}`,
      `{"id": "c", "prompt": "p", "allow_no_changes": "yes"}`,
      `"d"`,
    );
    expect(problems(text)).toEqual([
      'tasks.json:2:23: task "a" field "prompt": must be a string (got 5)',
      'tasks.json:3:44: task "b" field "dependencies": must be a list (got "a")',
      'tasks.json:4:48: task "c" field "allow_no_changes": must be true or false (got "yes")',
      'tasks.json:5:1: task #4: must be an object (got "d")',
    ]);
  });

  it("names the item of a list that is wrong", () => {
    const text = oneLinePerTask(`{"id": "a", "prompt": "p", "allowed_tools": ["Edit", 3, ""]}`);
    expect(problems(text)).toEqual([
      'tasks.json:2:54: task "a" field "allowed_tools": item 2 must be a string (got 3)',
      'tasks.json:2:57: task "a" field "allowed_tools": item 3 must not be empty',
    ]);
  });

  it("states every limit it enforces", () => {
    const text = oneLinePerTask(
      `{"id": "a", "prompt": "p", "timeout_minutes": 400, "retries": 1.5, "estimate_minutes": 0}`,
      `{"id": "${"x".repeat(101)}", "prompt": "p"}`,
    );
    expect(problems(text)).toEqual([
      'tasks.json:2:47: task "a" field "timeout_minutes": must be at most 360 (got 400)',
      'tasks.json:2:63: task "a" field "retries": must be a whole number (got 1.5)',
      'tasks.json:2:88: task "a" field "estimate_minutes": must be greater than 0 (got 0)',
      `tasks.json:3:8: task "${"x".repeat(101)}" field "id": is too long: 101 characters (the limit is 100)`,
    ]);
  });

  it("points a missing field at its task and names the task by position when it has no id", () => {
    const text = oneLinePerTask(`{"id": "a", "prompt": "p"}`, `  {"name": "no id or prompt"}`);
    expect(problems(text)).toEqual([
      'tasks.json:3:3: task #2 field "id": is required',
      'tasks.json:3:3: task #2 field "prompt": is required',
    ]);
  });

  it("rejects an empty or blank prompt", () => {
    const text = oneLinePerTask(`{"id": "a", "prompt": ""}`, `{"id": "b", "prompt": " \\n\\t "}`);
    expect(problems(text)).toEqual([
      'tasks.json:2:23: task "a" field "prompt": must not be empty',
      'tasks.json:3:23: task "b" field "prompt": must not be empty',
    ]);
  });

  it("explains the id pattern", () => {
    const text = oneLinePerTask(`{"id": "my task", "prompt": "p"}`);
    expect(problems(text)).toEqual([
      `tasks.json:2:8: task "my task" field "id": must start with a letter or digit and use only letters, digits, '.', '_' and '-'`,
    ]);
  });

  it("suggests the closest option of an enum", () => {
    const text = oneLinePerTask(`{"id": "a", "prompt": "p", "base": "merge"}`);
    expect(problems(text)).toEqual([
      'tasks.json:2:36: task "a" field "base": must be one of "dependencies", "merged", "base_branch" (got "merge"); did you mean "merged"?',
    ]);
  });

  it("checks file-level settings", () => {
    const text = `{"max_parallel_agents": 0, "budget_usd": "ten", "tasks": [{"id": "a", "prompt": "p"}]}`;
    expect(problems(text)).toEqual([
      'tasks.json:1:25: field "max_parallel_agents": must be at least 1 (got 0)',
      'tasks.json:1:42: field "budget_usd": must be a number (got "ten")',
    ]);
  });

  it("gives a clear message for a file that is not an object or has no tasks", () => {
    expect(problems(`[{"id": "a", "prompt": "p"}]`)).toEqual([
      'tasks.json:1:1: the file must be an object with a "tasks" list, not a list; wrap it as { "tasks": [ ... ] }',
    ]);
    expect(problems(`"tasks"`)).toEqual([
      'tasks.json:1:1: the file must be an object with a "tasks" list, not "tasks"',
    ]);
    expect(problems(`null`)).toEqual([
      'tasks.json:1:1: the file is empty: it must be an object with a "tasks" list',
    ]);
    expect(problems(`{"task": []}`)).toEqual([
      'tasks.json:1:1: field "tasks": is required: list the tasks under "tasks", e.g. { "tasks": [ { "id": "…", "prompt": "…" } ] }',
      'tasks.json:1:2: field "task": unknown field (did you mean "tasks"?)',
    ]);
    expect(problems(`{"tasks": []}`)).toEqual([
      'tasks.json:1:11: field "tasks": must list at least one task',
    ]);
    expect(problems(`{"tasks": {"a": {"prompt": "p"}}}`)).toEqual([
      'tasks.json:1:11: field "tasks": must be a list (got an object)',
    ]);
  });
});

describe("dependency problems", () => {
  it("suggests the closest id for an unknown dependency", () => {
    const text = oneLinePerTask(
      `{"id": "database", "prompt": "p"}`,
      `{"id": "api", "prompt": "p", "dependencies": ["databse"]}`,
    );
    expect(problems(text)).toEqual([
      'tasks.json:3:47: task "api" field "dependencies": unknown task "databse" (did you mean "database"?)',
    ]);
  });

  it("lists the ids of a small file when no id is close", () => {
    const text = oneLinePerTask(
      `{"id": "a", "prompt": "p"}`,
      `{"id": "b", "prompt": "p", "dependencies": ["zzz"]}`,
    );
    expect(problems(text)).toEqual([
      'tasks.json:3:45: task "b" field "dependencies": unknown task "zzz" (the tasks are: a, b)',
    ]);
  });

  it("rejects self-dependencies and duplicate ids", () => {
    const text = oneLinePerTask(
      `{"id": "a", "prompt": "p", "dependencies": ["a"]}`,
      `{"id": "b", "prompt": "p"}`,
      `{"id": "a", "prompt": "p"}`,
    );
    expect(problems(text)).toEqual([
      'tasks.json:2:45: task "a" field "dependencies": a task cannot depend on itself',
      'tasks.json:4:8: task "a" field "id": duplicate id: task #1 already uses it (see line 2)',
    ]);
  });

  it("prints a cycle as its path, once, starting at its first task in the file", () => {
    const text = oneLinePerTask(
      `{"id": "a", "prompt": "p", "dependencies": ["c"]}`,
      `{"id": "b", "prompt": "p", "dependencies": ["a"]}`,
      `{"id": "c", "prompt": "p", "dependencies": ["b"]}`,
    );
    expect(problems(text)).toEqual([
      'tasks.json:2:45: task "a" field "dependencies": dependency cycle: a → c → b → a',
    ]);
  });

  it("reports each separate cycle, and the other tasks caught in a knot of cycles", () => {
    const text = oneLinePerTask(
      `{"id": "x", "prompt": "p", "dependencies": ["y"]}`,
      `{"id": "y", "prompt": "p", "dependencies": ["x", "z"]}`,
      `{"id": "z", "prompt": "p", "dependencies": ["y"]}`,
      `{"id": "m", "prompt": "p", "dependencies": ["n"]}`,
      `{"id": "n", "prompt": "p", "dependencies": ["m"]}`,
      `{"id": "free", "prompt": "p", "dependencies": ["x", "m"]}`,
    );
    expect(problems(text)).toEqual([
      'tasks.json:2:45: task "x" field "dependencies": dependency cycle: x → y → x (also caught in cycles with these: z)',
      'tasks.json:5:45: task "m" field "dependencies": dependency cycle: m → n → m',
    ]);
  });

  it("warns about a dependency listed twice but accepts the file", () => {
    const text = oneLinePerTask(
      `{"id": "a", "prompt": "p"}`,
      `{"id": "b", "prompt": "p", "dependencies": ["a", "a"]}`,
    );
    expect(warnings(text)).toEqual(['tasks.json:3:50: task "b" field "dependencies": "a" is listed twice']);
  });
});

describe("branch problems", () => {
  it("rejects branch names git would reject, saying why", () => {
    const text = oneLinePerTask(
      `{"id": "a", "prompt": "p", "branch_name": "feature..x"}`,
      `{"id": "b", "prompt": "p", "branch_name": "my branch"}`,
      `{"id": "c", "prompt": "p", "branch_name": "-c"}`,
      `{"id": "d", "prompt": "p", "branch_name": "x.lock"}`,
    );
    expect(problems(text)).toEqual([
      `tasks.json:2:43: task "a" field "branch_name": "feature..x" is not a valid git branch name: it contains '..'`,
      'tasks.json:3:43: task "b" field "branch_name": "my branch" is not a valid git branch name: it contains a space',
      `tasks.json:4:43: task "c" field "branch_name": "-c" is not a valid git branch name: it starts with '-'`,
      `tasks.json:5:43: task "d" field "branch_name": "x.lock" is not a valid git branch name: the part "x.lock" ends with '.lock'`,
    ]);
  });

  it("checks the default branch orchestrator/<id> of tasks without branch_name", () => {
    const text = oneLinePerTask(`{"id": "v1..2", "prompt": "p"}`);
    expect(problems(text)).toEqual([
      `tasks.json:2:8: task "v1..2" field "id": the default branch "orchestrator/v1..2" is not a valid git branch name (it contains '..'); rename the task or set "branch_name"`,
    ]);
  });

  it("rejects two tasks on one branch, default names included", () => {
    const text = oneLinePerTask(
      `{"id": "a", "prompt": "p", "branch_name": "work"}`,
      `{"id": "b", "prompt": "p", "branch_name": "work"}`,
      `{"id": "c", "prompt": "p"}`,
      `{"id": "d", "prompt": "p", "branch_name": "orchestrator/c"}`,
    );
    expect(problems(text)).toEqual([
      'tasks.json:3:43: task "b" field "branch_name": branch "work" is also the branch of task "a"; each task needs its own branch (see line 2)',
      'tasks.json:5:43: task "d" field "branch_name": branch "orchestrator/c" is also the branch of task "c"; each task needs its own branch (see line 4)',
    ]);
  });

  it("rejects a branch nested inside another task's branch name", () => {
    const text = oneLinePerTask(
      `{"id": "a", "prompt": "p", "branch_name": "orchestrator"}`,
      `{"id": "b", "prompt": "p"}`,
    );
    expect(problems(text)).toEqual([
      `tasks.json:3:8: task "b" field "id": its default branch "orchestrator/b" cannot exist beside the branch "orchestrator" of task "a": git cannot keep a branch inside another branch's name (see line 2)`,
    ]);
  });

  it("rejects a task branch that is the base branch, and an invalid base branch", () => {
    expect(
      problems(`{"base_branch": "main", "tasks": [{"id": "a", "prompt": "p", "branch_name": "main"}]}`),
    ).toEqual([
      'tasks.json:1:77: task "a" field "branch_name": branch "main" is the file\'s base_branch; a task needs a branch of its own',
    ]);
    expect(problems(`{"base_branch": "ma in", "tasks": [{"id": "a", "prompt": "p"}]}`)).toEqual([
      'tasks.json:1:17: field "base_branch": "ma in" is not a valid git branch name: it contains a space',
    ]);
  });

  it("warns when two branches differ only in letter case", () => {
    const text = oneLinePerTask(
      `{"id": "a", "prompt": "p", "branch_name": "Feature"}`,
      `{"id": "b", "prompt": "p", "branch_name": "feature"}`,
    );
    expect(warnings(text)).toEqual([
      'tasks.json:3:43: task "b" field "branch_name": branch "feature" differs from the branch "Feature" of task "a" only in letter case; they clash on macOS and Windows (see line 2)',
    ]);
  });
});

describe("every problem at once", () => {
  it("reports schema and graph problems of many tasks together, in file order", () => {
    const text = oneLinePerTask(
      `{"id": "a", "prompt": "", "dependencies": ["b"]}`,
      `{"id": "b", "prompt": "p", "dependencies": ["a", "nope"], "retries": -1}`,
      `{"id": "c", "prompt": "p", "branch_name": "x y", "colour": "red"}`,
    );
    expect(problems(text)).toEqual([
      'tasks.json:2:23: task "a" field "prompt": must not be empty',
      'tasks.json:2:44: task "a" field "dependencies": dependency cycle: a → b → a',
      'tasks.json:3:50: task "b" field "dependencies": unknown task "nope" (the tasks are: a, b, c)',
      'tasks.json:3:70: task "b" field "retries": must be at least 0 (got -1)',
      'tasks.json:4:43: task "c" field "branch_name": "x y" is not a valid git branch name: it contains a space',
      'tasks.json:4:50: task "c" field "colour": unknown field; the allowed fields are: id, name, description, prompt, ' +
        "branch_name, dependencies, estimate_minutes, timeout_minutes, retries, model, max_turns, max_budget_usd, " +
        "allowed_tools, base, allow_no_changes, reset_existing",
    ]);
  });

  it("caps a flood of problems and says how many were left out", () => {
    const tasks = Array.from({ length: 1_200 }, (_, i) => `{"id": "t${i}", "prompt": ""}`);
    const issues = problems(oneLinePerTask(...tasks));
    expect(issues).toHaveLength(1_000);
    expect(issues[999]).toBe("tasks.json: 201 more problems are not shown; fix the ones above first");
  });
});

describe("validateTasksFile (on parsed data)", () => {
  it("returns the typed file only when there are no errors", () => {
    const good = validateTasksFile({ tasks: [{ id: "a", prompt: "p" }] });
    expect(good.errors).toEqual([]);
    expect(good.file?.tasks[0]?.id).toBe("a");
    const bad = validateTasksFile({ tasks: [{ id: "a", prompt: "p", dependencies: ["a"] }] });
    expect(bad.file).toBeNull();
    expect(bad.errors).toEqual([
      {
        path: ["tasks", 0, "dependencies", 0],
        at: "value",
        task: "a",
        field: "dependencies",
        message: "a task cannot depend on itself",
      },
    ]);
  });
});

describe("long cycles", () => {
  it("shortens a cycle through many tasks to its start and end", () => {
    const tasks = Array.from(
      { length: 30 },
      (_, i) => `{"id": "t${i}", "prompt": "p", "dependencies": ["t${(i + 1) % 30}"]}`,
    );
    expect(problems(oneLinePerTask(...tasks))).toEqual([
      'tasks.json:2:46: task "t0" field "dependencies": dependency cycle: ' +
        "t0 → t1 → t2 → t3 → t4 → t5 → t6 → t7 → … 20 more … → t28 → t29 → t0",
    ]);
  });
});
