import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { projectWithExample, REPO_ROOT, removeProjects, runCli, spawnCli } from "./cli-test-helpers.js";

afterAll(removeProjects);

describe("orchestrator (real process)", () => {
  it("--help lists the commands and exits 0", async () => {
    const run = await spawnCli(["--help"], { cwd: projectWithExample() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: orchestrator <command> \[options\]\n/);
    expect(run.stdout).toMatch(/\n {2}validate +check a tasks file/);
    expect(run.stdout).toMatch(/\n {2}plan +show the schedule/);
    expect(run.stderr).toBe("");
  });

  it("an unknown command is a usage error: exit 2 with the list of commands", async () => {
    const run = await spawnCli(["valdate"], { cwd: projectWithExample() });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^orchestrator: unknown command "valdate" \(did you mean "validate"\?\)\n\nUsage:/,
    );
    expect(run.stderr).toContain("  validate  ");
  });
});

describe("orchestrator", () => {
  it("without a command prints the usage to stderr and exits 2", async () => {
    const run = await runCli([], { cwd: projectWithExample() });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^Usage: orchestrator <command> \[options\]\n/);
  });

  it("an unknown option before the command is a usage error", async () => {
    const run = await runCli(["--verbose", "validate"], { cwd: projectWithExample() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^orchestrator: unknown option --verbose\n/);
  });

  it("help <command> shows that command's help", async () => {
    const run = await runCli(["help", "plan"], { cwd: projectWithExample() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: orchestrator plan /);
  });

  it("--version prints the package version", async () => {
    const { version } = JSON.parse(readFileSync(`${REPO_ROOT}package.json`, "utf8")) as { version: string };
    expect(await runCli(["--version"], { cwd: projectWithExample() })).toEqual({
      code: 0,
      stdout: `${version}\n`,
      stderr: "",
    });
  });
});
