import { afterEach, describe, expect, it } from "vitest";
import { sweepActiveSessions, type WorkflowRunLike } from "../../../src/github/sessions/index.js";
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

/** The claim refs, with the session's check run id written SESSION. */
function claimRefs(h: SessionHarness): string[] {
  const checkRunId = h.sessionId.split(":").at(-1) ?? "";
  return [...h.fake.state.requireRepo(`${OWNER}/${REPO}`).refs.keys()]
    .filter((ref) => ref.startsWith("refs/orchestrator/claims/"))
    .map((ref) => ref.replace(`/${checkRunId}/`, "/SESSION/"))
    .sort();
}

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

  it("a 5xx with no run created: once a listing minutes later proves no run, dispatched again as the second dispatch of the attempt", async () => {
    const h = (harness = await SessionHarness.create({
      tasks: two,
      config: { runNeverStartedAfterMs: 15 * 60_000, dispatchSettleMs: 2 * 60_000 },
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
    // Too soon to tell: the run might still show up.
    h.clock.advance(1);
    await sweep();
    expect(dispatchRequests(h)).toHaveLength(1);
    // Two minutes on, the runs since the dispatch hold none for a#1: it goes out again.
    h.clock.advance(16);
    await sweep();
    expect(dispatchRequests(h).map((r) => r.status)).toEqual([500, 200]);
    expect(claimRefs(h)).toEqual([]);
    expect(h.dispatchCount("a", 1)).toBe(1);
    const status = await h.wake(await h.finish(h.runFor("a")));
    expect(status?.tasks.find((t) => t.id === "a")).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(status?.tasks.find((t) => t.id === "b")?.status).toBe("running");
    expect(h.violations()).toEqual([]);
  });

  it("a dispatch refused for a secondary rate limit (retries spent): sent again, not failed", async () => {
    const h = (harness = await SessionHarness.create({ tasks: two }));
    h.fake.faults.add({ route: DISPATCH, kind: "secondary-rate-limit", retryAfterSeconds: 1 });
    const started = await h.start();
    expect(started.ok && started.status.tasks.find((t) => t.id === "a")?.status).toBe("running");
    expect(h.dispatchCount()).toBe(0);
    // The next pass (here a wake-up with nothing new) dispatches it again.
    await h.wake();
    expect(dispatchRequests(h).map((r) => r.status)).toEqual([403, 200]);
    expect(claimRefs(h)).toEqual([]);
    const status = await h.wake(await h.finish(h.runFor("a")));
    expect(status?.tasks.find((t) => t.id === "a")).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("a pass whose save fails goes on from its own record: what it dispatched is not dispatched again", async () => {
    const h = (harness = await SessionHarness.create({ tasks: two }));
    await h.start();
    // The pass that ends a and dispatches b cannot save its record (every try of it).
    h.fake.faults.add({
      route: "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
      kind: "server-error",
      times: 20,
    });
    const finished = await h.finish(h.runFor("a"));
    await expect(h.wake(finished)).rejects.toThrow("Server Error");
    expect(h.dispatchCount("b")).toBe(1);
    h.fake.faults.clear();
    // The next pass starts from the unsaved record (b running, its run known), not GitHub's older one.
    const status = await h.wake();
    expect(h.dispatchCount("b")).toBe(1);
    expect(status?.tasks.find((t) => t.id === "b")).toMatchObject({ status: "running", attempts: 1 });
    const done = await h.wake(await h.finish(h.runFor("b")));
    expect(done).toMatchObject({ state: "completed", conclusion: "success" });
    expect(dispatchRequests(h)).toHaveLength(2);
    expect(h.violations()).toEqual([]);
  });

  it("a second run of one attempt (a late run after a dispatch sent again) is cancelled and ignored", async () => {
    const h = (harness = await SessionHarness.create({ tasks: two }));
    await h.start();
    const first = h.runFor("a");
    // The same attempt dispatched once more, as a late run would appear.
    await h.actionClient.request("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", {
      owner: OWNER,
      repo: REPO,
      workflow_id: "orchestrator-task.yml",
      ref: "main",
      inputs: first.inputs as Record<string, string>,
    });
    const extra = h.runs().find((run) => run.id !== first.id);
    expect(extra).toBeDefined();
    if (!extra) return;
    const cancel = `POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel`;
    // As GitHub shows it: the task workflow, workflow_dispatch, this repository; only the id differs.
    const shown = async () =>
      (
        await h.actionClient.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", {
          owner: OWNER,
          repo: REPO,
          run_id: extra.id,
        })
      ).data as WorkflowRunLike;
    await h.wake(await shown());
    expect(h.fake.requests.filter((r) => r.route === cancel).map((r) => r.params.run_id)).toEqual([
      String(extra.id),
    ]);
    // The extra's end says nothing about the attempt; the linked run's does.
    const ended = h.runs().find((run) => run.id === extra.id);
    if (ended?.status !== "completed") h.fake.completeRun(extra.id, { conclusion: "cancelled" });
    let status = await h.wake(await shown());
    expect(status?.tasks.find((t) => t.id === "a")?.status).toBe("running");
    status = await h.wake(await h.finish(first));
    expect(status?.tasks.find((t) => t.id === "a")).toMatchObject({ status: "succeeded", runId: first.id });
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
