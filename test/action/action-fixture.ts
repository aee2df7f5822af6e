import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import {
  fileWritingScript,
  startScriptedModelServer,
  type ModelScript,
  type ScriptedModelServer,
} from "../../src/demo/scripted-model-server.js";
import { buildBundle, git, startActionHarness, type ActionHarness } from "./action-harness.js";

/**
 * What the action's end-to-end test files share: a repository with a tasks file, a scripted
 * model that writes files, refuses or fails half-way depending on the prompt, the bundled action,
 * and a runner-like harness around a bare remote and the fake GitHub.
 */

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

export interface ActionFixture {
  harness: ActionHarness;
  model: ScriptedModelServer;
  tasksRef: string;
  modelEnv(): Record<string, string>;
  taskInputs(taskId: string, extra?: Record<string, string>): Record<string, string>;
  pullsFor(branch: string): Array<ReturnType<ActionHarness["fake"]["state"]["pulls"]["get"]> & object>;
  close(): Promise<void>;
}

export async function startActionFixture(
  options: {
    /** Serve the remote over http behind the job's token (see `startActionHarness`). */
    httpRemote?: boolean;
    /** The model's script instead of the file-writing one. */
    script?: ModelScript;
  } = {},
): Promise<ActionFixture> {
  const bundleDir = await mkdtemp(join(tmpdir(), "action-bundle-test-"));
  const bundle = await buildBundle(bundleDir);
  const model = await startScriptedModelServer({ script: options.script ?? script });
  const harness = await startActionHarness({
    bundle,
    files: { "README.md": "# Widgets\n", "tasks/tasks.json": tasksFile, "shared.txt": "original\n" },
    ...(options.httpRemote ? { httpRemote: true } : {}),
  });
  const tasksRef = await git(harness.bare, "rev-parse", "main");
  return {
    harness,
    model,
    tasksRef,
    modelEnv: () => ({ ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: "sk-ant-test-key" }),
    taskInputs: (taskId, extra = {}) => taskInputs(tasksRef, taskId, extra),
    pullsFor: (branch) => [...harness.fake.state.pulls.values()].filter((pull) => pull.head === branch),
    close: async () => {
      // Every request the action made (and every answer) matched GitHub's OpenAPI description.
      expect(harness.fake.violations).toEqual([]);
      await harness.close();
      await model.close();
      await rm(bundleDir, { recursive: true, force: true });
    },
  };
}

function taskInputs(tasksRef: string, taskId: string, extra: Record<string, string>): Record<string, string> {
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
