import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareTaskBranch, type PrepareTaskBranchOptions } from "../../src/runner/prepare-task-branch.js";
import { TaskFailure } from "../../src/runner/task-failure.js";
import { addWorktree } from "../../src/runner/worktree.js";
import {
  TEST_AUTHOR,
  cloneRepo,
  commitFiles,
  contains,
  gitIn,
  isolateGit,
  makeRepo,
  makeRepoWithRemote,
  makeTempDir,
  removeTempDirs,
  revParse,
  writeFiles,
} from "../support/git-fixtures.js";

beforeAll(isolateGit);
afterAll(removeTempDirs);

/** A (from main) ← B, C (from A) ← D: the diamond, each task adding its own file. */
async function diamondRepo(): Promise<{ repo: string; sha: Record<"a" | "b" | "c", string> }> {
  const repo = await makeRepo();
  const a = await commitFiles({
    cwd: repo,
    branch: "orchestrator/a",
    from: "main",
    files: { "a.txt": "a\n" },
    message: "a",
  });
  const b = await commitFiles({
    cwd: repo,
    branch: "orchestrator/b",
    from: "orchestrator/a",
    files: { "b.txt": "b\n" },
    message: "b",
  });
  const c = await commitFiles({
    cwd: repo,
    branch: "orchestrator/c",
    from: "orchestrator/a",
    files: { "c.txt": "c\n" },
    message: "c",
  });
  await gitIn(repo, ["checkout", "--quiet", "main"]);
  return { repo, sha: { a, b, c } };
}

function options(
  overrides: Partial<PrepareTaskBranchOptions> & Pick<PrepareTaskBranchOptions, "cwd" | "branch">,
): PrepareTaskBranchOptions {
  return {
    baseBranch: "main",
    dependencyBranches: [],
    strategy: "dependencies",
    author: TEST_AUTHOR,
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

describe("prepareTaskBranch on local branches", () => {
  it("starts a task without dependencies from the base branch and checks it out", async () => {
    const repo = await makeRepo();
    const mainSha = await revParse(repo, "main");
    const prepared = await prepareTaskBranch(options({ cwd: repo, branch: "orchestrator/a" }));
    expect(prepared).toEqual({ baseSha: mainSha, startPoint: "main", mergedBranches: [], previousSha: null });
    expect(await gitIn(repo, ["symbolic-ref", "--short", "HEAD"])).toBe("orchestrator/a");
    expect(await revParse(repo, "orchestrator/a")).toBe(mainSha);
  });

  it("branches a task with one dependency off that dependency's branch", async () => {
    const { repo, sha } = await diamondRepo();
    const prepared = await prepareTaskBranch(
      options({ cwd: repo, branch: "orchestrator/b2", dependencyBranches: ["orchestrator/a"] }),
    );
    expect(prepared.baseSha).toBe(sha.a);
    expect(prepared.startPoint).toBe("orchestrator/a");
    expect(await readFile(join(repo, "a.txt"), "utf8")).toBe("a\n");
  });

  it("merges several dependencies (a diamond) into one base that holds all their commits", async () => {
    const { repo, sha } = await diamondRepo();
    const worktree = join(await makeTempDir(), "d");
    await addWorktree({ repoDir: repo, path: worktree, branch: "orchestrator/d", startPoint: "main" });

    const prepared = await prepareTaskBranch(
      options({
        cwd: worktree,
        branch: "orchestrator/d",
        dependencyBranches: ["orchestrator/b", "orchestrator/c"],
        taskId: "d",
      }),
    );

    expect(prepared.mergedBranches).toEqual(["orchestrator/c"]);
    expect(prepared.startPoint).toBe("orchestrator/b");
    for (const dependency of [sha.a, sha.b, sha.c])
      expect(await contains(worktree, "HEAD", dependency)).toBe(true);
    for (const file of ["a.txt", "b.txt", "c.txt"]) expect(existsSync(join(worktree, file))).toBe(true);
    // One merge commit, by the configured author, naming the merged branch and the task.
    const parents = (await gitIn(worktree, ["rev-list", "--parents", "-n", "1", "HEAD"])).split(" ");
    expect(parents).toEqual([prepared.baseSha, sha.b, sha.c]);
    const log = await gitIn(worktree, ["log", "-1", "--format=%an <%ae>%n%B"]);
    expect(log).toContain(`${TEST_AUTHOR.name} <${TEST_AUTHOR.email}>`);
    expect(log).toContain("Merge dependency branch orchestrator/c for task d");
    expect(log).toContain("orchestrator/b, orchestrator/c");
  });

  it("does not add a merge commit for a dependency the first one already contains", async () => {
    const { repo, sha } = await diamondRepo();
    const prepared = await prepareTaskBranch(
      options({
        cwd: repo,
        branch: "orchestrator/e",
        dependencyBranches: ["orchestrator/b", "orchestrator/a"],
      }),
    );
    expect(prepared.baseSha).toBe(sha.b);
    expect(prepared.mergedBranches).toEqual(["orchestrator/a"]);
  });

  it("fails on conflicting dependencies, naming the branches and files, and leaves no merge behind", async () => {
    const repo = await makeRepo();
    await commitFiles({
      cwd: repo,
      branch: "orchestrator/x",
      from: "main",
      files: { "shared.txt": "x\n", "x.txt": "x\n" },
      message: "x",
    });
    await commitFiles({
      cwd: repo,
      branch: "orchestrator/y",
      from: "main",
      files: { "shared.txt": "y\n", "y.txt": "y\n" },
      message: "y",
    });

    const failure = await failureOf(
      prepareTaskBranch(
        options({
          cwd: repo,
          branch: "orchestrator/z",
          dependencyBranches: ["orchestrator/x", "orchestrator/y"],
          taskId: "z",
        }),
      ),
    );

    expect(failure.kind).toBe("merge_conflict");
    expect(failure.message).toContain("merging orchestrator/y into orchestrator/x conflicts in shared.txt");
    expect(failure.message).toContain("Task z");
    expect(failure.conflict).toEqual({
      merging: "orchestrator/y",
      into: ["orchestrator/x"],
      files: ["shared.txt"],
    });
    expect(existsSync(join(repo, ".git", "MERGE_HEAD"))).toBe(false);
    expect(await gitIn(repo, ["status", "--porcelain"])).toBe("");
  });

  it.each(["merged", "base_branch"] as const)(
    "starts a %s task from the base branch tip",
    async (strategy) => {
      const { repo } = await diamondRepo();
      const mainSha = await commitFiles({
        cwd: repo,
        branch: "main",
        files: { "merged.txt": "in main\n" },
        message: "merge",
      });
      const prepared = await prepareTaskBranch(
        options({
          cwd: repo,
          branch: "orchestrator/d",
          dependencyBranches: ["orchestrator/b", "orchestrator/c"],
          strategy,
        }),
      );
      expect(prepared).toMatchObject({ baseSha: mainSha, startPoint: "main", mergedBranches: [] });
      expect(existsSync(join(repo, "b.txt"))).toBe(false);
    },
  );

  it("names a missing dependency branch and a missing base branch", async () => {
    const repo = await makeRepo();
    const dependency = await failureOf(
      prepareTaskBranch(
        options({ cwd: repo, branch: "t", dependencyBranches: ["orchestrator/gone"], taskId: "t" }),
      ),
    );
    expect(dependency.kind).toBe("missing_base");
    expect(dependency.message).toContain("orchestrator/gone");
    expect(dependency.message).toContain("task t");

    const base = await failureOf(
      prepareTaskBranch(options({ cwd: repo, branch: "t", baseBranch: "develop" })),
    );
    expect(base.kind).toBe("missing_base");
    expect(base.message).toContain("The base branch develop does not exist");
  });

  it("restarts a retried task from a fresh base, reporting the previous attempt's tip", async () => {
    const repo = await makeRepo();
    const mainSha = await revParse(repo, "main");
    await prepareTaskBranch(options({ cwd: repo, branch: "orchestrator/r", taskId: "r" }));
    const firstAttempt = await commitFiles({
      cwd: repo,
      files: { "attempt1.txt": "half done\n" },
      message: "attempt 1\n\nOrchestrator-Task: r",
    });
    // The crashed attempt also left edits and new files behind, and the orchestrator's folder.
    await writeFiles(repo, {
      "README.md": "edited\n",
      "junk.txt": "junk\n",
      ".orchestrator/log.txt": "log\n",
    });

    const prepared = await prepareTaskBranch(options({ cwd: repo, branch: "orchestrator/r", taskId: "r" }));

    expect(prepared.previousSha).toBe(firstAttempt);
    expect(prepared.baseSha).toBe(mainSha);
    expect(existsSync(join(repo, "attempt1.txt"))).toBe(false);
    expect(existsSync(join(repo, "junk.txt"))).toBe(false);
    expect(await readFile(join(repo, "README.md"), "utf8")).toBe("# test repository\n");
    expect(await readFile(join(repo, ".orchestrator/log.txt"), "utf8")).toBe("log\n");
  });

  it("keeps .orchestrator/ out of the agent's own `git add --all`", async () => {
    const repo = await makeRepo();
    await prepareTaskBranch(options({ cwd: repo, branch: "orchestrator/o" }));
    await prepareTaskBranch(options({ cwd: repo, branch: "orchestrator/o" }));
    await writeFiles(repo, { ".orchestrator/prompt.md": "secret prompt\n", "work.txt": "work\n" });
    await gitIn(repo, ["add", "--all"]);
    expect(await gitIn(repo, ["diff", "--cached", "--name-only"])).toBe("work.txt");
    const exclude = await readFile(join(repo, ".git", "info", "exclude"), "utf8");
    expect(exclude.split("\n").filter((line) => line === "/.orchestrator/")).toHaveLength(1);
  });

  it("recovers a checkout that a crashed run left in the middle of a merge", async () => {
    const repo = await makeRepo();
    await commitFiles({ cwd: repo, branch: "p", from: "main", files: { "f.txt": "p\n" }, message: "p" });
    await commitFiles({ cwd: repo, branch: "q", from: "main", files: { "f.txt": "q\n" }, message: "q" });
    await expect(gitIn(repo, ["merge", "--no-edit", "p"])).rejects.toThrow();
    expect(existsSync(join(repo, ".git", "MERGE_HEAD"))).toBe(true);

    const prepared = await prepareTaskBranch(options({ cwd: repo, branch: "orchestrator/m" }));
    expect(prepared.baseSha).toBe(await revParse(repo, "main"));
    expect(existsSync(join(repo, ".git", "MERGE_HEAD"))).toBe(false);
  });
});

describe("prepareTaskBranch with a remote", () => {
  /** Dependencies pushed by someone else: the runner's clone has never seen them. */
  async function remoteDiamond(): Promise<{
    remote: string;
    seed: string;
    sha: Record<"a" | "b" | "c", string>;
  }> {
    const { remote, seed } = await makeRepoWithRemote();
    const a = await commitFiles({
      cwd: seed,
      branch: "orchestrator/a",
      from: "main",
      files: { "a.txt": "a\n" },
      message: "a",
    });
    const b = await commitFiles({
      cwd: seed,
      branch: "orchestrator/b",
      from: "orchestrator/a",
      files: { "b.txt": "b\n" },
      message: "b",
    });
    const c = await commitFiles({
      cwd: seed,
      branch: "orchestrator/c",
      from: "orchestrator/a",
      files: { "c.txt": "c\n" },
      message: "c",
    });
    await gitIn(seed, ["push", "--quiet", "origin", "orchestrator/a", "orchestrator/b", "orchestrator/c"]);
    return { remote, seed, sha: { a, b, c } };
  }

  it("fetches the dependencies and merges origin's branches", async () => {
    const { remote, sha } = await remoteDiamond();
    const checkout = await cloneRepo(remote);
    const prepared = await prepareTaskBranch(
      options({
        cwd: checkout,
        remote: "origin",
        branch: "orchestrator/d",
        dependencyBranches: ["orchestrator/b", "orchestrator/c"],
        taskId: "d",
      }),
    );
    expect(prepared.startPoint).toBe("origin/orchestrator/b");
    expect(prepared.mergedBranches).toEqual(["orchestrator/c"]);
    expect(prepared.previousSha).toBeNull();
    for (const dependency of Object.values(sha))
      expect(await contains(checkout, "HEAD", dependency)).toBe(true);
    // The task branch does not track the dependency it started from.
    expect(
      await gitIn(checkout, ["config", "--get-regexp", "^branch\\.orchestrator/d\\."]).catch(() => ""),
    ).toBe("");
  });

  it("merges in a shallow clone like the one actions/checkout makes", async () => {
    const { remote, seed, sha } = await remoteDiamond();
    // main moves on, so the one commit a depth-1 clone holds is not where the dependencies forked.
    await commitFiles({ cwd: seed, branch: "main", files: { "later.txt": "later\n" }, message: "later" });
    await gitIn(seed, ["push", "--quiet", "origin", "main"]);
    const checkout = await cloneRepo(remote, { depth: 1 });
    expect(await gitIn(checkout, ["rev-parse", "--is-shallow-repository"])).toBe("true");
    await prepareTaskBranch(
      options({
        cwd: checkout,
        remote: "origin",
        branch: "orchestrator/d",
        dependencyBranches: ["orchestrator/b", "orchestrator/c"],
      }),
    );
    expect(await contains(checkout, "HEAD", sha.b)).toBe(true);
    expect(await contains(checkout, "HEAD", sha.c)).toBe(true);
  });

  it("starts a merged task from the freshly fetched base, and reports the task branch's remote tip", async () => {
    const { remote, seed } = await makeRepoWithRemote();
    const checkout = await cloneRepo(remote);
    // After the clone, main moves on (the dependencies' PRs merged) and an old attempt is pushed.
    const mainSha = await commitFiles({
      cwd: seed,
      branch: "main",
      files: { "merged.txt": "m\n" },
      message: "merged PR",
    });
    const oldAttempt = await commitFiles({
      cwd: seed,
      branch: "orchestrator/t",
      from: "main",
      files: { "old.txt": "o\n" },
      message: "old\n\nOrchestrator-Task: t",
    });
    await gitIn(seed, ["push", "--quiet", "origin", "main", "orchestrator/t"]);

    const prepared = await prepareTaskBranch(
      options({
        cwd: checkout,
        remote: "origin",
        branch: "orchestrator/t",
        dependencyBranches: ["orchestrator/a"],
        strategy: "merged",
        taskId: "t",
      }),
    );
    expect(prepared).toEqual({
      baseSha: mainSha,
      startPoint: "origin/main",
      mergedBranches: [],
      previousSha: oldAttempt,
    });
  });

  it("names a dependency branch missing on the remote", async () => {
    const { remote } = await makeRepoWithRemote();
    const checkout = await cloneRepo(remote);
    const failure = await failureOf(
      prepareTaskBranch(
        options({
          cwd: checkout,
          remote: "origin",
          branch: "t",
          dependencyBranches: ["main", "orchestrator/never-pushed"],
        }),
      ),
    );
    expect(failure.kind).toBe("missing_base");
    expect(failure.message).toContain("orchestrator/never-pushed");
    expect(failure.message).toContain("on origin");
    expect(failure.message).not.toContain("main,");
  });

  it("reports an unreachable remote as a git error", async () => {
    const repo = await makeRepo();
    await gitIn(repo, ["remote", "add", "origin", join(await makeTempDir(), "does-not-exist")]);
    const failure = await failureOf(prepareTaskBranch(options({ cwd: repo, remote: "origin", branch: "t" })));
    expect(failure.kind).toBe("git_error");
    expect(failure.message).toContain("Could not list the remote branches");
  });
});

describe("prepareTaskBranch writes the exclude file of a linked worktree's repository", () => {
  it("adds /.orchestrator/ to the shared info/exclude once", async () => {
    const repo = await makeRepo();
    await writeFile(join(repo, ".git", "info", "exclude"), "# existing\n*.log");
    const worktree = join(await makeTempDir(), "wt");
    await addWorktree({ repoDir: repo, path: worktree, branch: "orchestrator/w", startPoint: "main" });
    await prepareTaskBranch(options({ cwd: worktree, branch: "orchestrator/w" }));
    expect(await readFile(join(repo, ".git", "info", "exclude"), "utf8")).toBe(
      "# existing\n*.log\n/.orchestrator/\n",
    );
  });
});
