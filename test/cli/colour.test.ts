/* eslint-disable no-control-regex -- the colour codes are what these tests look for */
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli.js";
import type { CliIo } from "../../src/cli/cli-io.js";
import { projectWith, projectWithExample, removeProjects } from "./cli-test-helpers.js";

afterAll(removeProjects);

/** `main` with a chosen terminal and environment, output captured. */
async function cli(args: string[], options: { cwd: string; tty: boolean; env: NodeJS.ProcessEnv }) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    cwd: options.cwd,
    env: options.env,
    ...(options.tty ? { terminal: { columns: 100 } } : {}),
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

describe("validate's verdict in colour", () => {
  it("green ✓ in a terminal; none with NO_COLOR or in a pipe; FORCE_COLOR colours a pipe", async () => {
    const cwd = projectWithExample();
    const terminal = await cli(["validate"], { cwd, tty: true, env: {} });
    expect(terminal.code).toBe(0);
    expect(terminal.stdout).toMatch(/^\x1b\[32m✓\x1b\[0m tasks\/tasks\.json: 7 tasks/);

    for (const quiet of [
      { tty: true, env: { NO_COLOR: "1" } },
      { tty: false, env: {} },
    ]) {
      const run = await cli(["validate"], { cwd, ...quiet });
      expect(run.stdout).toMatch(/^✓ tasks\/tasks\.json: 7 tasks/);
      expect(run.stdout).not.toContain("\x1b");
    }
    expect((await cli(["validate"], { cwd, tty: false, env: { FORCE_COLOR: "1" } })).stdout).toMatch(
      /^\x1b\[32m✓\x1b\[0m /,
    );
  });

  it("red ✗ for a file with problems, and the JSON output never coloured", async () => {
    const cwd = projectWith({ "tasks/tasks.json": '{"tasks": [{"id": "a"}]}' });
    const run = await cli(["validate"], { cwd, tty: true, env: {} });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/\n\x1b\[31m✗\x1b\[0m tasks\/tasks\.json: 1 problem\n$/);
    const plan = await cli(["plan"], { cwd, tty: true, env: {} });
    expect(plan.stderr).toMatch(
      /\n\x1b\[31m✗\x1b\[0m tasks\/tasks\.json: 1 problem; fix it to see a plan\n$/,
    );
    expect((await cli(["plan"], { cwd, tty: false, env: {} })).stderr).not.toContain("\x1b");
    const json = await cli(["validate", "--json"], { cwd, tty: true, env: {} });
    expect(json.stdout).not.toContain("\x1b");
  });
});
