import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePlanResult, PLAN_RESULT_FILE } from "../../src/core/plan-result.js";
import type { ModelScript } from "../../src/demo/scripted-model-server.js";
import { git } from "./action-harness.js";
import { startActionFixture, type ActionFixture } from "./action-fixture.js";

/**
 * The Action's planner mode with the real Claude Code CLI on a scripted model: read-only tools,
 * the proposal checked and pushed as one file to the planner's branch, no pull request.
 */

const proposal = {
  summary: "Two steps: the parser, then the CLI on top.",
  tasks: [
    {
      id: "parser",
      title: "Add the parser",
      prompt: "Write src/parser.ts.",
      estimate_minutes: 20,
      max_budget_usd: 2,
    },
    {
      id: "cli",
      title: "Add the CLI",
      prompt: "Write src/cli.ts using the parser.",
      blocked_by: ["parser"],
      max_budget_usd: 1.5,
    },
  ],
};

/** Tries to write a file (which must be refused) and reads one, then answers by the prompt's word. */
const script: ModelScript = (context) => {
  if (context.turn === 0) {
    return {
      text: "Let me look around.",
      toolUse: [
        { name: "Write", input: { file_path: "never.txt", content: "written by the planner\n" } },
        { name: "Read", input: { file_path: "README.md" } },
      ],
    };
  }
  if (context.prompt.includes("BROKEN-PLAN"))
    return {
      text:
        '```json\n{"tasks": [{"id": "a", "title": "A", "prompt": "x", "blocked_by": ["b"]},' +
        ' {"id": "b", "title": "B", "prompt": "y", "blocked_by": ["a"]}]}\n```',
    };
  return { text: `Here is the plan.\n\n\`\`\`json\n${JSON.stringify(proposal, null, 2)}\n\`\`\`` };
};

let fixture: ActionFixture;

beforeAll(async () => {
  fixture = await startActionFixture({ script });
});

afterAll(async () => {
  await fixture?.close();
});

function planInputs(branch: string, prompt: string): Record<string, string> {
  return fixture.taskInputs("plan-12", {
    tasks_ref: "",
    prompt,
    branch,
    mode: "plan",
    allow_no_changes: "true",
  });
}

describe("the action's planner mode", () => {
  it("runs read-only and pushes the checked proposal to its branch, opening no pull request", async () => {
    const { harness, model } = fixture;
    const result = await harness.runAction({
      inputs: planInputs("orchestrator/plan-12", "Plan the widgets CLI."),
      env: fixture.modelEnv(),
    });
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);

    // The proposal is the only file of the branch's commit, naming the run it belongs to.
    const files = await git(harness.bare, "ls-tree", "--name-only", "orchestrator/plan-12");
    expect(files).toBe(PLAN_RESULT_FILE);
    const pushed = parsePlanResult(await harness.remoteFile("orchestrator/plan-12", PLAN_RESULT_FILE));
    expect(pushed).toMatchObject({
      version: 1,
      session_id: "acme:widgets:777",
      task_id: "plan-12",
      attempt: 1,
      run_id: 4242,
      proposal,
    });
    expect(pushed?.cost_usd).toBeGreaterThan(0);
    expect(fixture.pullsFor("orchestrator/plan-12")).toEqual([]);

    // The Write was refused by Claude Code itself (read-only tools), the Read was not.
    const second = model.requests.filter((request) => request.kind === "conversation").at(-1);
    const messages = (second?.body as { messages: Array<{ content: unknown }> }).messages;
    const results = JSON.stringify(messages.at(-1)?.content);
    expect(results).toMatch(/"content":"<tool_use_error>[^"]*Write is disabled[^"]*","is_error":true/);
    expect(results).toContain("# Widgets");
    await expect(git(result.workspace, "status", "--porcelain")).resolves.toBe("");
    expect(result.summary).toContain("plan-12");
  });

  it("builds on the branch's earlier proposal rather than replacing it", async () => {
    const { harness } = fixture;
    const before = await harness.remoteSha("orchestrator/plan-12");
    const result = await harness.runAction({
      inputs: { ...planInputs("orchestrator/plan-12", "Plan the widgets CLI."), attempt: "2" },
      env: fixture.modelEnv(),
    });
    expect(result.exitCode).toBe(0);
    const parent = await git(harness.bare, "rev-parse", "orchestrator/plan-12^");
    expect(parent).toBe(before);
  });

  it("fails with the problems when the answer is not a usable proposal, pushing nothing", async () => {
    const { harness } = fixture;
    const result = await harness.runAction({
      inputs: planInputs("orchestrator/plan-13", "BROKEN-PLAN: plan it."),
      env: fixture.modelEnv(),
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.errors.join("\n")).toContain("not a usable proposal");
    expect(result.errors.join("\n")).toContain("cycle");
    expect(await harness.remoteSha("orchestrator/plan-13")).toBeNull();
  });
});
