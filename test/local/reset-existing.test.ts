import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/run-command.js";
import { readStateFile } from "../../src/local/state-file.js";
import { commitFiles, gitIn, isolateGit, removeTempDirs, revParse } from "../support/git-fixtures.js";
import { captureIo, makeProject, type Project } from "./local-fixtures.js";

/**
 * `orchestrator run` on a tasks file whose branch_name names the user's own branch: the run
 * refuses to reset it (the task fails, saying why, and the user's commit stays the tip);
 * `--reset-existing` replaces it and keeps the old tip under refs/orchestrator/replaced/.
 */

beforeAll(isolateGit);
afterAll(removeTempDirs);

async function run(project: Project, args: string[] = []) {
  const capture = captureIo(project);
  const code = await runCommand(["--agent", project.agentCommand, ...args], capture.io);
  return { code, ...capture };
}

describe("orchestrator run and an existing branch of the user's", () => {
  it("refuses to reset it; with --retry --reset-existing replaces it, keeping the old tip under a ref", async () => {
    const project = await makeProject({ tasks: [{ id: "a", branch_name: "feature" }] });
    const { repo } = project;
    const userCommit = await commitFiles({
      cwd: repo,
      branch: "feature",
      from: "main",
      files: { "mine.txt": "my own work\n" },
      message: "My own work in progress",
    });
    await gitIn(repo, ["checkout", "--quiet", "main"]);

    const refused = await run(project);

    expect(refused.code).toBe(1);
    expect(refused.stdout()).toContain(
      "The branch feature in this repository has 1 commit that is not task a's work",
    );
    const state = await readStateFile(`${repo}/.orchestrator/state.json`);
    expect(state?.tasks.a?.status).toBe("failed");
    expect(state?.runs.a?.failureKind).toBe("branch_not_ours");
    expect(await revParse(repo, "feature")).toBe(userCommit);
    expect(await project.events()).toEqual([]);

    const replaced = await run(project, ["--retry", "a", "--reset-existing"]);

    expect(replaced.stderr()).toBe("");
    expect(replaced.code).toBe(0);
    expect(await gitIn(repo, ["show", "feature:a.txt"])).toContain("work of a");
    expect(await revParse(repo, "feature^")).toBe(await revParse(repo, "main"));
    expect(await revParse(repo, `refs/orchestrator/replaced/feature/${userCommit}`)).toBe(userCommit);
  });
});
