import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  fileWritingScript,
  offlineClaudeEnv,
  startScriptedModelServer,
  type ModelScript,
  type ScriptedModelServer,
} from "../../src/demo/scripted-model-server.js";
import { runTask, type AgentSpec, type RunTaskOptions } from "../../src/runner/run-task.js";
import { addWorktree } from "../../src/runner/worktree.js";
import {
  TEST_AUTHOR,
  commitFiles,
  contains,
  gitIn,
  isolateGit,
  makeRepo,
  makeTempDir,
  removeTempDirs,
  revParse,
} from "../support/git-fixtures.js";
import { waitFor } from "./process-tree-probe.js";
import { nodeAgent, task } from "./run-task-fixtures.js";

/** The real Claude Code CLI (pinned in devDependencies) against a scripted model on loopback. */
const claudePath = resolve("node_modules/.bin/claude");

beforeAll(isolateGit);
afterAll(removeTempDirs);

let server: ScriptedModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A repo and a worktree for the task, as the local executor makes them. */
async function checkout(): Promise<{ repo: string; worktree: string }> {
  const repo = await makeRepo();
  const worktree = join(await makeTempDir("orchestrator-wt-"), "task");
  return { repo, worktree };
}

async function claudeAgent(script: ModelScript): Promise<AgentSpec> {
  server = await startScriptedModelServer({ script });
  const home = await makeTempDir("orchestrator-claude-home-");
  return { kind: "claude", claudePath, env: offlineClaudeEnv({ url: server.url, home }) };
}

/** As the local executor runs a task: local branches, no remote. */
async function run(
  options: Partial<Omit<RunTaskOptions, "remote" | "push">> &
    Pick<RunTaskOptions, "task" | "agent"> & { repo: string; worktree: string },
) {
  const { repo, worktree, ...rest } = options;
  await addWorktree({ repoDir: repo, path: worktree, branch: rest.task.branch, startPoint: "main" });
  return runTask({
    cwd: worktree,
    attempt: 1,
    sessionId: "local-test",
    baseBranch: "main",
    dependencyBranches: [],
    author: TEST_AUTHOR,
    ...rest,
  });
}

// Some of these run the CLI twice; a busy two-core machine can take a minute for that alone.
describe("runTask with the real Claude Code CLI", { timeout: 180_000 }, () => {
  it("commits the files the agent wrote on the task branch, with cost and a message naming the task", async () => {
    const { repo, worktree } = await checkout();
    const agent = await claudeAgent(
      fileWritingScript([
        {
          promptIncludes: "slugify",
          files: [{ path: "src/slugify.js", content: "export const slugify = (s) => s.toLowerCase();\n" }],
          summary: "Added slugify.",
        },
      ]),
    );
    const logFile = join(await makeTempDir(), "slugify.log");

    const result = await run({
      repo,
      worktree,
      task: task({
        id: "slugify",
        name: "Add slugify",
        prompt: "Write src/slugify.js with a slugify function.",
      }),
      agent,
      logFile,
    });

    expect(result.failure).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.changedFiles).toEqual(["src/slugify.js"]);
    expect(result.commits).toBe(1);
    expect(result.summary).toBe("Added slugify.");
    expect(result.costUsd).toBeGreaterThan(0);
    expect(await revParse(repo, "orchestrator/slugify")).toBe(result.commitSha);
    expect(await gitIn(repo, ["show", "orchestrator/slugify:src/slugify.js"])).toContain("slugify");
    expect(await gitIn(repo, ["log", "-1", "--format=%s%n%an <%ae>", "orchestrator/slugify"])).toBe(
      `Add slugify (task slugify)\n${TEST_AUTHOR.name} <${TEST_AUTHOR.email}>`,
    );
    const log = await readFile(logFile, "utf8");
    expect(log).toContain("== running the agent (Claude Code");
    expect(log).toContain('"type":"result"');
  });

  it("fails with the API's message when the model answers with an error, and commits nothing", async () => {
    const { repo, worktree } = await checkout();
    const agent = await claudeAgent(() => ({
      error: { status: 400, message: "the scripted model rejects this request" },
    }));

    const result = await run({ repo, worktree, task: task({ id: "broken" }), agent });

    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ stage: "agent", kind: "agent_error" });
    expect(result.failure?.message).toContain("the scripted model rejects this request");
    expect(result.commitSha).toBeUndefined();
    expect(await revParse(repo, "orchestrator/broken")).toBe(await revParse(repo, "main"));
  });

  it('reports "Not logged in" as a clear failure when there are no credentials', async () => {
    const { repo, worktree } = await checkout();
    const home = await makeTempDir("orchestrator-claude-home-");
    const agent: AgentSpec = {
      kind: "claude",
      claudePath,
      env: {
        HOME: home,
        ANTHROPIC_API_KEY: undefined,
        ANTHROPIC_BASE_URL: undefined,
        ANTHROPIC_AUTH_TOKEN: undefined,
        CLAUDE_CODE_OAUTH_TOKEN: undefined,
        CLAUDE_CONFIG_DIR: undefined,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        HTTPS_PROXY: "http://127.0.0.1:9",
        https_proxy: "http://127.0.0.1:9",
      },
    };

    const result = await run({ repo, worktree, task: task({ id: "nologin" }), agent });

    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ stage: "agent", kind: "not_logged_in" });
    expect(result.failure?.message).toContain("Not logged in");
  });

  it("fails loudly when the agent changed nothing, unless the task allows it", async () => {
    const { repo, worktree } = await checkout();
    const agent = await claudeAgent(fileWritingScript([]));

    const strict = await run({ repo, worktree, task: task({ id: "idle" }), agent });
    expect(strict.ok).toBe(false);
    expect(strict.failure).toMatchObject({ stage: "commit", kind: "no_changes" });
    expect(strict.failure?.message).toContain("allow_no_changes");

    const allowed = await run({ repo, worktree, task: task({ id: "idle", allowNoChanges: true }), agent });
    expect(allowed.ok).toBe(true);
    expect(allowed.changedFiles).toEqual([]);
    expect(allowed.commits).toBe(0);
  });

  it("stops a model that never answers at the timeout", async () => {
    const { repo, worktree } = await checkout();
    const agent = await claudeAgent(() => ({ hang: true }));

    const result = await run({
      repo,
      worktree,
      task: task({ id: "slow" }),
      agent,
      timeoutMs: 2_000,
      killGraceMs: 500,
    });

    // A model that never answers would hold the run forever: only the timeout ends it.
    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ stage: "agent", kind: "timeout" });
  });
});

describe("runTask with a command agent", () => {
  const writer = `
import { readFileSync, writeFileSync } from "node:fs";
const prompt = readFileSync(0, "utf8");
const env = ["ORCHESTRATOR_TASK_ID", "ORCHESTRATOR_TASK_NAME", "ORCHESTRATOR_SESSION_ID", "ORCHESTRATOR_ATTEMPT"]
  .map((name) => name + "=" + process.env[name]).join("\\n");
writeFileSync(process.env.ORCHESTRATOR_TASK_ID + ".txt", prompt + "\\n" + env + "\\n");
`;

  it("starts from the one dependency's branch and gives the agent the prompt and task environment", async () => {
    const repo = await makeRepo();
    const depTip = await commitFiles({
      cwd: repo,
      branch: "orchestrator/a",
      from: "main",
      files: { "a.txt": "a\n" },
      message: "a",
    });
    await gitIn(repo, ["checkout", "--quiet", "main"]);
    const worktree = join(await makeTempDir("orchestrator-wt-"), "b");

    const result = await run({
      repo,
      worktree,
      task: task({ id: "b", name: "Task B", prompt: "build on a" }),
      agent: await nodeAgent(writer),
      dependencyBranches: ["orchestrator/a"],
      attempt: 2,
    });

    expect(result.ok).toBe(true);
    expect(result.startPoint).toBe("orchestrator/a");
    expect(result.baseSha).toBe(depTip);
    expect(await contains(repo, "orchestrator/b", depTip)).toBe(true);
    expect(await gitIn(repo, ["show", "orchestrator/b:b.txt"])).toBe(
      [
        "build on a",
        "ORCHESTRATOR_TASK_ID=b",
        "ORCHESTRATOR_TASK_NAME=Task B",
        "ORCHESTRATOR_SESSION_ID=local-test",
        "ORCHESTRATOR_ATTEMPT=2",
      ].join("\n"),
    );
  });

  it("merges several dependencies' branches before the agent starts", async () => {
    const repo = await makeRepo();
    const a = await commitFiles({
      cwd: repo,
      branch: "orchestrator/a",
      from: "main",
      files: { "a.txt": "a\n" },
      message: "a",
    });
    const c = await commitFiles({
      cwd: repo,
      branch: "orchestrator/c",
      from: "main",
      files: { "c.txt": "c\n" },
      message: "c",
    });
    await gitIn(repo, ["checkout", "--quiet", "main"]);
    const worktree = join(await makeTempDir("orchestrator-wt-"), "d");

    const result = await run({
      repo,
      worktree,
      task: task({ id: "d" }),
      agent: await nodeAgent(writer),
      dependencyBranches: ["orchestrator/a", "orchestrator/c"],
    });

    expect(result.ok).toBe(true);
    expect(result.mergedBranches).toEqual(["orchestrator/c"]);
    expect(await contains(repo, "orchestrator/d", a)).toBe(true);
    expect(await contains(repo, "orchestrator/d", c)).toBe(true);
  });

  it("reports a missing dependency branch as a prepare failure without running the agent", async () => {
    const { repo, worktree } = await checkout();
    const marker = join(await makeTempDir(), "ran");
    const result = await run({
      repo,
      worktree,
      task: task({ id: "lonely" }),
      agent: await nodeAgent(
        `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(marker)}, "x");`,
      ),
      dependencyBranches: ["orchestrator/gone"],
    });

    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ stage: "prepare", kind: "missing_base" });
    expect(result.failure?.message).toContain("orchestrator/gone");
    await expect(readFile(marker)).rejects.toThrow();
  });

  it("stops the agent when the signal aborts and reports it as cancelled", async () => {
    const { repo, worktree } = await checkout();
    const controller = new AbortController();
    // Aborted once the agent runs (it says so in a file), however long getting there took.
    const started = join(await makeTempDir("orchestrator-started-"), "agent.started");
    const running = run({
      repo,
      worktree,
      task: task({ id: "cancelled" }),
      agent: await nodeAgent(
        `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(started)}, "x"); setTimeout(() => {}, 600_000);`,
      ),
      signal: controller.signal,
      killGraceMs: 200,
    });
    await waitFor(() => existsSync(started), 30_000);
    controller.abort();
    const result = await running;

    // The agent would run for ten minutes: only the abort ended it.
    expect(result.ok).toBe(false);
    expect(result.failure).toMatchObject({ stage: "agent", kind: "cancelled" });
  });
});
