import { afterEach, describe, expect, it } from "vitest";
import { loadSession, loadSessionGraph } from "../../../src/github/sessions/load-session.js";
import { restackDependents } from "../../../src/github/sessions/restack-dependents.js";
import { FULL_NAME, SessionHarness } from "../../support/simulated-session.js";

// The session machine's `restack` action with why "revised" (a follow-up changed the dependency's
// branch): the dependent's branch is restacked onto the dependency's branch as it is now, and its
// pull request keeps its base.
const tasks = {
  tasks: [
    { id: "a", prompt: "Lay the foundation" },
    { id: "b", prompt: "Build on it", dependencies: ["a"] },
  ],
};

let harness: SessionHarness | undefined;
afterEach(async () => {
  if (harness) expect(harness.violations()).toEqual([]);
  await harness?.close();
  harness = undefined;
});

describe("a restack asked because the dependency's work changed", () => {
  it("dispatches a restack run onto the dependency's branch, without a sha, and retargets nothing", async () => {
    const h = (harness = await SessionHarness.create({ tasks }));
    await h.start({});
    await h.wake(await h.finish(h.runFor("a")));
    await h.wake(await h.finish(h.runFor("b")));
    const session = await loadSession({ client: h.client, sessionId: h.sessionId, config: h.config });
    if (!session) throw new Error("no session");
    const graph = await loadSessionGraph({ client: h.client, session, runtime: h.runtime });
    const prOfB = session.record.runs.b?.prNumber as number;
    const warnings: string[] = [];
    const ask = { id: "b", onto: "a", why: "revised" as const };
    const args = { client: h.client, session, graph, config: h.config, runtime: h.runtime, warnings };

    const dispatched = await restackDependents({ ...args, now: h.config.now(), asks: [ask, ask] });

    expect(warnings).toEqual([]);
    expect(dispatched).toEqual([{ taskId: "b", runId: expect.any(Number) as number }]);
    expect(h.runs().at(-1)?.inputs).toMatchObject({
      mode: "restack",
      task_id: "b",
      branch: "orchestrator/b",
      pr_base: "orchestrator/a",
      dependency_branches: "orchestrator/a",
    });
    expect(h.fake.state.pull(FULL_NAME, prOfB)?.base).toBe("orchestrator/a");
    expect(session.record.runs.b?.restack).toMatchObject({
      onto: "a",
      why: "revised",
      ontoAttempt: 1,
      base: "orchestrator/a",
      state: "dispatched",
    });
    // Asked again for the same revision of a: nothing new.
    expect(await restackDependents({ ...args, now: h.config.now(), asks: [ask] })).toEqual([]);
  });
});
