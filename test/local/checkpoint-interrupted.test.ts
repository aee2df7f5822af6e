import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backToCheckpoint, inspectInterruptedAttempt } from "../../src/local/interrupted-attempt.js";
import { commitTaskWork } from "../../src/runner/commit-task-work.js";
import { addWorktree } from "../../src/runner/worktree.js";
import {
  TEST_AUTHOR,
  commitFiles,
  gitIn,
  isolateGit,
  makeRepo,
  makeTempDir,
  removeTempDirs,
  revParse,
} from "../support/git-fixtures.js";

/**
 * What resume makes of a checkpoint: an attempt killed right after its checkpoint was committed
 * (before its end was recorded) did not finish, so it is never recorded as a success from that
 * commit; and the branch goes back to a checkpoint only when an attempt had gone on from it.
 */

beforeAll(isolateGit);
afterAll(removeTempDirs);

async function taskWorktree(): Promise<{ repo: string; worktree: string; mainSha: string }> {
  const repo = await makeRepo();
  const worktree = join(await makeTempDir("orchestrator-wt-"), "t");
  await addWorktree({ repoDir: repo, path: worktree, branch: "orchestrator/t", startPoint: "main" });
  return { repo, worktree, mainSha: (await revParse(repo, "main")) as string };
}

async function commitWork(args: { worktree: string; baseSha: string; attempt: number; checkpoint: boolean }) {
  await writeFile(join(args.worktree, `part${args.attempt}.txt`), "work\n");
  return commitTaskWork({
    cwd: args.worktree,
    task: { id: "t", name: "t" },
    attempt: args.attempt,
    author: TEST_AUTHOR,
    allowNoChanges: false,
    baseSha: args.baseSha,
    branch: "orchestrator/t",
    checkpoint: args.checkpoint,
  });
}

describe("a checkpoint at the tip of an interrupted attempt", () => {
  it("is unfinished work to keep, not the attempt's finished commit", async () => {
    const { repo, worktree, mainSha } = await taskWorktree();
    const { commitSha } = await commitWork({ worktree, baseSha: mainSha, attempt: 1, checkpoint: true });

    const finding = await inspectInterruptedAttempt({
      repoDir: repo,
      worktree,
      branch: "orchestrator/t",
      baseSha: mainSha,
      taskId: "t",
      attempt: 1,
      author: TEST_AUTHOR,
    });

    expect(finding).toEqual({ kind: "work", tips: [{ commit: commitSha, commits: 1 }] });
  });

  it("while the same commit without the checkpoint trailer is finished work", async () => {
    const { repo, worktree, mainSha } = await taskWorktree();
    const { commitSha } = await commitWork({ worktree, baseSha: mainSha, attempt: 1, checkpoint: false });

    const finding = await inspectInterruptedAttempt({
      repoDir: repo,
      worktree,
      branch: "orchestrator/t",
      baseSha: mainSha,
      taskId: "t",
      attempt: 1,
      author: TEST_AUTHOR,
    });

    expect(finding).toMatchObject({ kind: "finished", commitSha });
  });
});

describe("backToCheckpoint", () => {
  it("sets the branch back to the checkpoint an attempt went on from, and leaves every other branch alone", async () => {
    const { repo, worktree, mainSha } = await taskWorktree();
    const checkpoint = (await commitWork({ worktree, baseSha: mainSha, attempt: 1, checkpoint: true }))
      .commitSha;
    // A checkpoint at the tip (the interrupted attempt made it) stays.
    expect(
      await backToCheckpoint({ repoDir: repo, branch: "orchestrator/t", baseSha: mainSha, taskId: "t" }),
    ).toBe(null);
    const onTop = await commitFiles({ cwd: worktree, files: { "more.txt": "x\n" }, message: "agent's own" });
    // An attempt that started from the base, not from a checkpoint: nothing to go back to.
    expect(
      await backToCheckpoint({ repoDir: repo, branch: "orchestrator/t", baseSha: mainSha, taskId: "t" }),
    ).toBe(null);
    // Another task's checkpoint is not this task's.
    expect(
      await backToCheckpoint({ repoDir: repo, branch: "orchestrator/t", baseSha: checkpoint, taskId: "u" }),
    ).toBe(null);
    expect(await revParse(repo, "orchestrator/t")).toBe(onTop);

    expect(
      await backToCheckpoint({ repoDir: repo, branch: "orchestrator/t", baseSha: checkpoint, taskId: "t" }),
    ).toBe(checkpoint);
    expect(await revParse(repo, "orchestrator/t")).toBe(checkpoint);
    expect(await gitIn(repo, ["reflog", "-1", "--format=%gs", "orchestrator/t"])).toBe(
      "orchestrator: back to the checkpoint of task t",
    );
  });
});
