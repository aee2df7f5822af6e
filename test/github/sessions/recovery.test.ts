import { afterEach, describe, expect, it } from "vitest";
import {
  createSessionRuntime,
  sweepActiveSessions,
  wakeSession,
  type WorkflowRunLike,
} from "../../../src/github/sessions/index.js";
import { OWNER, REPO, SessionHarness } from "../../support/simulated-session.js";

const chain = {
  tasks: [
    { id: "a", prompt: "A", estimate_minutes: 5 },
    { id: "b", prompt: "B", dependencies: ["a"] },
    { id: "c", prompt: "C", dependencies: ["b"] },
  ],
};

let harness: SessionHarness | undefined;
afterEach(async () => {
  if (harness) expect(harness.violations()).toEqual([]);
  await harness?.close();
  harness = undefined;
});

const DISPATCH = "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";

describe("missed, repeated and racing events", () => {
  it("duplicate and reordered events dispatch each attempt once", async () => {
    const h = (harness = await SessionHarness.create({ tasks: chain }));
    await h.start();
    const runA = h.runFor("a");
    const inProgress = (h.fake.startRun(runA.id).payload as { workflow_run: { id: number } }).workflow_run;
    const completed = await h.finish(runA);
    // Completed first, then the stale in_progress, then the completion again (redelivery).
    await h.wake(completed);
    await h.wake(inProgress);
    await h.wake(completed);
    expect(h.dispatchCount("b")).toBe(1);
    const completedB = await h.finish(h.runFor("b"));
    const loads = () =>
      h.fake.requests.filter((r) => r.route === "GET /repos/{owner}/{repo}/check-runs/{check_run_id}").length;
    const loadsBefore = loads();
    await Promise.all([h.wake(completedB), h.wake(completedB), h.wake(completed)]);
    // Concurrent wake-ups in one process coalesce into one pass: one read of the record for three events.
    expect(loads()).toBe(loadsBefore + 1);
    const status = await h.wake(await h.finish(h.runFor("c")));
    expect(status?.conclusion).toBe("success");
    expect(h.dispatchCount()).toBe(3);
    expect(h.fake.requests.filter((r) => r.route === DISPATCH)).toHaveLength(3);
  });

  it("a lost completion event is recovered by the sweep", async () => {
    const h = (harness = await SessionHarness.create({ tasks: chain }));
    await h.start();
    await h.finish(h.runFor("a")); // the webhook never arrives
    expect(h.dispatchCount("b")).toBe(0);
    const swept = await sweepActiveSessions({
      client: h.client,
      repo: { owner: OWNER, repo: REPO },
      config: h.config,
      runtime: h.runtime,
    });
    expect(swept).toMatchObject({ sessions: 1, woken: 1 });
    expect(h.dispatchCount("b")).toBe(1);
    // Nothing new: a second sweep reads but writes nothing.
    const writes = h.tally.writes;
    await sweepActiveSessions({
      client: h.client,
      repo: { owner: OWNER, repo: REPO },
      config: h.config,
      runtime: h.runtime,
    });
    expect(h.tally.writes).toBe(writes);
  });

  it("after a restart the session id alone carries the session on", async () => {
    const h = (harness = await SessionHarness.create({ tasks: chain }));
    await h.start();
    const sessionId = h.sessionId;
    await h.wake(await h.finish(h.runFor("a")));
    h.restart(); // caches and queues are gone
    const contentsReads = () =>
      h.fake.requests.filter((r) => r.route === "GET /repos/{owner}/{repo}/contents/{path}").length;
    const before = contentsReads();
    const woken = await wakeSession({
      client: h.client,
      sessionId,
      run: await h.finish(h.runFor("b")),
      config: h.config,
      runtime: h.runtime,
    });
    const status = woken?.status;
    expect(contentsReads()).toBe(before + 1); // the tasks file is read again, at the same commit
    expect(status?.tasks.map((t) => t.status)).toEqual(["succeeded", "succeeded", "running"]);
    const final = await h.wake(await h.finish(h.runFor("c")));
    expect(final?.conclusion).toBe("success");
  });

  it("two App instances waking at once with the same event: one run of each attempt goes on, extras are cancelled", async () => {
    const h = (harness = await SessionHarness.create({
      tasks: {
        tasks: [
          { id: "a", prompt: "A" },
          { id: "b", prompt: "B", dependencies: ["a"] },
          { id: "c", prompt: "C", dependencies: ["a"] },
        ],
      },
    }));
    await h.start();
    const completed = await h.finish(h.runFor("a"));
    h.fake.takeWebhooks();
    // Two processes decide at once, each from the same record: both dispatch b and c (the
    // dispatch is the first write; nothing is claimed ahead of it).
    const instances = [createSessionRuntime(), createSessionRuntime()];
    await Promise.all(instances.map((runtime) => h.wake(completed, runtime)));
    expect(h.dispatchCount("b", 1)).toBe(2);
    expect(h.dispatchCount("c", 1)).toBe(2);
    // The runs' first events: the saved record names one run per attempt; the other is cancelled.
    for (const webhook of h.fake.takeWebhooks()) {
      await h.wake((webhook.payload as { workflow_run: WorkflowRunLike }).workflow_run);
    }
    const live = h.runs().filter((run) => run.status !== "completed");
    expect(live.map((run) => h.requestOf(run).taskId).sort()).toEqual(["b", "c"]);
    const cancelled = h.runs().filter((run) => run.conclusion === "cancelled");
    expect(cancelled.map((run) => h.requestOf(run).taskId).sort()).toEqual(["b", "c"]);
    // The session goes on with the runs it kept, as with one process.
    let final = null;
    for (const run of live) final = await h.wake(await h.finish(run));
    expect(final?.conclusion).toBe("success");
    expect(final?.tasks.map((t) => [t.id, t.status, t.attempts])).toEqual([
      ["a", "succeeded", 1],
      ["b", "succeeded", 1],
      ["c", "succeeded", 1],
    ]);
  });

  it("a record overwritten by a stale save heals from events and the sweep", async () => {
    const h = (harness = await SessionHarness.create({ tasks: chain }));
    await h.start();
    const summary = h.fake.state.checkRuns.get(Number(h.sessionId.split(":")[2]));
    const stale = { ...summary!.output };
    await h.wake(await h.finish(h.runFor("a")));
    expect(h.dispatchCount("b")).toBe(1);
    // Another replica, working from the old record, saves last: a "running", b never started.
    summary!.output = stale;
    h.restart();
    // b's completion proves attempt 1 was dispatched: it is taken up, and c starts.
    let status = await h.wake(await h.finish(h.runFor("b")));
    expect(status?.tasks.map((t) => t.status)).toEqual(["running", "succeeded", "running"]);
    expect(h.dispatchCount("b")).toBe(1);
    // a's completion was consumed by the lost save; the sweep reads a's run and sets it right.
    await sweepActiveSessions({
      client: h.client,
      repo: { owner: OWNER, repo: REPO },
      config: h.config,
      runtime: h.runtime,
    });
    status = await h.wake(await h.finish(h.runFor("c")));
    expect(status?.conclusion).toBe("success");
    expect(h.dispatchCount()).toBe(3);
  });
});
