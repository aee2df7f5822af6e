import { afterEach, describe, expect, it } from "vitest";
import { FULL_NAME, ServerHarness, waitFor } from "./support/server-harness.js";

/** One task: with throttling on, Probot spaces writes a second apart, so every write costs a second here. */
const TASKS = { tasks: [{ id: "a", prompt: "Do a" }] };
const DISPATCH = "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";

let harness: ServerHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe("GitHub failing under the real server, with Probot's retry and throttling on", () => {
  it("5xx answers (one after the write was done) and secondary rate limits: still one dispatch per attempt", async () => {
    const h = (harness = await ServerHarness.create({ tasks: TASKS }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    // Probot's own Octokit: retries on 5xx, throttling (writes a second apart).
    const server = await h.startServer({ Octokit: undefined });
    const { faults } = h.fake;
    // The first dispatch is performed but its answer lost: a blind retry would start a second run.
    faults.add({ route: DISPATCH, kind: "server-error", afterEffect: true });
    faults.add({ route: "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", kind: "bad-gateway" });
    faults.add({ route: "GET /repos/{owner}/{repo}/check-runs/{check_run_id}", kind: "server-error" });
    // Probot does not retry secondary rate limits: the status comment and the session index
    // entry fail once; the session goes on and the next pass writes the comment.
    faults.add({
      route: "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
      kind: "secondary-rate-limit",
      retryAfterSeconds: 1,
    });
    faults.add({
      route: "POST /repos/{owner}/{repo}/git/refs",
      kind: "secondary-rate-limit",
      retryAfterSeconds: 1,
    });

    const delivered = await h.deliver(server, h.comment({ body: "/orchestrate" }));
    expect([200, 202]).toContain(delivered); // 202: GitHub's 10 s are up, the work goes on
    await waitFor(() => h.runs().length === 1, "the first dispatch");
    await server.service.runtime.queue.idle();

    for (let step = 0; step < 10 && h.summary().status !== "completed"; step++) {
      for (const run of h.openRuns()) await h.finish(run);
      for (const webhook of h.fake.takeWebhooks()) await h.deliver(server, webhook);
      await server.service.runtime.queue.idle();
    }

    expect(h.summary()).toMatchObject({ status: "completed", conclusion: "success" });
    expect(h.dispatched()).toEqual(["a#1"]);
    // Each fault was met, and the ones Probot retries were retried (same request twice).
    const faulted = h.fake.requests.filter((r) => r.fault !== undefined).map((r) => `${r.status} ${r.route}`);
    expect(faulted).toHaveLength(5);
    expect(faults.pending()).toEqual([]);
    const comments = [...h.fake.state.comments.values()].filter((c) => c.viaAppId !== undefined);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("Succeeded: 1/1 succeeded");
  });
});
