import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTask, type RunTaskOptions, type TaskRunResult } from "../../src/runner/run-task.js";
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
} from "../support/git-fixtures.js";
import { nodeAgent, task } from "./run-task-fixtures.js";

/**
 * `continueExisting`: a follow-up attempt keeps the task's branch and builds on it (its commits
 * kept, nothing rebased), in a local worktree and in the Action's shallow checkout of a bare
 * origin; a branch that does not exist starts from the base; commits that are not the task's are
 * refused as for a reset, and stay.
 */

beforeAll(isolateGit);
afterAll(removeTempDirs);

/** Writes `file` with `text` (appending a line when it exists): a second attempt adds to the first's work. */
function writer(file: string, text: string): string {
  return (
    `import { appendFileSync } from "node:fs"; ` +
    `appendFileSync(${JSON.stringify(file)}, ${JSON.stringify(`${text}\n`)});`
  );
}

async function runLocally(args: {
  repo: string;
  id: string;
  attempt: number;
  agentSource: string;
  extra?: Partial<RunTaskOptions>;
}): Promise<{ result: TaskRunResult; log: string; worktree: string }> {
  const { repo, id } = args;
  const worktree = join(await makeTempDir("orchestrator-wt-"), id);
  const logFile = join(await makeTempDir("orchestrator-log-"), "task.log");
  const result = await runTask({
    cwd: worktree,
    newCheckout: {
      repoDir: repo,
      create: ({ branch, startPoint }) =>
        addWorktree({ repoDir: repo, path: worktree, branch, startPoint }).then(() => undefined),
    },
    task: task({ id }),
    attempt: args.attempt,
    sessionId: "continue-existing",
    baseBranch: "main",
    dependencyBranches: [],
    agent: await nodeAgent(args.agentSource),
    author: TEST_AUTHOR,
    logFile,
    ...args.extra,
  } as RunTaskOptions);
  // The worktree goes, as the local executor removes a finished task's: the branch must hold the work.
  await gitIn(repo, ["worktree", "remove", "--force", worktree]).catch(() => undefined);
  return { result, log: await readFile(logFile, "utf8").catch(() => ""), worktree };
}

describe("continueExisting, locally", () => {
  it("builds on the task's existing branch: its commit is kept, the new one goes on top, nothing is rebased", async () => {
    const repo = await makeRepo();
    const first = await runLocally({ repo, id: "a", attempt: 1, agentSource: writer("work.txt", "first") });
    expect(first.result.ok).toBe(true);
    // The base moves on meanwhile: a continued branch is not rebased onto it.
    const mainMoved = await commitFiles({
      cwd: repo,
      branch: "main",
      files: { "later.txt": "later\n" },
      message: "main moves on",
    });

    const second = await runLocally({
      repo,
      id: "a",
      attempt: 2,
      agentSource: writer("work.txt", "second"),
      extra: { continueExisting: true },
    });

    expect(second.result.failure).toBeUndefined();
    expect(second.result.baseSha).toBe(first.result.commitSha);
    expect(second.result.continued).toEqual({ tip: first.result.commitSha, reason: "asked" });
    expect(second.result.startPoint).toBe("orchestrator/a");
    expect(await revParse(repo, "orchestrator/a")).toBe(second.result.commitSha);
    expect(await contains(repo, "orchestrator/a", first.result.commitSha as string)).toBe(true);
    expect(await contains(repo, "orchestrator/a", mainMoved)).toBe(false);
    expect(await gitIn(repo, ["show", "orchestrator/a:work.txt"])).toBe("first\nsecond");
    // The attempt's own diff: what it added on top of the kept work.
    expect(second.result.changedFiles).toEqual(["work.txt"]);
    expect(second.result.commits).toBe(1);
    expect(second.log).toContain("goes on from its existing work, as asked");
  });

  it("without it, a retry still starts afresh from the base (the earlier attempt's commit is replaced)", async () => {
    const repo = await makeRepo();
    const first = await runLocally({ repo, id: "a", attempt: 1, agentSource: writer("work.txt", "first") });

    const second = await runLocally({ repo, id: "a", attempt: 2, agentSource: writer("work.txt", "second") });

    expect(second.result.ok).toBe(true);
    expect(second.result.continued).toBeUndefined();
    expect(await contains(repo, "orchestrator/a", first.result.commitSha as string)).toBe(false);
    expect(await gitIn(repo, ["show", "orchestrator/a:work.txt"])).toBe("second");
  });

  it("starts from the base when the branch does not exist yet, and says so", async () => {
    const repo = await makeRepo();
    const mainSha = await revParse(repo, "main");

    const { result, log } = await runLocally({
      repo,
      id: "fresh",
      attempt: 1,
      agentSource: writer("work.txt", "new"),
      extra: { continueExisting: true },
    });

    expect(result.ok).toBe(true);
    expect(result.continued).toBeUndefined();
    expect(result.baseSha).toBe(mainSha);
    expect(log).toContain(
      "orchestrator/fresh does not exist yet: nothing to continue, it starts from the base",
    );
  });

  it("builds on a reviewer's commit on top of the task's work (a suggestion committed on the PR)", async () => {
    const repo = await makeRepo();
    const first = await runLocally({ repo, id: "a", attempt: 1, agentSource: writer("work.txt", "first") });
    const userCommit = await commitFiles({
      cwd: repo,
      branch: "orchestrator/a",
      files: { "mine.txt": "by hand\n" },
      message: "A fix by hand",
    });
    await gitIn(repo, ["checkout", "--quiet", "main"]);

    const { result } = await runLocally({
      repo,
      id: "a",
      attempt: 2,
      agentSource: writer("work.txt", "second"),
      extra: { continueExisting: true },
    });

    expect(result.failure).toBeUndefined();
    expect(result.baseSha).toBe(userCommit);
    expect(await contains(repo, result.commitSha as string, userCommit)).toBe(true);
    expect(await contains(repo, result.commitSha as string, first.result.commitSha as string)).toBe(true);
  });

  it("refuses a branch of the same name holding none of the task's work, and leaves it as it was", async () => {
    const repo = await makeRepo();
    const userCommit = await commitFiles({
      cwd: repo,
      branch: "orchestrator/a",
      files: { "mine.txt": "someone else's\n" },
      message: "Unrelated work",
    });
    await gitIn(repo, ["checkout", "--quiet", "main"]);

    const { result } = await runLocally({
      repo,
      id: "a",
      attempt: 2,
      agentSource: writer("work.txt", "second"),
      extra: { continueExisting: true },
    });

    expect(result.failure).toMatchObject({ stage: "prepare", kind: "branch_not_ours" });
    expect(result.failure?.message).toContain(`${userCommit.slice(0, 12)} Unrelated work`);
    expect(result.agentDurationMs).toBeUndefined();
    expect(await revParse(repo, "orchestrator/a")).toBe(userCommit);
  });
});

describe("continueExisting, in the Action (shallow checkout of origin)", () => {
  async function runInAction(args: {
    remote: string;
    id: string;
    attempt: number;
    agentSource: string;
    extra?: Partial<RunTaskOptions>;
  }): Promise<{ result: TaskRunResult; checkout: string }> {
    const checkout = await cloneRepo(args.remote, { depth: 1, branch: "main" });
    const result = await runTask({
      cwd: checkout,
      task: task({ id: args.id }),
      attempt: args.attempt,
      sessionId: "continue-existing",
      baseBranch: "main",
      dependencyBranches: [],
      agent: await nodeAgent(args.agentSource),
      author: TEST_AUTHOR,
      remote: "origin",
      push: true,
      onAgentFailure: "keep_partial_work",
      ...args.extra,
    } as RunTaskOptions);
    return { result, checkout };
  }

  it("checks out the remote branch, builds on it and pushes on top of it", async () => {
    const { remote, seed } = await makeRepoWithRemote();
    const first = await runInAction({
      remote,
      id: "a",
      attempt: 1,
      agentSource: writer("work.txt", "first"),
    });
    expect(first.result.pushed).toBe(true);
    await commitFiles({ cwd: seed, branch: "main", files: { "later.txt": "l\n" }, message: "main moves on" });
    await gitIn(seed, ["push", "--quiet", "origin", "main"]);

    const second = await runInAction({
      remote,
      id: "a",
      attempt: 2,
      agentSource: writer("work.txt", "second"),
      extra: { continueExisting: true },
    });

    expect(second.result.failure).toBeUndefined();
    expect(second.result.pushed).toBe(true);
    expect(second.result.startPoint).toBe("origin/orchestrator/a");
    const tip = await revParse(remote, "orchestrator/a");
    expect(tip).toBe(second.result.commitSha);
    expect(await contains(remote, tip as string, first.result.commitSha as string)).toBe(true);
    expect(await gitIn(remote, ["show", "orchestrator/a:work.txt"])).toBe("first\nsecond");
    expect(existsSync(join(second.checkout, "later.txt"))).toBe(false);
  });

  it("builds on a reviewer's commit pushed on top of the task's work, and keeps it", async () => {
    const { remote, seed } = await makeRepoWithRemote();
    const first = await runInAction({
      remote,
      id: "a",
      attempt: 1,
      agentSource: writer("work.txt", "first"),
    });
    await gitIn(seed, ["fetch", "--quiet", "origin", "orchestrator/a:orchestrator/a"]);
    const userCommit = await commitFiles({
      cwd: seed,
      branch: "orchestrator/a",
      files: { "mine.txt": "by hand\n" },
      message: "A fix by hand",
    });
    await gitIn(seed, ["push", "--quiet", "origin", "orchestrator/a"]);
    expect(await contains(remote, userCommit, first.result.commitSha as string)).toBe(true);

    const second = await runInAction({
      remote,
      id: "a",
      attempt: 2,
      agentSource: writer("work.txt", "second"),
      extra: { continueExisting: true },
    });

    expect(second.result.failure).toBeUndefined();
    const tip = await revParse(remote, "orchestrator/a");
    expect(tip).toBe(second.result.commitSha);
    expect(await contains(remote, tip as string, userCommit)).toBe(true);
  });
});
