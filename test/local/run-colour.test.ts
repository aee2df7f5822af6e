/* eslint-disable no-control-regex -- the colour codes are what these tests look for */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/run-command.js";
import { isolateGit, removeTempDirs } from "../support/git-fixtures.js";
import { captureIo, makeProject } from "./local-fixtures.js";

beforeAll(isolateGit);
afterAll(removeTempDirs);

describe("orchestrator run in colour", { timeout: 180_000 }, () => {
  it("colours the progress lines and the summary with FORCE_COLOR, and nothing without it off a terminal", async () => {
    const project = await makeProject({ tasks: [{ id: "good" }, { id: "bad", prompt: "fail" }] });
    const capture = captureIo(project);
    capture.io.env = { ...project.env, FORCE_COLOR: "1", NO_COLOR: undefined };
    expect(await runCommand(["--agent", project.agentCommand], capture.io)).toBe(1);
    const coloured = capture.stdout();
    expect(coloured).toMatch(/ \x1b\[32msucceeded\x1b\[0m good /);
    expect(coloured).toMatch(/ \x1b\[31mfailed\x1b\[0m {4}bad /);
    expect(coloured).toMatch(/\nbad {3}\x1b\[31mfailed {4}\x1b\[0m/);

    const plain = captureIo(project);
    plain.io.env = { ...project.env, FORCE_COLOR: undefined, NO_COLOR: undefined };
    expect(await runCommand(["--agent", project.agentCommand, "--retry", "failed"], plain.io)).toBe(1);
    expect(plain.stdout()).toMatch(/ failed {4}bad /);
    expect(plain.stdout()).not.toContain("\x1b");
  });
});
