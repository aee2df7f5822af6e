import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTask, type AgentSetup, type RunTaskOptions } from "../../src/runner/run-task.js";
import {
  TEST_AUTHOR,
  cloneRepo,
  commitFiles,
  gitIn,
  isolateGit,
  makeRepoWithRemote,
  removeTempDirs,
  revParse,
} from "../support/git-fixtures.js";
import { nodeAgent, task } from "./run-task-fixtures.js";

/**
 * The options that make `runTask` the Action's pipeline as well as the local executor's: a
 * checkout cloned from a bare "origin", as actions/checkout leaves it.
 */

beforeAll(isolateGit);
afterAll(removeTempDirs);

const WRITER = `import { writeFileSync } from "node:fs"; writeFileSync("work.txt", "done\\n");`;
const PARTIAL = `import { writeFileSync } from "node:fs"; writeFileSync("half.txt", "half\\n"); process.exit(3);`;
const GIVES_UP = `process.exit(3);`;

async function actionCheckout(): Promise<{ remote: string; seed: string; checkout: string }> {
  const { remote, seed } = await makeRepoWithRemote();
  const checkout = await cloneRepo(remote, { depth: 1, branch: "main" });
  return { remote, seed, checkout };
}

function run(options: Partial<RunTaskOptions> & Pick<RunTaskOptions, "cwd" | "task" | "agent">) {
  return runTask({
    attempt: 1,
    sessionId: "options-test",
    baseBranch: "main",
    dependencyBranches: [],
    author: TEST_AUTHOR,
    remote: "origin",
    ...options,
  });
}

describe("runTask's push option", () => {
  it("keeps the branch local by default, and pushes the commit with push: true", async () => {
    const { remote, checkout } = await actionCheckout();
    const agent = await nodeAgent(WRITER);

    const local = await run({ cwd: checkout, task: task({ id: "kept" }), agent });
    expect(local.ok).toBe(true);
    expect(local.pushed).toBeUndefined();
    expect(await revParse(remote, "orchestrator/kept")).toBeNull();

    const pushed = await run({ cwd: checkout, task: task({ id: "shared" }), agent, push: true });
    expect(pushed.ok).toBe(true);
    expect(pushed.pushed).toBe(true);
    expect(await revParse(remote, "orchestrator/shared")).toBe(pushed.commitSha);
  });

  it("never pushes over commits someone pushed while the agent worked (push_rejected, theirs kept)", async () => {
    const { remote, seed, checkout } = await actionCheckout();
    const theirs = await commitFiles({
      cwd: seed,
      branch: "elsewhere",
      from: "main",
      files: { "theirs.txt": "theirs\n" },
      message: "Someone else's work",
    });
    // The "agent" pushes that commit to the task branch after the branch was prepared.
    const agent = await nodeAgent(`
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
execFileSync("git", ["-C", ${JSON.stringify(seed)}, "push", "--quiet", "origin", "${theirs}:refs/heads/orchestrator/raced"]);
writeFileSync("work.txt", "mine\\n");
`);

    const result = await run({ cwd: checkout, task: task({ id: "raced" }), agent, push: true });

    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ stage: "push", kind: "push_rejected" });
    expect(result.failure?.message).toContain("changed while this run was working");
    expect(result.pushed).toBeUndefined();
    expect(await revParse(remote, "orchestrator/raced")).toBe(theirs);
  });

  it("pushes nothing for an allowed run without changes", async () => {
    const { remote, checkout } = await actionCheckout();
    const result = await run({
      cwd: checkout,
      task: task({ id: "quiet", allowNoChanges: true }),
      agent: await nodeAgent(""),
      push: true,
    });
    expect(result.ok).toBe(true);
    expect(result.commits).toBe(0);
    expect(result.pushed).toBeUndefined();
    expect(await revParse(remote, "orchestrator/quiet")).toBeNull();
  });
});

describe("runTask's onAgentFailure option", () => {
  it('"stop" (default) commits nothing after the agent fails', async () => {
    const { checkout } = await actionCheckout();
    const result = await run({
      cwd: checkout,
      task: task({ id: "stopped" }),
      agent: await nodeAgent(PARTIAL),
    });
    expect(result.failure).toMatchObject({ stage: "agent", kind: "exit_code" });
    expect(result.commitSha).toBeUndefined();
    expect(await gitIn(checkout, ["status", "--porcelain"])).toContain("half.txt");
  });

  it('"keep_partial_work" commits and pushes what the agent got through, and still fails with its reason', async () => {
    const { remote, checkout } = await actionCheckout();
    const result = await run({
      cwd: checkout,
      task: task({ id: "partial" }),
      agent: await nodeAgent(PARTIAL),
      push: true,
      onAgentFailure: "keep_partial_work",
    });
    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ stage: "agent", kind: "exit_code" });
    expect(result.changedFiles).toEqual(["half.txt"]);
    expect(result.pushed).toBe(true);
    expect(await revParse(remote, "orchestrator/partial")).toBe(result.commitSha);
    expect(await gitIn(remote, ["show", "orchestrator/partial:half.txt"])).toBe("half");
  });

  it('"keep_partial_work" with nothing to keep: the agent\'s failure, not no_changes, and no push', async () => {
    const { remote, checkout } = await actionCheckout();
    const result = await run({
      cwd: checkout,
      task: task({ id: "gave-up" }),
      agent: await nodeAgent(GIVES_UP),
      push: true,
      onAgentFailure: "keep_partial_work",
    });
    expect(result.failure).toMatchObject({ stage: "agent", kind: "exit_code" });
    expect(result.commits).toBe(0);
    expect(await revParse(remote, "orchestrator/gave-up")).toBeNull();
  });
});

describe("runTask's deadline and agent setup", () => {
  it("stops the agent at the deadline rather than after the task's timeout", async () => {
    const { checkout } = await actionCheckout();
    const result = await run({
      cwd: checkout,
      // Ten minutes of task time, but the caller's own time is already up.
      task: task({ id: "late", timeoutMinutes: 10 }),
      agent: await nodeAgent(`setTimeout(() => {}, 600_000);`),
      deadline: { at: Date.now() - 60_000, minimumMs: 300 },
      killGraceMs: 200,
    });
    expect(result.failure).toMatchObject({ stage: "agent", kind: "timeout" });
  });

  it("sets the agent up only once the branch is ready", async () => {
    const { checkout } = await actionCheckout();
    const calls: string[] = [];
    const setUp = (agentSource: string): AgentSetup => {
      return async () => {
        calls.push(await gitIn(checkout, ["branch", "--show-current"]));
        return nodeAgent(agentSource);
      };
    };

    const missingBase = await run({
      cwd: checkout,
      task: task({ id: "orphan" }),
      agent: setUp(WRITER),
      dependencyBranches: ["orchestrator/gone"],
    });
    expect(missingBase.failure).toMatchObject({ stage: "prepare", kind: "missing_base" });
    expect(calls).toEqual([]);

    const result = await run({ cwd: checkout, task: task({ id: "set-up" }), agent: setUp(WRITER) });
    expect(result.ok).toBe(true);
    expect(calls).toEqual(["orchestrator/set-up"]);
  });

  it("reports a setup failure as the agent's, with its kind, keeping nothing; a throw as an internal error", async () => {
    const { checkout } = await actionCheckout();
    const refused = await run({
      cwd: checkout,
      task: task({ id: "no-cli" }),
      agent: () => Promise.resolve({ failure: { kind: "install_failed", message: "npm is offline" } }),
      onAgentFailure: "keep_partial_work",
    });
    expect(refused.failure).toEqual({ stage: "agent", kind: "install_failed", message: "npm is offline" });
    // No agent ran, so there is no partial work to keep.
    expect(refused.commits).toBeUndefined();

    const broken = await run({
      cwd: checkout,
      task: task({ id: "bug" }),
      agent: () => Promise.reject(new Error("boom")),
    });
    expect(broken.failure).toEqual({
      stage: "agent",
      kind: "internal_error",
      message: "Unexpected error while setting up the agent: boom",
    });
  });
});
