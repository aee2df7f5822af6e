import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseResultBlock } from "../../src/core/task-result-block.js";
import type { ActionHarness } from "./action-harness.js";
import { startActionFixture, type ActionFixture } from "./action-fixture.js";

let fixture: ActionFixture;
let harness: ActionHarness;
let model: ActionFixture["model"];
let tasksRef: string;
const modelEnv = () => fixture.modelEnv();
const taskInputs = (taskId: string, extra: Record<string, string> = {}) => fixture.taskInputs(taskId, extra);
const pullsFor = (branch: string) => fixture.pullsFor(branch);

beforeAll(async () => {
  fixture = await startActionFixture();
  ({ harness, model, tasksRef } = fixture);
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
  await fixture?.close();
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
