import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  offlineClaudeEnv,
  startScriptedModelServer,
  type ModelScript,
  type ScriptedModelServer,
} from "../../src/demo/scripted-model-server.js";
import {
  runTask,
  type AgentSpec,
  type RunTaskOptions,
  type TaskRunResult,
} from "../../src/runner/run-task.js";
import { addWorktree } from "../../src/runner/worktree.js";
import {
  TEST_AUTHOR,
  cloneRepo,
  contains,
  gitIn,
  isolateGit,
  makeRepo,
  makeRepoWithRemote,
  makeTempDir,
  removeTempDirs,
  revParse,
} from "../support/git-fixtures.js";
import { withGrowingTimeout } from "./process-tree-probe.js";
import { nodeAgent, task } from "./run-task-fixtures.js";

/**
 * Checkpoints: an agent stopped by its time limit has its work so far committed (trailer
 * `Orchestrator-Checkpoint: <attempt>`) and, in the Action, pushed; the task fails as `timed_out`,
 * saying so; the next attempt goes on from the checkpoint (the file is there, the checkpoint is an
 * ancestor of the new tip) and is told so in its prompt. Real git; the Action's case with the real
 * Claude Code CLI on the scripted model, whose second turn never answers.
 */

beforeAll(isolateGit);
afterAll(removeTempDirs);

const claudePath = resolve("node_modules/.bin/claude");

let server: ScriptedModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * The first attempt writes part1.txt (and then `<prompts>.wrote`) and runs until it is stopped;
 * one that finds part1.txt (it went on from the checkpoint) writes part2.txt and ends. Every
 * prompt is appended to `prompts`.
 */
function twoPartAgent(prompts: string): string {
  return `
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
appendFileSync(${JSON.stringify(prompts)}, readFileSync(0, "utf8") + "\\n----\\n");
if (existsSync("part1.txt")) writeFileSync("part2.txt", "two\\n");
else {
  writeFileSync("part1.txt", "one\\n");
  writeFileSync(${JSON.stringify(prompts)} + ".wrote", "");
  setInterval(() => {}, 1000);
}
`;
}

async function trailersOf(cwd: string, commit: string): Promise<string> {
  return gitIn(cwd, ["show", "-s", "--format=%(trailers:only,unfold)", commit]);
}

describe("a local attempt stopped by its timeout", { timeout: 240_000 }, () => {
  async function runLocally(args: {
    repo: string;
    attempt: number;
    agent: AgentSpec;
    timeoutMs: number;
  }): Promise<TaskRunResult> {
    const worktree = join(await makeTempDir("orchestrator-wt-"), "t");
    const result = await runTask({
      cwd: worktree,
      newCheckout: {
        repoDir: args.repo,
        create: ({ branch, startPoint }) =>
          addWorktree({ repoDir: args.repo, path: worktree, branch, startPoint }).then(() => undefined),
      },
      task: task({ id: "t", name: "Two parts" }),
      attempt: args.attempt,
      sessionId: "checkpoint",
      baseBranch: "main",
      dependencyBranches: [],
      agent: args.agent,
      author: TEST_AUTHOR,
      timeoutMs: args.timeoutMs,
      killGraceMs: 500,
    });
    // As the local executor does before a retry: the worktree goes, the branch stays.
    await gitIn(args.repo, ["worktree", "remove", "--force", worktree]).catch(() => undefined);
    return result;
  }

  it("commits the work so far as a checkpoint, fails as timed_out, and the next attempt goes on from it", async () => {
    const prompts = join(await makeTempDir("orchestrator-prompts-"), "prompts.txt");
    const agent = await nodeAgent(twoPartAgent(prompts));
    // The timeout must strike after the agent wrote its file: a busy machine gets a longer one.
    const { repo, first } = await withGrowingTimeout(
      [1_500, 5_000, 30_000],
      async (timeoutMs) => {
        const repo = await makeRepo();
        await rm(`${prompts}.wrote`, { force: true });
        return { repo, first: await runLocally({ repo, attempt: 1, agent, timeoutMs }) };
      },
      () => existsSync(`${prompts}.wrote`),
    );

    expect(first.ok).toBe(false);
    expect(first.failure?.stage).toBe("agent");
    expect(first.failure?.message).toMatch(/^Timed out: The agent command did not finish within \d+ s/);
    expect(first.failure?.message).toContain(
      `kept as checkpoint ${first.checkpointSha?.slice(0, 12)}, on orchestrator/t; the next attempt goes on from it.`,
    );
    expect(first.checkpointSha).toBe(first.commitSha);
    expect(await revParse(repo, "orchestrator/t")).toBe(first.checkpointSha);
    expect(await gitIn(repo, ["show", "orchestrator/t:part1.txt"])).toBe("one");
    const trailers = await trailersOf(repo, first.checkpointSha as string);
    expect(trailers).toContain("Orchestrator-Task: t");
    expect(trailers).toContain("Orchestrator-Attempt: 1");
    expect(trailers).toContain("Orchestrator-Checkpoint: 1");

    const second = await runLocally({ repo, attempt: 2, agent, timeoutMs: 60_000 });

    expect(second.failure).toBeUndefined();
    expect(second.continued).toEqual({
      tip: first.checkpointSha,
      reason: "checkpoint",
      checkpointAttempt: 1,
    });
    expect(second.baseSha).toBe(first.checkpointSha);
    const tip = (await revParse(repo, "orchestrator/t")) as string;
    expect(tip).toBe(second.commitSha);
    expect(await contains(repo, tip, first.checkpointSha as string)).toBe(true);
    expect(await gitIn(repo, ["ls-tree", "--name-only", tip])).toBe("README.md\npart1.txt\npart2.txt");
    expect(await trailersOf(repo, tip)).not.toContain("Orchestrator-Checkpoint");
    const lastPrompt = (await readFile(prompts, "utf8")).split("\n----\n").at(-2) ?? "";
    expect(lastPrompt).toContain("Do the work of t.");
    expect(lastPrompt).toContain("Attempt 1 ran out of time before it finished.");
  });

  it("with nothing written before the timeout, keeps no checkpoint: the failure stays the agent's timeout", async () => {
    const repo = await makeRepo();
    const mainSha = await revParse(repo, "main");
    const agent = await nodeAgent(`setInterval(() => {}, 1000);`);

    const result = await runLocally({ repo, attempt: 1, agent, timeoutMs: 1_000 });

    expect(result.failure?.kind).toBe("timeout");
    expect(result.checkpointSha).toBeUndefined();
    expect(await revParse(repo, "orchestrator/t")).toBe(mainSha);
  });
});

describe(
  "an Action attempt stopped by its deadline, with the real Claude Code CLI",
  { timeout: 400_000 },
  () => {
    /** Turn one writes part1.txt, turn two never answers; told it goes on from a checkpoint, it writes part2.txt. */
    const script: ModelScript = (context) => {
      if (context.prompt.includes("ran out of time")) {
        if (context.turn === 0)
          return { toolUse: [{ name: "Write", input: { file_path: "part2.txt", content: "two\n" } }] };
        return { text: "Finished the task from the checkpoint." };
      }
      if (context.turn === 0)
        return { toolUse: [{ name: "Write", input: { file_path: "part1.txt", content: "one\n" } }] };
      return { hang: true };
    };

    async function runInAction(args: {
      remote: string;
      attempt: number;
      timeoutMs: number;
    }): Promise<TaskRunResult> {
      const checkout = await cloneRepo(args.remote, { depth: 1, branch: "main" });
      const home = await makeTempDir("orchestrator-claude-home-");
      return runTask({
        cwd: checkout,
        task: task({ id: "t", name: "Two parts", prompt: "Write the two parts." }),
        attempt: args.attempt,
        sessionId: "checkpoint",
        baseBranch: "main",
        dependencyBranches: [],
        agent: {
          kind: "claude",
          claudePath,
          env: offlineClaudeEnv({ url: (server as ScriptedModelServer).url, home }),
        },
        author: TEST_AUTHOR,
        remote: "origin",
        push: true,
        onAgentFailure: "keep_partial_work",
        timeoutMs: args.timeoutMs,
        killGraceMs: 1_000,
      } as RunTaskOptions);
    }

    it("pushes the checkpoint with the file, and the next attempt, in a new checkout, goes on from it", async () => {
      server = await startScriptedModelServer({ script });
      const hanging = () =>
        server?.requests.filter((request) => request.reply && "hang" in request.reply).length ?? 0;
      // The deadline must strike while the CLI waits on its second turn, after the Write ran.
      let hangingBefore = 0;
      const { remote, first } = await withGrowingTimeout(
        [8_000, 20_000, 60_000],
        async (timeoutMs) => {
          hangingBefore = hanging();
          const { remote } = await makeRepoWithRemote();
          return { remote, first: await runInAction({ remote, attempt: 1, timeoutMs }) };
        },
        // The CLI asked for its second turn: the Write ran before the timeout stopped it.
        () => hanging() > hangingBefore,
      );

      expect(first.pushed).toBe(true);
      expect(first.failure?.message).toMatch(/^Timed out: Claude Code did not finish within \d+ s/);
      expect(first.failure?.message).toContain(
        `kept as checkpoint ${first.checkpointSha?.slice(0, 12)}, pushed to orchestrator/t on origin; the next attempt goes on from it.`,
      );
      expect(await revParse(remote, "orchestrator/t")).toBe(first.checkpointSha);
      expect(await gitIn(remote, ["show", "orchestrator/t:part1.txt"])).toBe("one");
      expect(await trailersOf(remote, first.checkpointSha as string)).toContain("Orchestrator-Checkpoint: 1");

      const second = await runInAction({ remote, attempt: 2, timeoutMs: 120_000 });

      expect(second.failure).toBeUndefined();
      expect(second.pushed).toBe(true);
      expect(second.continued?.reason).toBe("checkpoint");
      const tip = (await revParse(remote, "orchestrator/t")) as string;
      expect(tip).toBe(second.commitSha);
      expect(await contains(remote, tip, first.checkpointSha as string)).toBe(true);
      expect(await gitIn(remote, ["show", `${tip}:part1.txt`])).toBe("one");
      expect(await gitIn(remote, ["show", `${tip}:part2.txt`])).toBe("two");
      const told = server.requests.some((request) =>
        JSON.stringify(request.body).includes("Attempt 1 ran out of time before it finished."),
      );
      expect(told).toBe(true);
    });
  },
);
