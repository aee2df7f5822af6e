import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { projectWith, projectWithExample, removeProjects, runCli, spawnCli } from "./cli-test-helpers.js";

afterAll(removeProjects);

const BROKEN = `{"tasks": [
{"id": "database", "prompt": "Create the schema"},
{"id": "api", "prompt": "", "dependencies": ["databse"]}
]}`;

describe("orchestrator validate (real process)", () => {
  it("accepts the example file by default: exit 0 and a one-line summary", async () => {
    const run = await spawnCli(["validate"], { cwd: projectWithExample() });
    expect(run).toEqual({
      code: 0,
      stdout:
        "✓ tasks/tasks.json: 7 tasks, 5 waves, critical path project-setup → slugify → cli → docs → changelog (60 min)\n",
      stderr: "",
    });
  });

  it("reports every problem as JSON with exit 1", async () => {
    const run = await spawnCli(["validate", "broken.json", "--json"], {
      cwd: projectWith({ "broken.json": BROKEN }),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({
      valid: false,
      errors: [
        { task: "api", field: "prompt", line: 3, column: 25, message: "must not be empty" },
        {
          task: "api",
          field: "dependencies",
          line: 3,
          column: 46,
          message: 'unknown task "databse" (did you mean "database"?)',
        },
      ],
    });
  });

  it("exits 2 on an unknown option", async () => {
    const run = await spawnCli(["validate", "--strict"], { cwd: projectWithExample() });
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'orchestrator validate: unknown option --strict\nRun "orchestrator validate --help" for usage.\n',
    });
  });
});

describe("orchestrator validate", () => {
  it("prints one line per problem and a summary", async () => {
    const run = await runCli(["validate", "broken.json"], { cwd: projectWith({ "broken.json": BROKEN }) });
    expect(run).toEqual({
      code: 1,
      stdout:
        'broken.json:3:25: task "api" field "prompt": must not be empty\n' +
        'broken.json:3:46: task "api" field "dependencies": unknown task "databse" (did you mean "database"?)\n' +
        "✗ broken.json: 2 problems\n",
      stderr: "",
    });
  });

  it("prints warnings of a valid file", async () => {
    const text = `{"tasks": [{"id": "a", "prompt": "p"}, {"id": "b", "prompt": "p", "dependencies": ["a", "a"]}]}`;
    const run = await runCli(["validate", "t.json"], { cwd: projectWith({ "t.json": text }) });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'warning: t.json:1:89: task "b" field "dependencies": "a" is listed twice\n' +
        "✓ t.json: 2 tasks, 2 waves, critical path a → b (2 min)\n",
    );
  });

  it("falls back to tasks/tasks.yaml when there is no tasks/tasks.json", async () => {
    const cwd = projectWith({ "tasks/tasks.yaml": "tasks:\n  - id: only\n    prompt: Do it\n" });
    const run = await runCli(["validate"], { cwd });
    expect(run).toEqual({
      code: 0,
      stdout: "✓ tasks/tasks.yaml: 1 task, 1 wave, critical path only (1 min)\n",
      stderr: "",
    });
    const json = await runCli(["validate", "--json"], { cwd });
    expect(JSON.parse(json.stdout)).toEqual({ valid: true, errors: [] });
  });

  it("says clearly when the file is missing, a directory, too big or not text", async () => {
    const cwd = projectWith({ "big.json": `{"tasks": [], "pad": "${"x".repeat(6 * 1024 * 1024)}"}` });
    mkdirSync(path.join(cwd, "folder.json"));
    writeFileSync(path.join(cwd, "binary.json"), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));

    expect(await runCli(["validate"], { cwd })).toEqual({
      code: 1,
      stdout:
        `tasks/tasks.json: no tasks file found: looked for tasks/tasks.json, tasks/tasks.yaml, tasks/tasks.yml in ${cwd}; ` +
        "create one or pass its path\n✗ tasks/tasks.json: 1 problem\n",
      stderr: "",
    });
    expect((await runCli(["validate", "nope.json"], { cwd })).stdout).toBe(
      "nope.json: file not found\n✗ nope.json: 1 problem\n",
    );
    expect((await runCli(["validate", "folder.json"], { cwd })).stdout).toBe(
      "folder.json: is a directory, not a tasks file\n✗ folder.json: 1 problem\n",
    );
    expect((await runCli(["validate", "big.json"], { cwd })).stdout).toBe(
      "big.json: the file is 6 MB; the limit is 5 MB\n✗ big.json: 1 problem\n",
    );
    expect((await runCli(["validate", "binary.json"], { cwd })).stdout).toBe(
      "binary.json: the file is not UTF-8 text\n✗ binary.json: 1 problem\n",
    );
    const json = await runCli(["validate", "nope.json", "--json"], { cwd });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ valid: false, errors: [{ message: "file not found" }] });
  });

  it.skipIf(process.getuid?.() === 0)("says when the file cannot be read", async () => {
    const cwd = projectWith({ "secret.json": "{}" });
    chmodSync(path.join(cwd, "secret.json"), 0o000);
    expect((await runCli(["validate", "secret.json"], { cwd })).stdout).toBe(
      "secret.json: cannot read the file: permission denied\n✗ secret.json: 1 problem\n",
    );
  });

  it("takes one file at most", async () => {
    const run = await runCli(["validate", "a.json", "b.json"], { cwd: projectWithExample() });
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'orchestrator validate: expected one tasks file, got 2\nRun "orchestrator validate --help" for usage.\n',
    });
  });

  it("explains itself with --help", async () => {
    const run = await runCli(["validate", "--help"], { cwd: projectWithExample() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: orchestrator validate \[file\] \[--json\]\n/);
    expect(run.stdout).toContain("Exit codes: 0 valid, 1 invalid or unreadable, 2 wrong command line.");
    expect(run.stderr).toBe("");
  });
});
