import { afterEach, describe, expect, it } from "vitest";
import { FULL_NAME, SessionHarness } from "../../support/simulated-session.js";

// `base: "merged"`: the dependent starts from the base branch only once its dependencies' pull
// requests are merged; until then it waits (and says so), while the session stays open.
const tasks = {
  tasks: [
    { id: "schema", prompt: "Design the schema" },
    { id: "migrate", prompt: "Write the migration", dependencies: ["schema"], base: "merged" as const },
  ],
};

let harness: SessionHarness | undefined;
afterEach(async () => {
  if (harness) expect(harness.violations()).toEqual([]);
  await harness?.close();
  harness = undefined;
});

describe('a session with base "merged"', () => {
  it("waits for the dependency's pull request to be merged, then starts from the base branch", async () => {
    const h = (harness = await SessionHarness.create({ tasks }));
    expect((await h.start({})).ok).toBe(true);

    const waiting = await h.wake(await h.finish(h.runFor("schema")));
    expect(h.dispatchCount("migrate")).toBe(0);
    expect(waiting?.state).toBe("running");
    expect(waiting?.tasks.find((t) => t.id === "migrate")).toMatchObject({ status: "pending" });

    // A wake-up while the PR is still open changes nothing.
    await h.wake();
    expect(h.dispatchCount("migrate")).toBe(0);

    const prNumber = waiting?.tasks.find((t) => t.id === "schema")?.prNumber as number;
    const pull = h.fake.state.pull(FULL_NAME, prNumber);
    if (!pull) throw new Error("the schema task's PR is missing");
    pull.merged = true;
    pull.mergedAt = new Date().toISOString();

    await h.wake();
    expect(h.dispatchCount("migrate")).toBe(1);
    expect(h.runFor("migrate").inputs).toMatchObject({
      base_strategy: "merged",
      dependency_branches: "",
      pr_base: "main",
    });
    const done = await h.wake(await h.finish(h.runFor("migrate")));
    expect(done).toMatchObject({ state: "completed", conclusion: "success" });
  });
});
