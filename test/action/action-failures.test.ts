import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseResultBlock } from "../../src/core/task-result-block.js";
import {
  fileWritingScript,
  startScriptedModelServer,
  type ModelScript,
  type ScriptedModelServer,
} from "../../src/demo/scripted-model-server.js";
import { buildBundle, git, startActionHarness, type ActionHarness } from "./action-harness.js";

const tasksFile = JSON.stringify({
  tasks: [
    { id: "greet", name: "Write the greeting", prompt: "Create hello.txt with a greeting." },
    { id: "idle", prompt: "Think about the code, change nothing." },
    { id: "refused", prompt: "REFUSE: the model API answers with an error." },
    { id: "partial", prompt: "PARTIAL: write part.txt, then the API fails." },
  ],
});

const writer = fileWritingScript([
  {
    promptIncludes: "hello.txt",
    files: [{ path: "hello.txt", content: "Hello, world!\n" }],
    summary: "Created hello.txt with a friendly greeting.",
  },
  { promptIncludes: "combined.txt", files: [{ path: "combined.txt", content: "both\n" }] },
  { promptIncludes: "PARTIAL", files: [{ path: "part.txt", content: "half done\n" }] },
]);

const script: ModelScript = (context) => {
  if (context.prompt.includes("REFUSE"))
    return { error: { status: 400, message: "Scripted refusal: prompt too long" } };
  if (context.prompt.includes("PARTIAL") && context.turn > 0) {
    return { error: { status: 400, message: "Scripted failure after the first tool call" } };
  }
  return writer(context);
};

let bundleDir: string;
let bundle: string;
let model: ScriptedModelServer;
let harness: ActionHarness;
let tasksRef: string;

const modelEnv = () => ({ ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: "sk-ant-test-key" });

function taskInputs(taskId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    session_id: "acme:widgets:777",
    task_id: taskId,
    attempt: "1",
    tasks_ref: tasksRef,
    tasks_file: "tasks/tasks.json",
    branch: `orchestrator/${taskId}`,
    base_branch: "main",
    base_strategy: "dependencies",
    timeout_minutes: "5",
    allow_no_changes: "false",
    ...extra,
  };
}

function pullsFor(branch: string) {
  return [...harness.fake.state.pulls.values()].filter((pull) => pull.head === branch);
}

beforeAll(async () => {
  bundleDir = await mkdtemp(join(tmpdir(), "action-bundle-test-"));
  bundle = await buildBundle(bundleDir);
  model = await startScriptedModelServer({ script });
  harness = await startActionHarness({
    bundle,
    files: { "README.md": "# Widgets\n", "tasks/tasks.json": tasksFile, "shared.txt": "original\n" },
  });
  tasksRef = await git(harness.bare, "rev-parse", "main");
  // The remote turns down pushes to one branch, as a protected branch or a push rule would.
  const hook = join(harness.bare, "hooks", "pre-receive");
  await writeFile(
    hook,
    '#!/bin/sh\nwhile read old new ref; do\n  [ "$ref" = refs/heads/orchestrator/protected ] && { echo "protected branch" >&2; exit 1; }\ndone\nexit 0\n',
  );
  await chmod(hook, 0o755);
  await harness.commitOnRemote({ branch: "orchestrator/dep-a", files: { "shared.txt": "from a\n" } });
  await harness.commitOnRemote({ branch: "orchestrator/dep-b", files: { "shared.txt": "from b\n" } });
});

afterAll(async () => {
  // Every request the action made (and every answer) matched GitHub's OpenAPI description.
  expect(harness?.fake.violations).toEqual([]);
  await harness?.close();
  await model?.close();
  await rm(bundleDir, { recursive: true, force: true });
});

describe.concurrent("the action's failures, each with a plain reason", () => {
  it("the agent changed nothing: fails with no_changes and pushes nothing", async () => {
    const result = await harness.runAction({ inputs: taskInputs("idle"), env: modelEnv() });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^Task idle: The agent finished task idle without changing any file/);
    expect(await harness.remoteSha("orchestrator/idle")).toBeNull();
    expect(pullsFor("orchestrator/idle")).toEqual([]);
    expect(result.summary).toContain("❌ Task `idle`");
    expect(result.summary).toContain("**Failed:** The agent finished task idle without changing any file");
  });

  it("the model API fails: the step fails with Claude Code's error", async () => {
    const result = await harness.runAction({ inputs: taskInputs("refused"), env: modelEnv() });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(/^Task refused: Claude Code reported an error: .*Scripted refusal/);
    expect(await harness.remoteSha("orchestrator/refused")).toBeNull();
  });

  it("failed work is pushed and gets a draft PR whose result block says failure", async () => {
    const result = await harness.runAction({ inputs: taskInputs("partial"), env: modelEnv() });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(/Scripted failure after the first tool call/);
    expect(await harness.remoteFile("orchestrator/partial", "part.txt")).toBe("half done");
    const [pull] = pullsFor("orchestrator/partial");
    expect(pull?.draft).toBe(true);
    expect(parseResultBlock(pull?.body)).toMatchObject({
      conclusion: "failure",
      failure_kind: "agent_error",
      task_id: "partial",
      files_changed: 1,
    });
    expect(pull?.body).toContain("This attempt failed");
    expect(result.outputs).toMatchObject({ conclusion: "failure", "pr-number": String(pull?.number) });
  });

  it("not logged in: no credentials gives a plain message on how to log in", async () => {
    const result = await harness.runAction({
      inputs: taskInputs("greet", { branch: "orchestrator/no-login" }),
      env: { ANTHROPIC_BASE_URL: model.url },
    });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(/^Task greet: Claude Code has no valid credentials .*ANTHROPIC_API_KEY/);
    expect(await harness.remoteSha("orchestrator/no-login")).toBeNull();
  });

  it("a task the tasks file at tasks_ref does not have: fails naming the file and commit", async () => {
    const result = await harness.runAction({ inputs: taskInputs("ghost"), env: modelEnv() });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      `Task ghost: The tasks file tasks/tasks.json at ${tasksRef.slice(0, 12)} has no task "ghost".`,
    ]);
    expect(result.outputs).toMatchObject({
      conclusion: "failure",
      branch: "orchestrator/ghost",
      "pr-number": "",
    });
  });

  it("merge conflict between two dependency branches: fails before the agent, naming files", async () => {
    const result = await harness.runAction({
      inputs: taskInputs("greet", {
        branch: "orchestrator/merged",
        dependency_branches: "orchestrator/dep-a orchestrator/dep-b",
      }),
      env: modelEnv(),
    });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(
      /merging orchestrator\/dep-b into orchestrator\/dep-a conflicts in shared\.txt/,
    );
    // Stopped before the CLI was even looked for: no agent time or cost spent on it.
    expect(result.stdout).not.toContain("Claude Code 2.1.330");
    expect(await harness.remoteSha("orchestrator/merged")).toBeNull();
  });

  it("push rejected by the remote: fails saying so", async () => {
    const result = await harness.runAction({
      inputs: taskInputs("greet", { branch: "orchestrator/protected" }),
      env: modelEnv(),
    });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(
      /^Task greet: origin refused the push to orchestrator\/protected \(pre-receive hook declined\)/,
    );
    expect(await harness.remoteSha("orchestrator/protected")).toBeNull();
    expect(pullsFor("orchestrator/protected")).toEqual([]);
  });
});
