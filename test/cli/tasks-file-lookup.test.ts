import { copyFile, mkdir, realpath, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolateGit, makeRepo, removeTempDirs } from "../support/git-fixtures.js";
import { REPO_ROOT, runCli } from "./cli-test-helpers.js";

beforeAll(isolateGit);
afterAll(removeTempDirs);

/** A git repository with the example tasks file at its root's tasks/tasks.json, and a folder two deep. */
async function repoWithTasks(): Promise<{ root: string; deep: string }> {
  const root = await realpath(await makeRepo());
  await mkdir(path.join(root, "tasks"));
  await copyFile(path.join(REPO_ROOT, "tasks/tasks.json"), path.join(root, "tasks/tasks.json"));
  const deep = path.join(root, "src", "lib");
  await mkdir(deep, { recursive: true });
  return { root, deep };
}

/** `validate` and `plan` find the default tasks file as `run` does: at the repository root. */
describe("the default tasks file from a subfolder of the repository", () => {
  it("validate finds it and names it relative to where the user is", async () => {
    const { deep } = await repoWithTasks();
    const run = await runCli(["validate"], { cwd: deep });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^✓ \.\.\/\.\.\/tasks\/tasks\.json: 7 tasks, 5 waves, critical path /);
  });

  it("plan finds it and names it relative to where the user is", async () => {
    const { deep } = await repoWithTasks();
    const run = await runCli(["plan", "--parallel", "2"], { cwd: deep });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Plan for \.\.\/\.\.\/tasks\/tasks\.json: 7 tasks on 2 agents\n/);
  });

  it("at the root the path is as before, and a missing file says where it was looked for", async () => {
    const { root, deep } = await repoWithTasks();
    expect((await runCli(["validate"], { cwd: root })).stdout).toMatch(/^✓ tasks\/tasks\.json: 7 tasks/);

    const empty = await realpath(await makeRepo());
    await mkdir(path.join(empty, "docs"));
    expect(await runCli(["validate"], { cwd: path.join(empty, "docs") })).toEqual({
      code: 1,
      stdout:
        `../tasks/tasks.json: no tasks file found: looked for tasks/tasks.json, tasks/tasks.yaml, tasks/tasks.yml ` +
        `in ${empty} (the repository root); create one or pass its path\n✗ ../tasks/tasks.json: 1 problem\n`,
      stderr: "",
    });
    // A file the user names is still taken from where they are.
    expect((await runCli(["validate", "../../tasks/tasks.json"], { cwd: deep })).code).toBe(0);
  });

  it("run names the file it found the same way", async () => {
    const { root, deep } = await repoWithTasks();
    await writeFile(path.join(root, "tasks/tasks.json"), '{"tasks": [{"id": "a"}]}\n');
    const run = await runCli(["run", "--agent", "true"], { cwd: deep });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^The tasks file has problems; nothing was started:\n {2}\.\.\/\.\.\/tasks\/tasks\.json:/,
    );
  });
});
