import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitTaskWork } from "../../src/runner/commit-task-work.js";
import { prepareTaskBranch } from "../../src/runner/prepare-task-branch.js";
import { pushBranch } from "../../src/runner/push-branch.js";
import { TaskFailure } from "../../src/runner/task-failure.js";
import {
  TEST_AUTHOR,
  cloneRepo,
  commitFiles,
  gitIn,
  isolateGit,
  makeRepoWithRemote,
  removeTempDirs,
  revParse,
  writeFiles,
} from "../support/git-fixtures.js";

beforeAll(isolateGit);
afterAll(removeTempDirs);

const BRANCH = "orchestrator/feature";

async function failureOf(promise: Promise<unknown>): Promise<TaskFailure> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TaskFailure);
  return error as TaskFailure;
}

/** One attempt as the Action runs it: prepare from origin, the "agent" writes a file, commit, push. */
async function runAttempt(args: { remote: string; attempt: number; file: string }) {
  // Like actions/checkout: only main, one commit deep.
  const checkout = await cloneRepo(args.remote, { depth: 1, branch: "main" });
  const prepared = await prepareTaskBranch({
    cwd: checkout,
    remote: "origin",
    branch: BRANCH,
    baseBranch: "main",
    dependencyBranches: [],
    strategy: "dependencies",
    author: TEST_AUTHOR,
    taskId: "feature",
  });
  await writeFiles(checkout, { [args.file]: `attempt ${args.attempt}\n` });
  const committed = await commitTaskWork({
    cwd: checkout,
    task: { id: "feature", name: "Feature" },
    attempt: args.attempt,
    author: TEST_AUTHOR,
    allowNoChanges: false,
    baseSha: prepared.baseSha,
    branch: BRANCH,
  });
  return { checkout, prepared, committed };
}

describe("pushBranch", () => {
  it("creates the branch on the remote, then fast-forwards it", async () => {
    const { remote } = await makeRepoWithRemote();
    const { checkout, committed } = await runAttempt({ remote, attempt: 1, file: "one.txt" });

    const created = await pushBranch({ cwd: checkout, remote: "origin", branch: BRANCH });
    expect(created).toEqual({ sha: committed.commitSha, outcome: "created" });
    expect(await revParse(remote, BRANCH)).toBe(committed.commitSha);

    const next = await commitFiles({
      cwd: checkout,
      files: { "two.txt": "2\n" },
      message: "more",
      who: TEST_AUTHOR,
    });
    expect(await pushBranch({ cwd: checkout, remote: "origin", branch: BRANCH })).toEqual({
      sha: next,
      outcome: "fast_forward",
    });
    expect(await pushBranch({ cwd: checkout, remote: "origin", branch: BRANCH })).toEqual({
      sha: next,
      outcome: "up_to_date",
    });
    expect(await revParse(remote, BRANCH)).toBe(next);
  });

  it("rejects a push that is not a fast-forward, naming the branch and what to do", async () => {
    const { remote } = await makeRepoWithRemote();
    const first = await runAttempt({ remote, attempt: 1, file: "one.txt" });
    await pushBranch({ cwd: first.checkout, remote: "origin", branch: BRANCH });
    const second = await runAttempt({ remote, attempt: 2, file: "two.txt" });

    const failure = await failureOf(pushBranch({ cwd: second.checkout, remote: "origin", branch: BRANCH }));

    expect(failure.kind).toBe("push_rejected");
    expect(failure.message).toContain(`The branch ${BRANCH} on origin has commits this run does not have`);
    expect(failure.message).toContain("retry the task");
    expect(await revParse(remote, BRANCH)).toBe(first.committed.commitSha);
  });

  it("replaces a previous attempt's branch on a retry, leasing against the tip seen at prepare time", async () => {
    const { remote } = await makeRepoWithRemote();
    const first = await runAttempt({ remote, attempt: 1, file: "one.txt" });
    await pushBranch({ cwd: first.checkout, remote: "origin", branch: BRANCH });

    // A fresh checkout (another runner): preparing fetched the first attempt's branch, to see
    // that it is this task's own (its tip carries the task's trailer) before replacing it.
    const retry = await runAttempt({ remote, attempt: 2, file: "two.txt" });
    expect(retry.prepared.previousSha).toBe(first.committed.commitSha);

    const pushed = await pushBranch({
      cwd: retry.checkout,
      remote: "origin",
      branch: BRANCH,
      force: true,
      expectedRemoteSha: retry.prepared.previousSha,
    });

    expect(pushed).toEqual({ sha: retry.committed.commitSha, outcome: "forced" });
    expect(await revParse(remote, BRANCH)).toBe(retry.committed.commitSha);
    // The retry started from main, so none of the first attempt's work is in it.
    expect(await gitIn(remote, ["ls-tree", "--name-only", BRANCH])).not.toContain("one.txt");
  });

  it("keeps commits pushed while the run worked, even when forcing", async () => {
    const { remote, seed } = await makeRepoWithRemote();
    const run = await runAttempt({ remote, attempt: 1, file: "one.txt" });
    expect(run.prepared.previousSha).toBeNull();
    // Someone pushes to the task branch after the run prepared it.
    const theirs = await commitFiles({
      cwd: seed,
      branch: BRANCH,
      from: "main",
      files: { "human.txt": "h\n" },
      message: "fix",
    });
    await gitIn(seed, ["push", "--quiet", "origin", BRANCH]);

    const failure = await failureOf(
      pushBranch({
        cwd: run.checkout,
        remote: "origin",
        branch: BRANCH,
        force: true,
        expectedRemoteSha: null,
      }),
    );

    expect(failure.kind).toBe("push_rejected");
    expect(failure.message).toContain(`The branch ${BRANCH} on origin changed while this run was working`);
    expect(await revParse(remote, BRANCH)).toBe(theirs);
  });

  it("leases against the remote-tracking branch when no expected tip is given", async () => {
    const { remote, seed } = await makeRepoWithRemote();
    const run = await runAttempt({ remote, attempt: 1, file: "one.txt" });
    await pushBranch({ cwd: run.checkout, remote: "origin", branch: BRANCH });
    const track = ["fetch", "--quiet", "origin", `+refs/heads/${BRANCH}:refs/remotes/origin/${BRANCH}`];
    await gitIn(run.checkout, track);

    // The tracking ref matches the remote: rewriting the pushed commit goes through.
    await gitIn(run.checkout, ["commit", "--quiet", "--amend", "-m", "reworded"], TEST_AUTHOR);
    const forced = await pushBranch({ cwd: run.checkout, remote: "origin", branch: BRANCH, force: true });
    expect(forced.outcome).toBe("forced");
    await gitIn(run.checkout, track);

    // Someone else adds a commit; the tracking ref is now stale, so the next forced push stops.
    await gitIn(seed, ["fetch", "--quiet", "origin", `+refs/heads/${BRANCH}:refs/heads/${BRANCH}`]);
    const theirs = await commitFiles({
      cwd: seed,
      branch: BRANCH,
      files: { "other.txt": "o\n" },
      message: "other",
    });
    await gitIn(seed, ["push", "--quiet", "origin", BRANCH]);
    await gitIn(run.checkout, ["commit", "--quiet", "--amend", "-m", "reworded again"], TEST_AUTHOR);
    const failure = await failureOf(
      pushBranch({ cwd: run.checkout, remote: "origin", branch: BRANCH, force: true }),
    );
    expect(failure.kind).toBe("push_rejected");
    expect(failure.message).toContain("changed while this run was working");
    expect(await revParse(remote, BRANCH)).toBe(theirs);
  });

  it("reports a push the remote refuses (a hook, a protected branch)", async () => {
    const { remote } = await makeRepoWithRemote();
    const run = await runAttempt({ remote, attempt: 1, file: "one.txt" });
    const hook = join(remote, "hooks", "pre-receive");
    await writeFile(hook, "#!/bin/sh\necho 'branch is protected' >&2\nexit 1\n");
    await chmod(hook, 0o755);

    const failure = await failureOf(pushBranch({ cwd: run.checkout, remote: "origin", branch: BRANCH }));

    expect(failure.kind).toBe("push_rejected");
    expect(failure.message).toContain(`origin refused the push to ${BRANCH} (pre-receive hook declined)`);
  });

  it("reports an unreachable remote or a missing branch as a git error", async () => {
    const { remote } = await makeRepoWithRemote();
    const run = await runAttempt({ remote, attempt: 1, file: "one.txt" });
    await gitIn(run.checkout, ["remote", "add", "broken", join(remote, "missing")]);

    const unreachable = await failureOf(pushBranch({ cwd: run.checkout, remote: "broken", branch: BRANCH }));
    expect(unreachable.kind).toBe("git_error");
    expect(unreachable.message).toContain(`Could not push ${BRANCH} to broken`);

    const missing = await failureOf(
      pushBranch({ cwd: run.checkout, remote: "origin", branch: "no/such/branch" }),
    );
    expect(missing.kind).toBe("git_error");
    expect(missing.message).toContain("there is no such local branch");
  });

  it("keeps a token in the remote URL out of the failure message", async () => {
    const { remote } = await makeRepoWithRemote();
    const run = await runAttempt({ remote, attempt: 1, file: "one.txt" });
    // Port 9 on the loopback interface: refused at once, nothing leaves the machine.
    const url = "https://x-access-token:ghs_SECRET123@127.0.0.1:9/owner/repo.git";

    const failure = await failureOf(pushBranch({ cwd: run.checkout, remote: url, branch: BRANCH }));

    expect(failure.kind).toBe("git_error");
    expect(failure.message).toContain("https://***@127.0.0.1:9/owner/repo.git");
    expect(failure.message).not.toContain("ghs_SECRET123");
  });
});
