import { afterEach, describe, expect, it } from "vitest";
import { SessionHarness } from "../../support/simulated-session.js";

/**
 * A pass that GitHub fails at its first read (the record's check run) must not drop the
 * wake-ups batched into it: the pass is tried again, and when every try failed the runs it
 * carried go to the session's next pass. The App's client here has no retries of its own, so
 * each fault reaches the pass.
 */

const READ_RECORD = "GET /repos/{owner}/{repo}/check-runs/{check_run_id}";
const pair = {
  tasks: [
    { id: "a", prompt: "A" },
    { id: "b", prompt: "B" },
  ],
};

let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe("wake-ups of a pass that GitHub failed", () => {
  it("a fault at the first read: the pass is tried again and takes the run in", async () => {
    const h = (harness = await SessionHarness.create({ tasks: pair }));
    await h.start({ parallel: 2 });
    h.fake.faults.add({ route: READ_RECORD, kind: "bad-gateway", times: 2 });
    const status = await h.wake(await h.finish(h.runFor("a")));
    expect(status?.tasks.find((t) => t.id === "a")?.status).toBe("succeeded");
    expect(h.fake.faults.pending()).toEqual([]);
  });

  it("every try failed: the batched completions are kept for the next pass, none is lost", async () => {
    const h = (harness = await SessionHarness.create({
      tasks: pair,
      config: { passRetries: { attempts: 2, delayMs: 0 } },
    }));
    await h.start({ parallel: 2 });
    const runA = await h.finish(h.runFor("a"));
    const runB = await h.finish(h.runFor("b"));
    h.fake.faults.add({ route: READ_RECORD, kind: "secondary-rate-limit", retryAfterSeconds: 1, times: 2 });
    // Two webhooks at once: the second joins the first's pass; GitHub fails that pass twice.
    const woken = await Promise.allSettled([h.wake(runA), h.wake(runB)]);
    expect(woken.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    // The next pass, prompted by nothing new (a sweep, another event), ends both tasks.
    const status = await h.wake();
    expect(status).toMatchObject({ state: "completed", conclusion: "success" });
    expect(status?.tasks.map((t) => t.status)).toEqual(["succeeded", "succeeded"]);
  });
});
