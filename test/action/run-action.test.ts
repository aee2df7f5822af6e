import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseResultBlock } from "../../src/core/task-result-block.js";
import { type ActionHarness, git } from "./action-harness.js";
import { startActionFixture, type ActionFixture } from "./action-fixture.js";

let fixture: ActionFixture;
let harness: ActionHarness;
let model: ActionFixture["model"];
const modelEnv = () => fixture.modelEnv();
const taskInputs = (taskId: string, extra: Record<string, string> = {}) => fixture.taskInputs(taskId, extra);
const pullsFor = (branch: string) => fixture.pullsFor(branch);

beforeAll(async () => {
  fixture = await startActionFixture();
  ({ harness, model } = fixture);
});

afterAll(async () => {
  await fixture?.close();
});

describe("the action, bundled, on a runner-like environment", () => {
  it("runs the task, pushes its branch, opens the PR with a result block, sets outputs and summary", async () => {
    const result = await harness.runAction({ inputs: taskInputs("greet"), env: modelEnv() });
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);

    expect(await harness.remoteFile("orchestrator/greet", "hello.txt")).toBe("Hello, world!");
    const log = await git(harness.bare, "log", "--format=%an <%ae>|%s", "main..orchestrator/greet");
    expect(log).toBe(
      "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>|Write the greeting (task greet)",
    );

    const [pull, ...others] = pullsFor("orchestrator/greet");
    expect(others).toEqual([]);
    expect(pull).toMatchObject({
      base: "main",
      state: "open",
      draft: false,
      title: "Write the greeting (task greet)",
    });
    expect(pull?.body).toContain("Create hello.txt with a greeting.");
    expect(pull?.body).toContain("`hello.txt`");
    const block = parseResultBlock(pull?.body);
    expect(block).toMatchObject({
      version: 1,
      session_id: "acme:widgets:777",
      task_id: "greet",
      attempt: 1,
      conclusion: "success",
      branch: "orchestrator/greet",
      commit: await harness.remoteSha("orchestrator/greet"),
      files_changed: 1,
      turns: 2,
      run_id: 4242,
    });
    expect(block?.cost_usd).toBeGreaterThan(0);

    expect(result.outputs).toMatchObject({
      conclusion: "success",
      branch: "orchestrator/greet",
      "pr-number": String(pull?.number),
      "pr-url": expect.stringContaining(`/pull/${pull?.number}`),
      turns: "2",
    });
    expect(Number(result.outputs["cost-usd"])).toBe(block?.cost_usd);
    expect(Number(result.outputs["duration-ms"])).toBeGreaterThan(0);
    expect(result.summary).toContain("✅ Task `greet` — Write the greeting");
    expect(result.summary).toContain("`hello.txt`");
    expect(result.summary).toMatch(/\| success \| 1 \| `orchestrator\/greet` \| \[#\d+\]/);
    expect(harness.fake.violations).toEqual([]);

    // The prompt came from the tasks file at tasks_ref.
    const first = model.requests.find((request) => request.kind === "conversation");
    expect(JSON.stringify(first?.body)).toContain("Create hello.txt with a greeting.");
  });

  it("a second attempt of the same task rebuilds the branch and updates the same PR", async () => {
    const [before] = pullsFor("orchestrator/greet");
    const previousTip = await harness.remoteSha("orchestrator/greet");
    if (before) before.body = `Reviewer note: please keep this.\n\n${before.body ?? ""}`;

    const result = await harness.runAction({
      inputs: taskInputs("greet", { attempt: "2" }),
      env: modelEnv(),
    });
    expect(result.errors).toEqual([]);
    const pulls = pullsFor("orchestrator/greet");
    expect(pulls).toHaveLength(1);
    expect(pulls[0]?.number).toBe(before?.number);
    expect(pulls[0]?.body).toContain("Reviewer note: please keep this.");
    expect(pulls[0]?.body?.match(/orchestrator:result/g)).toHaveLength(1);
    expect(parseResultBlock(pulls[0]?.body)).toMatchObject({ attempt: 2, conclusion: "success" });
    const tip = await harness.remoteSha("orchestrator/greet");
    expect(tip).not.toBe(previousTip);
    // Rebuilt from main: one commit, not stacked on attempt 1's.
    expect(await git(harness.bare, "rev-list", "--count", "main..orchestrator/greet")).toBe("1");
    expect(result.outputs["pr-number"]).toBe(String(before?.number));
    expect(result.summary).toContain("(updated)");
  });

  it("an inline prompt runs without a tasks file; one dependency → the PR targets its branch", async () => {
    await harness.commitOnRemote({
      branch: "orchestrator/base-dep",
      files: { "dep.txt": "dependency work\n" },
    });
    const result = await harness.runAction({
      inputs: {
        task_id: "manual-task",
        prompt: "Write combined.txt on top of the dependency.",
        branch: "orchestrator/manual-task",
        base_branch: "main",
        dependency_branches: "orchestrator/base-dep",
        pr_base: "orchestrator/base-dep",
      },
      env: modelEnv(),
    });
    expect(result.errors).toEqual([]);
    expect(await harness.remoteFile("orchestrator/manual-task", "dep.txt")).toBe("dependency work");
    expect(await harness.remoteFile("orchestrator/manual-task", "combined.txt")).toBe("both");
    const [pull] = pullsFor("orchestrator/manual-task");
    expect(pull?.base).toBe("orchestrator/base-dep");
    expect(parseResultBlock(pull?.body)).toMatchObject({
      session_id: "manual",
      task_id: "manual-task",
      attempt: 1,
    });
  });

  it("bad input: fails at once, naming the input", async () => {
    const result = await harness.runAction({
      inputs: taskInputs("greet", { attempt: "second" }),
      env: modelEnv(),
    });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual(['Task greet: input "attempt": expected a whole number, got "second"']);
    expect(result.outputs.conclusion).toBe("failure");
  });

  it("PR API error (sequential: the fault hits the next PR request): the work is pushed, the step fails naming GitHub's answer", async () => {
    harness.fake.faults.add({ route: "POST /repos/{owner}/{repo}/pulls", kind: "server-error", times: 1 });
    const result = await harness.runAction({
      inputs: taskInputs("greet", { branch: "orchestrator/api-down" }),
      env: modelEnv(),
    });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(
      /Could not open or update the pull request for orchestrator\/api-down → main: GitHub answered 500/,
    );
    expect(await harness.remoteFile("orchestrator/api-down", "hello.txt")).toBe("Hello, world!");
    expect(result.outputs.conclusion).toBe("failure");
  });
});
