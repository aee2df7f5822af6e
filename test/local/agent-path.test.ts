import { existsSync } from "node:fs";
import { chmod, mkdir, realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/run-command.js";
import { readStateFile } from "../../src/local/state-file.js";
import { isolateGit, removeTempDirs } from "../support/git-fixtures.js";
import { captureIo, makeProject, type Project } from "./local-fixtures.js";

beforeAll(isolateGit);
afterAll(removeTempDirs);

/** A shell script (not committed, so absent from every task's worktree) that runs the fixture agent. */
async function agentScript(project: Project, dir: string, name: string, mode = 0o755): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\nexec "${process.execPath}" "${join(project.scratch, "agent.mjs")}"\n`);
  await chmod(path, mode);
  return path;
}

async function runIn(project: Project, cwd: string, agent: string) {
  const capture = captureIo(project, cwd);
  const code = await runCommand(["--agent", agent], capture.io);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

/** Nothing was started: no agent ran, no session was recorded. */
async function expectNothingStarted(project: Project) {
  expect(await project.events()).toEqual([]);
  expect(existsSync(join(project.repo, ".orchestrator", "state.json"))).toBe(false);
}

describe("orchestrator run --agent PATH", { timeout: 180_000 }, () => {
  it("takes a relative agent path from the directory the user ran it in, not the task's worktree", async () => {
    const project = await makeProject({ tasks: [{ id: "a" }, { id: "b", dependencies: ["a"] }] });
    const tools = join(project.repo, "tools");
    await agentScript(project, tools, "my-agent.sh");

    const run = await runIn(project, tools, "./my-agent.sh");

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect((await project.events()).map((e) => `${e.event} ${e.id}`)).toEqual([
      "start a",
      "end a",
      "start b",
      "end b",
    ]);
    // A resume runs the same program from wherever it is started.
    const state = await readStateFile(join(project.repo, ".orchestrator", "state.json"));
    expect(state?.agentCommand).toEqual([join(await realpath(tools), "my-agent.sh")]);
  });

  it("refuses a missing agent before any task starts, naming the path as given and as resolved", async () => {
    const project = await makeProject({ tasks: [{ id: "a" }, { id: "b", dependencies: ["a"] }] });
    const cwd = await realpath(project.repo);

    const run = await runIn(project, cwd, "./my-agent.sh --fast");

    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr:
        `orchestrator run: --agent: the agent ./my-agent.sh (resolved to ${join(cwd, "my-agent.sh")}) does not exist\n` +
        'Run "orchestrator run --help" for usage.\n',
    });
    await expectNothingStarted(project);
  });

  it("refuses an agent file that is not executable, and a bare name that is not on PATH", async () => {
    const project = await makeProject({ tasks: [{ id: "a" }] });
    const cwd = await realpath(project.repo);
    await agentScript(project, join(cwd, "bin"), "agent.sh", 0o644);

    const notExecutable = await runIn(project, cwd, "bin/agent.sh");
    expect(notExecutable.code).toBe(2);
    expect(notExecutable.stderr).toContain(
      `orchestrator run: --agent: the agent bin/agent.sh (resolved to ${join(cwd, "bin/agent.sh")}) is not executable`,
    );

    const notOnPath = await runIn(project, cwd, "no-such-orchestrator-agent --x");
    expect(notOnPath.code).toBe(2);
    expect(notOnPath.stderr).toContain(
      "orchestrator run: --agent: the agent command no-such-orchestrator-agent was not found on PATH.",
    );
    await expectNothingStarted(project);
  });
});
