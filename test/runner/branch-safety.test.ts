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
 * A task whose branch_name names a branch that already exists never loses the commits on it: the
 * run is refused (naming them and the way out) unless the task allows replacing the branch, and
 * then the old tip is kept under refs/orchestrator/replaced/. Real git: the local executor's
 * worktrees, and the Action's shallow checkout of a bare "origin".
 */

beforeAll(isolateGit);
afterAll(removeTempDirs);

const WRITER = `import { writeFileSync } from "node:fs"; writeFileSync("work.txt", "done\\n");`;
/** Commits its work itself, then fails: the local executor keeps nothing of ours. */
const COMMITS_THEN_FAILS =
  `import { writeFileSync } from "node:fs"; import { execFileSync } from "node:child_process";` +
  `writeFileSync("agent.txt", "mine\\n"); execFileSync("git", ["add", "agent.txt"]);` +
  `execFileSync("git", ["-c", "user.name=Agent", "-c", "user.email=agent@example.invalid", "commit", "-q", "-m", "agent work"]);` +
  `process.exit(3);`;

/** The user's repository: main, and their own branch `feature` with a commit of theirs. */
async function repoWithUserBranch(): Promise<{ repo: string; mainSha: string; userCommit: string }> {
  const repo = await makeRepo();
  const mainSha = (await revParse(repo, "main")) as string;
  const userCommit = await commitFiles({
    cwd: repo,
    branch: "feature",
    from: "main",
    files: { "mine.txt": "my own work\n" },
    message: "My own work in progress",
  });
  await gitIn(repo, ["checkout", "--quiet", "main"]);
  return { repo, mainSha, userCommit };
}

/** One attempt as the local executor runs it: a new worktree made as the branch is prepared. */
async function runLocally(args: {
  repo: string;
  id?: string;
  branch?: string;
  attempt?: number;
  agentSource?: string;
  extra?: Partial<RunTaskOptions>;
  resetInFile?: boolean;
}): Promise<{ result: TaskRunResult; log: string; worktree: string }> {
  const { repo } = args;
  const id = args.id ?? "a";
  const worktree = join(await makeTempDir("orchestrator-wt-"), id);
  const logFile = join(await makeTempDir("orchestrator-log-"), "task.log");
  const result = await runTask({
    cwd: worktree,
    newCheckout: {
      repoDir: repo,
      create: async ({ branch, startPoint }) => {
        await addWorktree({ repoDir: repo, path: worktree, branch, startPoint });
      },
    },
    task: task({
      id,
      branch: args.branch ?? "feature",
      ...(args.resetInFile ? { resetExisting: true } : {}),
    }),
    attempt: args.attempt ?? 1,
    sessionId: "branch-safety",
    baseBranch: "main",
    dependencyBranches: [],
    agent: await nodeAgent(args.agentSource ?? WRITER),
    author: TEST_AUTHOR,
    logFile,
    ...args.extra,
  } as RunTaskOptions);
  const log = await readFile(logFile, "utf8").catch(() => "");
  return { result, log, worktree };
}

async function refsUnder(repo: string, prefix: string): Promise<string[]> {
  const out = await gitIn(repo, ["for-each-ref", "--format=%(refname) %(objectname)", prefix]);
  return out.split("\n").filter(Boolean);
}

describe("a task whose branch_name is the user's branch, locally", () => {
  it("refuses to reset it, naming the branch, the user's commit and the way out; the commit stays the tip", async () => {
    const { repo, userCommit } = await repoWithUserBranch();

    const { result, worktree } = await runLocally({ repo });

    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ stage: "prepare", kind: "branch_not_ours" });
    const message = result.failure?.message ?? "";
    expect(message).toContain("The branch feature in this repository has 1 commit that is not task a's work");
    expect(message).toContain(`${userCommit.slice(0, 12)} My own work in progress`);
    expect(message).toContain("reset_existing: true");
    expect(message).toContain("--reset-existing");
    expect(message).toContain(`refs/orchestrator/replaced/feature/${userCommit}`);
    expect(await revParse(repo, "feature")).toBe(userCommit);
    // Nothing was made: no worktree, no ref, the agent never ran.
    expect(existsSync(worktree)).toBe(false);
    expect(await refsUnder(repo, "refs/orchestrator/")).toEqual([]);
  });

  it("with resetExisting (--reset-existing) replaces it, keeping the old tip under a ref, and says so", async () => {
    const { repo, mainSha, userCommit } = await repoWithUserBranch();

    const { result, log } = await runLocally({ repo, extra: { resetExisting: true } });

    expect(result.ok).toBe(true);
    expect(await revParse(repo, "feature^")).toBe(mainSha);
    expect(await revParse(repo, "feature")).toBe(result.commitSha);
    const kept = `refs/orchestrator/replaced/feature/${userCommit}`;
    expect(await refsUnder(repo, "refs/orchestrator/")).toEqual([`${kept} ${userCommit}`]);
    expect(log).toContain(`its old tip ${userCommit} is kept as ${kept}`);
  });

  it("with reset_existing: true on the task does the same", async () => {
    const { repo, userCommit } = await repoWithUserBranch();
    const { result } = await runLocally({ repo, resetInFile: true });
    expect(result.ok).toBe(true);
    expect(await revParse(repo, `refs/orchestrator/replaced/feature/${userCommit}`)).toBe(userCommit);
  });

  it("retries its own earlier attempt without the flag (the tip is the task's trailer commit)", async () => {
    const { repo, mainSha } = await repoWithUserBranch();
    const first = await runLocally({ repo, branch: "orchestrator/a" });
    expect(first.result.ok).toBe(true);
    await gitIn(repo, ["worktree", "remove", "--force", first.worktree]);

    const retry = await runLocally({ repo, branch: "orchestrator/a", attempt: 2 });

    expect(retry.result.ok).toBe(true);
    expect(retry.result.baseSha).toBe(mainSha);
    expect(await revParse(repo, "orchestrator/a")).toBe(retry.result.commitSha);
    expect(await refsUnder(repo, "refs/orchestrator/")).toEqual([]);
  });

  it("retries after an agent that committed itself and then failed (its commits are marked as the task's)", async () => {
    const { repo, mainSha } = await repoWithUserBranch();
    const first = await runLocally({ repo, branch: "orchestrator/a", agentSource: COMMITS_THEN_FAILS });
    expect(first.result.failure?.stage).toBe("agent");
    // The agent's commit is still there, under an empty commit of the task's; the worktree as it was.
    const tip = (await revParse(repo, "orchestrator/a")) as string;
    expect(
      await gitIn(repo, ["log", "-1", "--format=%(trailers:key=Orchestrator-Task,valueonly)", tip]),
    ).toBe("a");
    expect(await gitIn(repo, ["log", "-1", "--format=%s", `${tip}^`])).toBe("agent work");
    expect(await gitIn(first.worktree, ["status", "--porcelain"])).toBe("");
    await gitIn(repo, ["worktree", "remove", "--force", first.worktree]);

    const retry = await runLocally({ repo, branch: "orchestrator/a", attempt: 2 });

    expect(retry.result.ok).toBe(true);
    expect(retry.result.baseSha).toBe(mainSha);
  });

  it("refuses when the user committed on top of an earlier attempt, listing only the user's commit", async () => {
    const { repo } = await repoWithUserBranch();
    const first = await runLocally({ repo, branch: "orchestrator/a" });
    await gitIn(repo, ["worktree", "remove", "--force", first.worktree]);
    const fix = await commitFiles({
      cwd: repo,
      branch: "orchestrator/a",
      files: { "fix.txt": "a fix by hand\n" },
      message: "Fix the task's work by hand",
    });
    await gitIn(repo, ["checkout", "--quiet", "main"]);

    const retry = await runLocally({ repo, branch: "orchestrator/a", attempt: 2 });

    expect(retry.result.failure?.kind).toBe("branch_not_ours");
    const message = retry.result.failure?.message ?? "";
    expect(message).toContain("has 1 commit that is not task a's work");
    expect(message).toContain(`${fix.slice(0, 12)} Fix the task's work by hand`);
    expect(message).not.toContain((first.result.commitSha as string).slice(0, 12));
    expect(await revParse(repo, "orchestrator/a")).toBe(fix);
  });

  it("retries a task that merges dependencies after one of them was retried (old dependency commits are its own past)", async () => {
    const { repo } = await repoWithUserBranch();
    for (const dep of ["b", "c"])
      await commitFiles({
        cwd: repo,
        branch: `orchestrator/${dep}`,
        from: "main",
        files: { [`${dep}.txt`]: `${dep}\n` },
        message: dep,
      });
    await gitIn(repo, ["checkout", "--quiet", "main"]);
    const deps = { dependencyBranches: ["orchestrator/b", "orchestrator/c"] };
    const first = await runLocally({ repo, id: "d", branch: "orchestrator/d", extra: deps });
    expect(first.result.mergedBranches).toEqual(["orchestrator/c"]);
    await gitIn(repo, ["worktree", "remove", "--force", first.worktree]);
    // c is retried: its branch is rebuilt, so d's old merge holds a c commit no longer on any start.
    await gitIn(repo, ["branch", "--force", "orchestrator/c", "main"]);
    await commitFiles({
      cwd: repo,
      branch: "orchestrator/c",
      files: { "c.txt": "c again\n" },
      message: "c again",
    });
    await gitIn(repo, ["checkout", "--quiet", "main"]);

    const retry = await runLocally({ repo, id: "d", branch: "orchestrator/d", attempt: 2, extra: deps });

    expect(retry.result.ok).toBe(true);
    expect(await refsUnder(repo, "refs/orchestrator/")).toEqual([]);
  });

  it("accepts a tip the caller recorded as an earlier attempt (knownAttemptCommits)", async () => {
    const { repo, userCommit } = await repoWithUserBranch();
    const { result } = await runLocally({
      repo,
      extra: { knownAttemptCommits: [userCommit, "0".repeat(40)] },
    });
    expect(result.ok).toBe(true);
    expect(await refsUnder(repo, "refs/orchestrator/")).toEqual([]);
  });

  it("lists at most ten foreign commits and counts the rest", async () => {
    const { repo } = await repoWithUserBranch();
    for (let i = 2; i <= 15; i++)
      await commitFiles({
        cwd: repo,
        branch: "feature",
        files: { [`f${i}.txt`]: `${i}\n` },
        message: `Work ${i}`,
      });
    await gitIn(repo, ["checkout", "--quiet", "main"]);

    const { result } = await runLocally({ repo });

    const message = result.failure?.message ?? "";
    expect(message).toContain("has 15 commits that are not task a's work");
    expect(message).toContain(" Work 15\n");
    expect(message).toContain("… and 5 more");
    expect(message.match(/^ {2}[0-9a-f]{12} /gm)).toHaveLength(10);
  });

  it("refuses a task whose branch is the base branch, leaving it as it was", async () => {
    const { repo, mainSha } = await repoWithUserBranch();
    const { result } = await runLocally({ repo, branch: "main", extra: { resetExisting: true } });
    expect(result.failure).toMatchObject({ stage: "prepare", kind: "branch_not_ours" });
    expect(result.failure?.message).toContain("Task a's branch main is the base branch");
    expect(await revParse(repo, "main")).toBe(mainSha);
  });
});

describe("a task whose branch_name is the user's branch, in the Action (shallow checkout of origin)", () => {
  async function actionSetup(): Promise<{ remote: string; checkout: string; userCommit: string }> {
    const { remote, seed } = await makeRepoWithRemote();
    const userCommit = await commitFiles({
      cwd: seed,
      branch: "feature",
      from: "main",
      files: { "mine.txt": "my own work\n" },
      message: "My own work in progress",
    });
    await gitIn(seed, ["push", "--quiet", "origin", "feature"]);
    const checkout = await cloneRepo(remote, { depth: 1, branch: "main" });
    return { remote, checkout, userCommit };
  }

  function runInAction(checkout: string, extra: Partial<RunTaskOptions> = {}) {
    return nodeAgent(WRITER).then((agent) =>
      runTask({
        cwd: checkout,
        task: task({ id: "a", branch: "feature" }),
        attempt: 1,
        sessionId: "branch-safety",
        baseBranch: "main",
        dependencyBranches: [],
        agent,
        author: TEST_AUTHOR,
        remote: "origin",
        push: true,
        onAgentFailure: "keep_partial_work",
        ...extra,
      } as RunTaskOptions),
    );
  }

  it("refuses before the agent runs, and the remote branch keeps the user's commit", async () => {
    const { remote, checkout, userCommit } = await actionSetup();

    const result = await runInAction(checkout);

    expect(result.failure).toMatchObject({ stage: "prepare", kind: "branch_not_ours" });
    expect(result.failure?.message).toContain(
      "The branch feature on origin has 1 commit that is not task a's work",
    );
    expect(result.failure?.message).toContain(`${userCommit.slice(0, 12)} My own work in progress`);
    expect(result.agentDurationMs).toBeUndefined();
    expect(await revParse(remote, "feature")).toBe(userCommit);
  });

  it("lists exactly the user's commits when the branch forked from an older main the shallow checkout lacks", async () => {
    const { remote, seed } = await makeRepoWithRemote();
    const older = await commitFiles({
      cwd: seed,
      branch: "feature",
      from: "main",
      files: { "one.txt": "1\n" },
      message: "First of mine",
    });
    const newer = await commitFiles({ cwd: seed, files: { "two.txt": "2\n" }, message: "Second of mine" });
    await commitFiles({ cwd: seed, branch: "main", files: { "later.txt": "l\n" }, message: "main moves on" });
    await gitIn(seed, ["push", "--quiet", "origin", "main", "feature"]);
    const checkout = await cloneRepo(remote, { depth: 1, branch: "main" });

    const result = await runInAction(checkout);

    const message = result.failure?.message ?? "";
    expect(message).toContain("has 2 commits that are not task a's work");
    expect(message).toContain(
      `${newer.slice(0, 12)} Second of mine\n  ${older.slice(0, 12)} First of mine\n`,
    );
    expect(message).not.toContain("main moves on");
    expect(await revParse(remote, "feature")).toBe(newer);
  });

  it("with resetExisting pushes the task's work and keeps the old tip on the remote", async () => {
    const { remote, checkout, userCommit } = await actionSetup();

    const result = await runInAction(checkout, { resetExisting: true });

    expect(result.ok).toBe(true);
    expect(await revParse(remote, "feature")).toBe(result.commitSha);
    expect(await revParse(remote, `refs/orchestrator/replaced/feature/${userCommit}`)).toBe(userCommit);
  });

  it("a retry replaces its own pushed attempt without the flag, even one whose agent committed itself", async () => {
    const { remote, checkout } = await actionSetup();
    const agent = await nodeAgent(COMMITS_THEN_FAILS);
    const first = await runTask({
      cwd: checkout,
      task: task({ id: "b" }),
      attempt: 1,
      sessionId: "branch-safety",
      baseBranch: "main",
      dependencyBranches: [],
      agent,
      author: TEST_AUTHOR,
      remote: "origin",
      push: true,
      onAgentFailure: "keep_partial_work",
    });
    expect(first.failure?.stage).toBe("agent");
    expect(first.pushed).toBe(true);

    const retryCheckout = await cloneRepo(remote, { depth: 1, branch: "main" });
    const retry = await runTask({
      cwd: retryCheckout,
      task: task({ id: "b" }),
      attempt: 2,
      sessionId: "branch-safety",
      baseBranch: "main",
      dependencyBranches: [],
      agent: await nodeAgent(WRITER),
      author: TEST_AUTHOR,
      remote: "origin",
      push: true,
    });
    expect(retry.ok).toBe(true);
    expect(await revParse(remote, "orchestrator/b")).toBe(retry.commitSha);
  });

  it("refuses a task whose branch is the base branch", async () => {
    const { remote, checkout } = await actionSetup();
    const before = await revParse(remote, "main");
    const result = await runTask({
      cwd: checkout,
      task: task({ id: "a", branch: "main" }),
      attempt: 1,
      sessionId: "branch-safety",
      baseBranch: "main",
      dependencyBranches: [],
      agent: await nodeAgent(WRITER),
      author: TEST_AUTHOR,
      remote: "origin",
      push: true,
    });
    expect(result.failure?.kind).toBe("branch_not_ours");
    expect(result.failure?.message).toContain("is the base branch");
    expect(await revParse(remote, "main")).toBe(before);
  });
});
