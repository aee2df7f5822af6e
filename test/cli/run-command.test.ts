import { afterAll, describe, expect, it } from "vitest";
import { projectWithExample, removeProjects, runCli } from "./cli-test-helpers.js";

afterAll(removeProjects);

/** `run` is a command like the others: the same parsing, messages and exit codes through `main`. */
describe("orchestrator run", () => {
  it("explains itself with --help", async () => {
    const run = await runCli(["run", "--help"], { cwd: projectWithExample() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: orchestrator run \[file\] \[--parallel N\]/);
    expect(run.stderr).toBe("");
  });

  it("refuses a bad command line with exit 2 and a pointer to --help", async () => {
    const cwd = projectWithExample();
    expect(await runCli(["run", "--parallel", "0"], { cwd })).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'orchestrator run: --parallel must be a whole number from 1 to 64, got "0"\n' +
        'Run "orchestrator run --help" for usage.\n',
    });
    expect(await runCli(["run", "--colour"], { cwd })).toEqual({
      code: 2,
      stdout: "",
      stderr: 'orchestrator run: unknown option --colour\nRun "orchestrator run --help" for usage.\n',
    });
    expect((await runCli(["run", "--base", " "], { cwd })).stderr).toBe(
      'orchestrator run: --base needs a branch name\nRun "orchestrator run --help" for usage.\n',
    );
  });

  it("stops with exit 1 and the reason, without a usage hint, when it cannot start", async () => {
    const run = await runCli(["run", "--agent", "true"], { cwd: projectWithExample() });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^orchestrator run: .*git/);
    expect(run.stderr).not.toContain("--help");
  });
});
