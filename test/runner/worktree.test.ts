import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskFailure } from "../../src/runner/task-failure.js";
import { addWorktree, listWorktrees, pruneWorktrees, removeWorktree } from "../../src/runner/worktree.js";
import {
  commitFiles,
  gitIn,
  isolateGit,
  makeRepo,
  makeTempDir,
  removeTempDirs,
  revParse,
  writeFiles,
} from "../support/git-fixtures.js";

beforeAll(isolateGit);
afterAll(removeTempDirs);

async function failureOf(promise: Promise<unknown>): Promise<TaskFailure> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TaskFailure);
  return error as TaskFailure;
}

/** A repository with a second commit on `next`, and a folder for worktrees. */
async function setup(): Promise<{ repo: string; root: string; mainSha: string; nextSha: string }> {
  const repo = await makeRepo();
  const mainSha = (await revParse(repo, "main")) as string;
  const nextSha = await commitFiles({
    cwd: repo,
    branch: "next",
    from: "main",
    files: { "next.txt": "n\n" },
    message: "next",
  });
  await gitIn(repo, ["checkout", "--quiet", "main"]);
  return { repo, root: await makeTempDir("orchestrator-worktrees-"), mainSha, nextSha };
}

describe("worktrees", () => {
  it("adds a worktree on a new branch, lists it, and removes it", async () => {
    const { repo, root, mainSha } = await setup();
    const path = join(root, "task-a");

    const added = await addWorktree({ repoDir: repo, path, branch: "orchestrator/a", startPoint: "main" });

    expect(added.recovered).toEqual([]);
    expect(existsSync(join(path, "README.md"))).toBe(true);
    const listed = await listWorktrees(repo);
    expect(listed).toHaveLength(2);
    expect(listed[1]).toEqual({
      path: added.path,
      head: mainSha,
      branch: "orchestrator/a",
      bare: false,
      detached: false,
      lockReason: null,
      prunableReason: null,
    });
    expect(listed[0]?.branch).toBe("main");

    expect(await removeWorktree({ repoDir: repo, path })).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(await listWorktrees(repo)).toHaveLength(1);
    expect(await removeWorktree({ repoDir: repo, path })).toBe(false);
    // The branch stays: it holds the task's work.
    expect(await revParse(repo, "orchestrator/a")).toBe(mainSha);
  });

  it("accepts a path relative to the repository", async () => {
    const { repo } = await setup();
    const added = await addWorktree({
      repoDir: repo,
      path: ".orchestrator/worktrees/t",
      branch: "t",
      startPoint: "main",
    });
    expect(added.path).toBe(
      join(await gitIn(repo, ["rev-parse", "--show-toplevel"]), ".orchestrator/worktrees/t"),
    );
    expect(existsSync(join(repo, ".orchestrator/worktrees/t/README.md"))).toBe(true);
  });

  it("replaces a worktree a crashed run left at the path, dirty and on an old commit", async () => {
    const { repo, root, nextSha } = await setup();
    const path = join(root, "task-b");
    await addWorktree({ repoDir: repo, path, branch: "orchestrator/b", startPoint: "main" });
    await writeFiles(path, { "README.md": "half edited\n", "new-file.txt": "junk\n" });

    const again = await addWorktree({ repoDir: repo, path, branch: "orchestrator/b", startPoint: "next" });

    expect(again.recovered).toEqual([`removed the worktree left at ${again.path}`]);
    expect(await readFile(join(path, "README.md"), "utf8")).toBe("# test repository\n");
    expect(existsSync(join(path, "new-file.txt"))).toBe(false);
    expect(await revParse(path, "HEAD")).toBe(nextSha);
    expect(await revParse(repo, "orchestrator/b")).toBe(nextSha);
  });

  it("recovers when the directory was deleted but git still has it registered, even locked", async () => {
    const { repo, root } = await setup();
    const path = join(root, "task-c");
    await addWorktree({ repoDir: repo, path, branch: "orchestrator/c", startPoint: "main" });
    // A crash inside `git worktree add` leaves the entry locked ("initializing"); prune keeps those.
    await gitIn(repo, ["worktree", "lock", "--reason", "initializing", path]);
    await rm(path, { recursive: true, force: true });
    await pruneWorktrees(repo);
    expect((await listWorktrees(repo))[1]).toMatchObject({ lockReason: "initializing" });

    const again = await addWorktree({ repoDir: repo, path, branch: "orchestrator/c", startPoint: "main" });

    expect(again.recovered).toHaveLength(1);
    expect(existsSync(join(path, "README.md"))).toBe(true);
    expect((await listWorktrees(repo)).map((entry) => entry.lockReason)).toEqual([null, null]);
  });

  it("recovers when the branch is still registered to a deleted worktree at another path", async () => {
    const { repo, root } = await setup();
    const oldPath = join(root, "old-place");
    await addWorktree({ repoDir: repo, path: oldPath, branch: "orchestrator/d", startPoint: "main" });
    await gitIn(repo, ["worktree", "lock", "--reason", "initializing", oldPath]);
    await rm(oldPath, { recursive: true, force: true });
    // Locked by someone else (a worktree on a disk that is not mounted) is not ours to forget.
    const otherBranch = join(root, "on-usb-disk");
    await addWorktree({ repoDir: repo, path: otherBranch, branch: "orchestrator/usb", startPoint: "main" });
    await gitIn(repo, ["worktree", "lock", "--reason", "on a USB disk", otherBranch]);
    await rm(otherBranch, { recursive: true, force: true });
    const usb = await failureOf(
      addWorktree({
        repoDir: repo,
        path: join(root, "elsewhere"),
        branch: "orchestrator/usb",
        startPoint: "main",
      }),
    );
    expect(usb.kind).toBe("worktree_conflict");

    const added = await addWorktree({
      repoDir: repo,
      path: join(root, "new-place"),
      branch: "orchestrator/d",
      startPoint: "main",
    });

    expect(added.recovered[0]).toContain("forgot the missing worktree");
    const names = (await listWorktrees(repo)).map((entry) => basename(entry.path));
    expect(names.sort()).toEqual([basename(repo), "new-place", "on-usb-disk"].sort());
  });

  it("deletes a leftover worktree directory whose registration is gone", async () => {
    const { repo, root } = await setup();
    const path = join(root, "task-e");
    await addWorktree({ repoDir: repo, path, branch: "orchestrator/e", startPoint: "main" });
    await writeFiles(path, { "stray.txt": "x\n" });
    // What a crash between deleting the registration and deleting the folder leaves.
    await rm(join(repo, ".git", "worktrees", "task-e"), { recursive: true, force: true });
    expect(await listWorktrees(repo)).toHaveLength(1);

    const again = await addWorktree({ repoDir: repo, path, branch: "orchestrator/e", startPoint: "main" });

    expect(again.recovered).toEqual([`deleted the unregistered worktree directory ${again.path}`]);
    expect(existsSync(join(path, "stray.txt"))).toBe(false);
    expect(await listWorktrees(repo)).toHaveLength(2);
  });

  it("removeWorktree also cleans up a leftover directory git forgot", async () => {
    const { repo, root } = await setup();
    const path = join(root, "task-f");
    await addWorktree({ repoDir: repo, path, branch: "orchestrator/f", startPoint: "main" });
    await rm(join(repo, ".git", "worktrees", "task-f"), { recursive: true, force: true });
    expect(await removeWorktree({ repoDir: repo, path })).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it("never deletes a directory that is not one of the repository's worktrees", async () => {
    const { repo, root } = await setup();
    const path = join(root, "someone-elses");
    await mkdir(path);
    await writeFile(join(path, "precious.txt"), "keep me\n");

    const failure = await failureOf(
      addWorktree({ repoDir: repo, path, branch: "orchestrator/g", startPoint: "main" }),
    );

    expect(failure.kind).toBe("worktree_conflict");
    expect(failure.message).toContain("is not a worktree of this repository");
    expect(await readFile(join(path, "precious.txt"), "utf8")).toBe("keep me\n");
    expect(await removeWorktree({ repoDir: repo, path })).toBe(false);
    expect(existsSync(join(path, "precious.txt"))).toBe(true);
  });

  it("refuses a branch checked out in another live worktree, naming where", async () => {
    const { repo, root } = await setup();
    await addWorktree({
      repoDir: repo,
      path: join(root, "first"),
      branch: "orchestrator/h",
      startPoint: "main",
    });
    const failure = await failureOf(
      addWorktree({
        repoDir: repo,
        path: join(root, "second"),
        branch: "orchestrator/h",
        startPoint: "main",
      }),
    );
    expect(failure.kind).toBe("worktree_conflict");
    expect(failure.message).toContain("The branch orchestrator/h is checked out in another worktree at");
    expect(failure.message).toContain("first");

    const own = await failureOf(
      addWorktree({ repoDir: repo, path: join(root, "third"), branch: "main", startPoint: "next" }),
    );
    expect(own.kind).toBe("worktree_conflict");
    expect(await revParse(repo, "main")).not.toBe(await revParse(repo, "next"));
  });

  it("prunes registrations whose directories are gone", async () => {
    const { repo, root } = await setup();
    const path = join(root, "task-i");
    await addWorktree({ repoDir: repo, path, branch: "orchestrator/i", startPoint: "main" });
    await rm(path, { recursive: true, force: true });
    expect((await listWorktrees(repo))[1]?.prunableReason).toContain("non-existent");

    await pruneWorktrees(repo);

    expect(await listWorktrees(repo)).toHaveLength(1);
  });
});
