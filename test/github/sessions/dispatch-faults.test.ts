import { afterEach, describe, expect, it } from "vitest";
import { sweepActiveSessions } from "../../../src/github/sessions/index.js";
import { OWNER, REPO, SessionHarness } from "../../support/simulated-session.js";

const two = {
  tasks: [
    { id: "a", prompt: "A", estimate_minutes: 5 },
    { id: "b", prompt: "B", dependencies: ["a"] },
  ],
};

const DISPATCH = "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";

let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function dispatchRequests(h: SessionHarness) {
  return h.fake.requests.filter((r) => r.route === DISPATCH);
}

describe("dispatch failures", () => {
  it("a 5xx after GitHub created the run: no retry, the run is found by its run-name", async () => {
    const h = (harness = await SessionHarness.create({ tasks: two }));
    h.fake.faults.add({ route: DISPATCH, kind: "bad-gateway", afterEffect: true });
    const started = await h.start();
    expect(dispatchRequests(h)).toHaveLength(1);
    expect(h.dispatchCount("a")).toBe(1);
    const task = started.ok ? started.status.tasks.find((t) => t.id === "a") : undefined;
    expect(task).toMatchObject({ status: "running", runId: h.runFor("a").id });
    const status = await h.wake(await h.finish(h.runFor("a")));
    expect(status?.tasks.find((t) => t.id === "b")?.status).toBe("running");
    expect(h.violations()).toEqual([]);
  });

  it("a 5xx with no run created: no retry, the task waits, then fails plainly when no run appears", async () => {
    const h = (harness = await SessionHarness.create({
      tasks: two,
      config: { runNeverStartedAfterMs: 15 * 60_000 },
    }));
    h.fake.faults.add({ route: DISPATCH, kind: "server-error" });
    const started = await h.start();
    expect(dispatchRequests(h)).toHaveLength(1);
    expect(h.dispatchCount()).toBe(0);
    const a = started.ok ? started.status.tasks.find((t) => t.id === "a") : undefined;
    expect(a?.status).toBe("running");
    const sweep = () =>
      sweepActiveSessions({
        client: h.client,
        repo: { owner: OWNER, repo: REPO },
        config: h.config,
        runtime: h.runtime,
      });
    await sweep();
    expect((await h.wake())?.tasks.find((t) => t.id === "a")?.status).toBe("running");
    h.clock.advance(16);
    await sweep();
    const status = await h.wake();
    expect(status).toMatchObject({ state: "completed", conclusion: "failure" });
    expect(status?.tasks.find((t) => t.id === "a")?.reason).toMatch(
      /^the workflow run of attempt 1 never appeared \(15 minutes after dispatch\); the dispatch got no clear answer \(GitHub answered 500: Server Error\)/,
    );
    expect(status?.tasks.find((t) => t.id === "b")?.status).toBe("skipped");
    expect(dispatchRequests(h)).toHaveLength(1);
    expect(h.violations()).toEqual([]);
  });

  it("GitHub Enterprise Server without return_run_details: dispatch again without it, find the run by run-name", async () => {
    const h = (harness = await SessionHarness.create({ tasks: two, fake: { rejectReturnRunDetails: true } }));
    const started = await h.start();
    // Refused (422, nothing created), then sent plainly: two requests, one run.
    expect(dispatchRequests(h).map((r) => r.status)).toEqual([422, 204]);
    expect(h.dispatchCount("a")).toBe(1);
    expect(started.ok && started.status.tasks.find((t) => t.id === "a")?.runId).toBe(h.runFor("a").id);
    // The server's limitation is remembered: the next dispatch goes plain at once.
    await h.wake(await h.finish(h.runFor("a")));
    expect(dispatchRequests(h).map((r) => r.status)).toEqual([422, 204, 204]);
    expect(h.dispatchCount("b")).toBe(1);
    expect(h.fake.violations.filter((v) => v.kind !== "request")).toEqual([]);
  });

  it("a refused dispatch fails the attempt with GitHub's words, and a retry is a new attempt", async () => {
    const h = (harness = await SessionHarness.create({
      tasks: { tasks: [{ id: "a", prompt: "A", retries: 1 }] },
    }));
    h.fake.faults.add({
      route: DISPATCH,
      kind: "validation-failed",
      message: "Workflow does not have 'workflow_dispatch' trigger",
    });
    const started = await h.start();
    // Attempt 1 was refused; the task allows one retry, which goes out at once as attempt 2.
    expect(dispatchRequests(h)).toHaveLength(2);
    expect(h.runFor("a", 2)).toBeDefined();
    expect(started.ok && started.status.tasks[0]).toMatchObject({ status: "running", attempts: 2 });
    const status = await h.wake(await h.finish(h.runFor("a", 2)));
    expect(status?.conclusion).toBe("success");
    const checks = h.checkRuns("Orchestrator: a");
    expect(checks.map((c) => c.conclusion)).toEqual(["failure", "success"]);
    expect(checks[0]?.title).toContain("GitHub refused to start the task workflow: GitHub answered 422");
  });
});
