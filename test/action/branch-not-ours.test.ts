import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startActionFixture, type ActionFixture } from "./action-fixture.js";

/**
 * The bundled action, dispatched for a task whose branch input names a branch someone already
 * has work on: the run fails as the task's failure, with the plain reason, and the branch on the
 * remote keeps that work.
 */

let fixture: ActionFixture;

beforeAll(async () => {
  fixture = await startActionFixture();
});

afterAll(async () => {
  await fixture?.close();
});

describe("the action on a branch holding someone else's commits", () => {
  it("fails the task with branch_not_ours before the agent runs, and the remote branch keeps the commit", async () => {
    const { harness } = fixture;
    const userCommit = await harness.commitOnRemote({
      branch: "feature",
      files: { "mine.txt": "my own work\n" },
      message: "My own work in progress",
    });

    const result = await harness.runAction({
      inputs: fixture.taskInputs("greet", { branch: "feature" }),
      env: fixture.modelEnv(),
    });

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(
      /^Task greet: The branch feature on origin has 1 commit that is not task greet's work/,
    );
    expect(result.errors[0]).toContain(userCommit.slice(0, 12));
    expect(result.outputs).toMatchObject({ conclusion: "failure" });
    expect(result.summary).toContain("reset_existing: true");
    expect(await harness.remoteSha("feature")).toBe(userCommit);
    expect(fixture.pullsFor("feature")).toEqual([]);
  });
});
