/* eslint-disable no-control-regex -- the colour codes are what these tests look for */
import { afterAll, describe, expect, it } from "vitest";
import { projectWith, projectWithExample, removeProjects, runCli } from "./cli-test-helpers.js";

afterAll(removeProjects);

describe("validate's verdict in colour", () => {
  it("green ✓ in a terminal; none with NO_COLOR or in a pipe; FORCE_COLOR colours a pipe", async () => {
    const cwd = projectWithExample();
    const terminal = await runCli(["validate"], { cwd, tty: true, env: {} });
    expect(terminal.code).toBe(0);
    expect(terminal.stdout).toMatch(/^\x1b\[32m✓\x1b\[0m tasks\/tasks\.json: 7 tasks/);

    for (const quiet of [
      { tty: true, env: { NO_COLOR: "1" } },
      { tty: false, env: {} },
    ]) {
      const run = await runCli(["validate"], { cwd, ...quiet });
      expect(run.stdout).toMatch(/^✓ tasks\/tasks\.json: 7 tasks/);
      expect(run.stdout).not.toContain("\x1b");
    }
    expect((await runCli(["validate"], { cwd, tty: false, env: { FORCE_COLOR: "1" } })).stdout).toMatch(
      /^\x1b\[32m✓\x1b\[0m /,
    );
  });

  it("red ✗ for a file with problems, and the JSON output never coloured", async () => {
    const cwd = projectWith({ "tasks/tasks.json": '{"tasks": [{"id": "a"}]}' });
    const run = await runCli(["validate"], { cwd, tty: true, env: {} });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/\n\x1b\[31m✗\x1b\[0m tasks\/tasks\.json: 1 problem\n$/);
    const plan = await runCli(["plan"], { cwd, tty: true, env: {} });
    expect(plan.stderr).toMatch(
      /\n\x1b\[31m✗\x1b\[0m tasks\/tasks\.json: 1 problem; fix it to see a plan\n$/,
    );
    expect((await runCli(["plan"], { cwd, tty: false, env: {} })).stderr).not.toContain("\x1b");
    const json = await runCli(["validate", "--json"], { cwd, tty: true, env: {} });
    expect(json.stdout).not.toContain("\x1b");
  });
});
