import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restackBranch } from "../../src/runner/restack-branch.js";
import {
  OTHER_AUTHOR,
  TEST_AUTHOR,
  cloneRepo,
  commitFiles,
  gitIn,
  isolateGit,
  makeRepoWithRemote,
  removeTempDirs,
  revParse,
} from "../support/git-fixtures.js";

beforeAll(isolateGit);
afterAll(removeTempDirs);

const DEP = "orchestrator/a";
const TASK = "orchestrator/b";

/**
 * main ← a1 (orchestrator/a) ← b1 ← b2 (orchestrator/b, the dependent task's own commits), all
 * pushed to a bare remote. `seed` is the developer's clone that moves things on the remote.
 */
async function stacked() {
  const { remote, seed } = await makeRepoWithRemote();
  const a1 = await commitFiles({
    cwd: seed,
    branch: DEP,
    from: "main",
    files: { "a.txt": "a1\n" },
    message: "a1",
  });
  const b1 = await commitFiles({
    cwd: seed,
    branch: TASK,
    from: DEP,
    files: { "b.txt": "b1\n" },
    message: "b1",
    who: TEST_AUTHOR,
  });
  const b2 = await commitFiles({
    cwd: seed,
    files: { "b2.txt": "b2\n" },
    message: "b2\n\nOrchestrator-Task: b",
  });
  await gitIn(seed, ["push", "--quiet", "origin", DEP, TASK]);
  return { remote, seed, a1, b1, b2 };
}

/** The task's commits on top of `base` on the remote (newest first): subject and author. */
async function ownCommits(remote: string, base: string): Promise<string[]> {
  const log = await gitIn(remote, ["log", "--format=%s|%an", `${base}..${TASK}`]);
  return log.split("\n").filter(Boolean);
}

/** Like the Action's checkout: a full clone of the remote, on main. */
const checkout = (remote: string) => cloneRepo(remote, { branch: "main" });

const restackOptions = (cwd: string) => ({
  cwd,
  remote: "origin",
  branch: TASK,
  dependency: DEP,
  committer: { name: "github-actions[bot]", email: "bot@example.invalid" },
});

describe("restacking a task's branch onto its dependency's new base (real git, bare remote)", () => {
  it("after the dependency gained commits: the task's commits are replayed on its new tip, the old tip kept", async () => {
    const { remote, seed, b2 } = await stacked();
    const a2 = await commitFiles({ cwd: seed, branch: DEP, files: { "a.txt": "a1\na2\n" }, message: "a2" });
    await gitIn(seed, ["push", "--quiet", "origin", DEP]);

    const outcome = await restackBranch({ ...restackOptions(await checkout(remote)), onto: DEP });

    expect(outcome).toMatchObject({ kind: "rebased", previousSha: b2, ontoSha: a2, replayed: 2 });
    expect(await gitIn(remote, ["rev-parse", `${TASK}~2`])).toBe(a2);
    // Authors and messages (the task trailer too) are kept; only the committer is the runner.
    expect(await ownCommits(remote, DEP)).toEqual([`b2|${OTHER_AUTHOR.name}`, `b1|${TEST_AUTHOR.name}`]);
    expect(
      await gitIn(remote, ["log", "-1", "--format=%(trailers:key=Orchestrator-Task,valueonly)", TASK]),
    ).toBe("b");
    // Nothing is lost: the old tip is kept on the remote.
    if (outcome.kind !== "rebased") throw new Error("not rebased");
    expect(outcome.keptRef).toBe(`refs/orchestrator/replaced/${TASK}/${b2}`);
    expect(await revParse(remote, outcome.keptRef)).toBe(b2);
  });

  it("after a squash merge into main (the dependency's branch deleted): --onto replays only the task's own commits", async () => {
    const { remote, seed, a1 } = await stacked();
    await gitIn(seed, ["checkout", "--quiet", "main"]);
    await commitFiles({ cwd: seed, files: { "other.txt": "meanwhile\n" }, message: "meanwhile on main" });
    await gitIn(seed, ["merge", "--squash", DEP]);
    await gitIn(seed, ["commit", "--quiet", "-m", "a (#1)"]);
    const main = await gitIn(seed, ["rev-parse", "HEAD"]);
    await gitIn(seed, ["push", "--quiet", "origin", "main", `:refs/heads/${DEP}`]);

    const outcome = await restackBranch({
      ...restackOptions(await checkout(remote)),
      onto: "main",
      oldDependencyTip: a1,
    });

    expect(outcome).toMatchObject({ kind: "rebased", ontoSha: main, upstream: a1, replayed: 2 });
    // Only b1 and b2 on top of main: a1 is not replayed (its change is main's squash commit).
    expect(await ownCommits(remote, "main")).toEqual([`b2|${OTHER_AUTHOR.name}`, `b1|${TEST_AUTHOR.name}`]);
    expect(await gitIn(remote, ["rev-parse", `${TASK}~2`])).toBe(main);
    expect(await gitIn(remote, ["show", `${TASK}:a.txt`])).toBe("a1");
  });

  it("after a squash merge with the dependency's branch still there: its tip is the old base, no sha needed", async () => {
    const { remote, seed } = await stacked();
    await gitIn(seed, ["checkout", "--quiet", "main"]);
    await gitIn(seed, ["merge", "--squash", DEP]);
    await gitIn(seed, ["commit", "--quiet", "-m", "a (#1)"]);
    await gitIn(seed, ["push", "--quiet", "origin", "main"]);

    const outcome = await restackBranch({ ...restackOptions(await checkout(remote)), onto: "main" });

    expect(outcome).toMatchObject({ kind: "rebased", replayed: 2 });
    expect(await ownCommits(remote, "main")).toHaveLength(2);
  });

  it("after a merge commit: onto main, the task's commits on top of it", async () => {
    const { remote, seed, a1 } = await stacked();
    await gitIn(seed, ["checkout", "--quiet", "main"]);
    await commitFiles({ cwd: seed, files: { "other.txt": "meanwhile\n" }, message: "meanwhile on main" });
    await gitIn(seed, ["merge", "--no-ff", "--quiet", "-m", "Merge a", DEP]);
    const main = await gitIn(seed, ["rev-parse", "HEAD"]);
    await gitIn(seed, ["push", "--quiet", "origin", "main"]);

    const outcome = await restackBranch({
      ...restackOptions(await checkout(remote)),
      onto: "main",
      oldDependencyTip: a1,
    });

    expect(outcome).toMatchObject({ kind: "rebased", ontoSha: main, replayed: 2 });
    expect(await gitIn(remote, ["rev-parse", `${TASK}~2`])).toBe(main);
  });

  it("a conflict aborts: the files are named, nothing is pushed, the branch keeps its tip", async () => {
    const { remote, seed, a1, b2 } = await stacked();
    await gitIn(seed, ["checkout", "--quiet", "main"]);
    await commitFiles({ cwd: seed, files: { "b.txt": "main's own b\n" }, message: "b.txt on main" });
    await gitIn(seed, ["merge", "--squash", DEP]);
    await gitIn(seed, ["commit", "--quiet", "-m", "a (#1)"]);
    await gitIn(seed, ["push", "--quiet", "origin", "main"]);
    const refsBefore = await gitIn(remote, ["for-each-ref", "--format=%(refname) %(objectname)"]);
    const cwd = await checkout(remote);

    const outcome = await restackBranch({ ...restackOptions(cwd), onto: "main", oldDependencyTip: a1 });

    expect(outcome).toMatchObject({ kind: "conflict", previousSha: b2, files: ["b.txt"], upstream: a1 });
    if (outcome.kind !== "conflict") throw new Error("no conflict");
    expect(outcome.stoppedAt?.subject).toBe("b1");
    // Nothing pushed, no ref added: the branch is as it was, its commits all there.
    expect(await gitIn(remote, ["for-each-ref", "--format=%(refname) %(objectname)"])).toBe(refsBefore);
    // The checkout is left clean: no rebase in progress.
    expect(await gitIn(cwd, ["status", "--porcelain"])).toBe("");
    expect(await revParse(cwd, "REBASE_HEAD")).toBeNull();
  });

  it("a branch that already holds the new base is left alone", async () => {
    const { remote, b2 } = await stacked();
    const outcome = await restackBranch({ ...restackOptions(await checkout(remote)), onto: DEP });
    expect(outcome).toEqual({ kind: "up_to_date", sha: b2, ontoSha: expect.any(String) as string });
    expect(await revParse(remote, TASK)).toBe(b2);
  });

  it("refuses clearly when the dependency's branch is gone and its old tip was not given", async () => {
    const { remote, seed } = await stacked();
    await gitIn(seed, ["push", "--quiet", "origin", `:refs/heads/${DEP}`]);
    await expect(restackBranch({ ...restackOptions(await checkout(remote)), onto: "main" })).rejects.toThrow(
      "The branch orchestrator/a this task was built on no longer exists, and its old tip was not given",
    );
  });
});
