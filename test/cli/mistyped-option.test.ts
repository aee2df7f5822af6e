import { afterAll, describe, expect, it } from "vitest";
import { commands } from "../../src/cli/commands.js";
import { projectWithExample, removeProjects, runCli } from "./cli-test-helpers.js";

afterAll(removeProjects);

describe("a mistyped option", () => {
  it("names the closest option of the command, with the pointer to --help", async () => {
    const cwd = projectWithExample();
    expect(await runCli(["run", "--paralel", "3"], { cwd })).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "orchestrator run: unknown option --paralel (did you mean --parallel?)\n" +
        'Run "orchestrator run --help" for usage.\n',
    });
    expect((await runCli(["run", "--reset-exisitng"], { cwd })).stderr).toMatch(
      /^orchestrator run: unknown option --reset-exisitng \(did you mean --reset-existing\?\)\n/,
    );
    expect((await runCli(["validate", "--jsno"], { cwd })).stderr).toBe(
      "orchestrator validate: unknown option --jsno (did you mean --json?)\n" +
        'Run "orchestrator validate --help" for usage.\n',
    );
    expect((await runCli(["plan", "--parralel=2"], { cwd })).stderr).toMatch(
      /^orchestrator plan: unknown option --parralel \(did you mean --parallel\?\)\n/,
    );
    expect((await runCli(["serve", "--prot", "3000"], { cwd })).stderr).toMatch(
      /^orchestrator serve: unknown option --prot \(did you mean --port\?\)\n/,
    );
  });

  it("suggests nothing for an option unlike any, or a short one", async () => {
    const cwd = projectWithExample();
    expect((await runCli(["run", "--colour"], { cwd })).stderr).toBe(
      'orchestrator run: unknown option --colour\nRun "orchestrator run --help" for usage.\n',
    );
    expect((await runCli(["plan", "-x"], { cwd })).stderr).toBe(
      'orchestrator plan: unknown option -x\nRun "orchestrator plan --help" for usage.\n',
    );
  });

  it("is caught by every command with a suggestion (each has --help; --hepl is one letter off)", async () => {
    const cwd = projectWithExample();
    for (const command of commands) {
      const run = await runCli([command.name, "--hepl"], { cwd });
      expect(run.code, command.name).toBe(2);
      expect(run.stderr, command.name).toContain(`unknown option --hepl (did you mean --help?)`);
    }
  });
});
