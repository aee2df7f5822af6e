import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitTaskWork, type CommitTaskWorkOptions } from "../../src/runner/commit-task-work.js";
import { prepareTaskBranch } from "../../src/runner/prepare-task-branch.js";
import { TaskFailure } from "../../src/runner/task-failure.js";
import {
  OTHER_AUTHOR,
  TEST_AUTHOR,
  commitFiles,
  gitIn,
  isolateGit,
  makeRepo,
  removeTempDirs,
  revParse,
  writeFiles,
} from "../support/git-fixtures.js";

beforeAll(isolateGit);
afterAll(removeTempDirs);

const BRANCH = "orchestrator/api";

/** A repository whose task branch is prepared, as the runner has it when the agent starts. */
async function preparedRepo(): Promise<{ repo: string; baseSha: string }> {
  const repo = await makeRepo();
  await commitFiles({
    cwd: repo,
    branch: "main",
    files: { ".gitignore": "*.log\n", "src/old.ts": "export const old = 1;\n", "src/keep.ts": "keep\n" },
    message: "project files",
  });
  const { baseSha } = await prepareTaskBranch({
    cwd: repo,
    branch: BRANCH,
    baseBranch: "main",
    dependencyBranches: [],
    strategy: "dependencies",
    author: TEST_AUTHOR,
  });
  return { repo, baseSha };
}

function options(
  repo: string,
  baseSha: string,
  overrides: Partial<CommitTaskWorkOptions> = {},
): CommitTaskWorkOptions {
  return {
    cwd: repo,
    task: { id: "api", name: "Build the API" },
    attempt: 2,
    author: TEST_AUTHOR,
    allowNoChanges: false,
    baseSha,
    branch: BRANCH,
    ...overrides,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<TaskFailure> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TaskFailure);
  return error as TaskFailure;
}

const committedFiles = (repo: string, ref = "HEAD") =>
  gitIn(repo, ["show", "--name-only", "--format=", ref]).then((out) =>
    out.split("\n").filter(Boolean).sort(),
  );

describe("commitTaskWork", () => {
  it("commits what the agent left uncommitted, named after the task, by the configured author", async () => {
    const { repo, baseSha } = await preparedRepo();
    await writeFiles(repo, {
      "src/api.ts": "export {};\n",
      "src/old.ts": null,
      "src/keep.ts": "changed\n",
      "debug.log": "x",
    });

    const result = await commitTaskWork(options(repo, baseSha));

    expect(result.commits).toBe(1);
    expect(result.commitSha).toBe(await revParse(repo, BRANCH));
    expect(result.changedFiles.sort()).toEqual(["src/api.ts", "src/keep.ts", "src/old.ts"]);
    const message = await gitIn(repo, ["log", "-1", "--format=%an <%ae>|%cn|%B"]);
    const [author, committer, body] = message.split("|");
    expect(author).toBe(`${TEST_AUTHOR.name} <${TEST_AUTHOR.email}>`);
    expect(committer).toBe(TEST_AUTHOR.name);
    expect(body?.split("\n")[0]).toBe("Build the API (task api)");
    expect(body).toContain("attempt 2");
    const trailers = await gitIn(repo, ["log", "-1", "--format=%(trailers:key=Orchestrator-Task,valueonly)"]);
    expect(trailers).toBe("api");
    // .gitignore holds: the log file stays out.
    expect(await committedFiles(repo)).not.toContain("debug.log");
    expect(await gitIn(repo, ["status", "--porcelain"])).toBe("");
  });

  it("keeps the agent's own commits and adds one for what it left uncommitted", async () => {
    const { repo, baseSha } = await preparedRepo();
    const first = await commitFiles({
      cwd: repo,
      files: { "a.ts": "a\n" },
      message: "agent: add a",
      who: OTHER_AUTHOR,
    });
    const second = await commitFiles({
      cwd: repo,
      files: { "b.ts": "b\n" },
      message: "agent: add b",
      who: OTHER_AUTHOR,
    });
    await writeFiles(repo, { "c.ts": "c\n" });

    const result = await commitTaskWork(options(repo, baseSha));

    expect(result.commits).toBe(3);
    expect(result.changedFiles.sort()).toEqual(["a.ts", "b.ts", "c.ts"]);
    const history = (await gitIn(repo, ["rev-list", `${baseSha}..HEAD`])).split("\n");
    expect(history).toEqual([result.commitSha, second, first]);
    expect(await committedFiles(repo)).toEqual(["c.ts"]);
  });

  it("marks the agent's own commits with an empty commit of the task's when it committed everything", async () => {
    const { repo, baseSha } = await preparedRepo();
    const agentCommit = await commitFiles({
      cwd: repo,
      files: { "a.ts": "a\n" },
      message: "agent",
      who: OTHER_AUTHOR,
    });
    const result = await commitTaskWork(options(repo, baseSha));
    expect(result).toEqual({ commitSha: await revParse(repo, BRANCH), changedFiles: ["a.ts"], commits: 2 });
    // The tip carries the task's trailer (a retry may replace the branch), and changes nothing.
    expect(await revParse(repo, `${BRANCH}^`)).toBe(agentCommit);
    expect(await revParse(repo, `${BRANCH}^{tree}`)).toBe(await revParse(repo, `${agentCommit}^{tree}`));
    expect(await gitIn(repo, ["log", "-1", "--format=%(trailers:key=Orchestrator-Task,valueonly)"])).toBe(
      "api",
    );
  });

  it("fails with no_changes when the agent changed nothing (ignored files do not count)", async () => {
    const { repo, baseSha } = await preparedRepo();
    await writeFiles(repo, { "build.log": "noise", ".orchestrator/result.json": "{}" });
    const failure = await failureOf(commitTaskWork(options(repo, baseSha)));
    expect(failure.kind).toBe("no_changes");
    expect(failure.message).toContain("without changing any file");
    expect(failure.message).toContain("allow_no_changes");
    expect(await revParse(repo, "HEAD")).toBe(baseSha);
  });

  it("succeeds with no changes when the task allows it", async () => {
    const { repo, baseSha } = await preparedRepo();
    const result = await commitTaskWork(options(repo, baseSha, { allowNoChanges: true }));
    expect(result).toEqual({ commitSha: baseSha, changedFiles: [], commits: 0 });
  });

  it("counts commits that undo each other as no changes", async () => {
    const { repo, baseSha } = await preparedRepo();
    await commitFiles({ cwd: repo, files: { "tmp.ts": "x\n" }, message: "add", who: OTHER_AUTHOR });
    await commitFiles({ cwd: repo, files: { "tmp.ts": null }, message: "remove", who: OTHER_AUTHOR });
    const failure = await failureOf(commitTaskWork(options(repo, baseSha)));
    expect(failure.kind).toBe("no_changes");
    expect(failure.message).toContain("made 2 commits on task api, but they undo each other");
  });

  it("never commits .orchestrator/, whether left untracked, staged or committed by the agent", async () => {
    const { repo, baseSha } = await preparedRepo();
    await writeFiles(repo, { ".orchestrator/committed.md": "by agent\n" });
    await gitIn(repo, ["add", "--force", ".orchestrator/committed.md"]);
    await commitFiles({ cwd: repo, files: { "work.ts": "w\n" }, message: "agent work", who: OTHER_AUTHOR });
    await writeFiles(repo, {
      ".orchestrator/staged.md": "s\n",
      ".orchestrator/untracked.md": "u\n",
      "more.ts": "m\n",
    });
    await gitIn(repo, ["add", "--force", ".orchestrator/staged.md"]);

    const result = await commitTaskWork(options(repo, baseSha));

    expect(await gitIn(repo, ["ls-tree", "-r", "--name-only", "HEAD", "--", ".orchestrator"])).toBe("");
    expect(result.changedFiles.sort()).toEqual(["more.ts", "work.ts"]);
    // The files themselves stay on disk for the runner to read.
    for (const file of ["committed.md", "staged.md", "untracked.md"])
      expect(existsSync(join(repo, ".orchestrator", file))).toBe(true);
  });

  it("leaves a .orchestrator/ folder the repository itself tracks as it is", async () => {
    const repo = await makeRepo();
    await commitFiles({
      cwd: repo,
      branch: "main",
      files: { ".orchestrator/README.md": "theirs\n" },
      message: "tracked",
    });
    const { baseSha } = await prepareTaskBranch({
      cwd: repo,
      branch: BRANCH,
      baseBranch: "main",
      dependencyBranches: [],
      strategy: "dependencies",
      author: TEST_AUTHOR,
    });
    await writeFiles(repo, { "work.ts": "w\n", ".orchestrator/README.md": "rewritten\n" });
    const result = await commitTaskWork(options(repo, baseSha));
    expect(result.changedFiles).toEqual(["work.ts"]);
    expect(await gitIn(repo, ["show", "HEAD:.orchestrator/README.md"])).toBe("theirs");
  });

  it("moves the task branch to the work when the agent switched to a branch of its own", async () => {
    const { repo, baseSha } = await preparedRepo();
    await gitIn(repo, ["checkout", "--quiet", "-b", "feature/agent-idea"]);
    const agentCommit = await commitFiles({
      cwd: repo,
      files: { "idea.ts": "i\n" },
      message: "idea",
      who: OTHER_AUTHOR,
    });

    const result = await commitTaskWork(options(repo, baseSha));

    expect(await revParse(repo, `${result.commitSha}^`)).toBe(agentCommit);
    expect(await revParse(repo, BRANCH)).toBe(result.commitSha);
    expect(await gitIn(repo, ["symbolic-ref", "--short", "HEAD"])).toBe(BRANCH);
  });

  it("fails plainly when the agent rewrote history past the base", async () => {
    const { repo, baseSha } = await preparedRepo();
    await gitIn(repo, ["reset", "--quiet", "--hard", "HEAD~1"]);
    await writeFiles(repo, { "x.ts": "x\n" });
    const failure = await failureOf(commitTaskWork(options(repo, baseSha)));
    expect(failure.kind).toBe("git_error");
    expect(failure.message).toContain("moved its branch off the commit it started from");
  });

  it("uses the task id alone as the subject when the task has no separate name", async () => {
    const { repo, baseSha } = await preparedRepo();
    await writeFiles(repo, { "x.ts": "x\n" });
    await commitTaskWork(options(repo, baseSha, { task: { id: "api", name: "api" }, attempt: 1 }));
    expect(await gitIn(repo, ["log", "-1", "--format=%s"])).toBe("Task api");
  });
});
