import { afterEach, describe, expect, it } from "vitest";
import { withRetryPolicy } from "../../src/github/retry-policy.js";
import { FULL_NAME, ServerHarness, waitFor } from "./support/server-harness.js";

/** One task: with throttling on, Probot spaces writes a second apart, so every write costs a second here. */
const TASKS = { tasks: [{ id: "a", prompt: "Do a" }] };
const DISPATCH = "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";

let harness: ServerHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe("GitHub failing under the real server, with the App's retry policy and Probot's throttling on", () => {
  it("5xx answers (one after the write was done) and secondary rate limits: still one dispatch per attempt", async () => {
    const h = (harness = await ServerHarness.create({ tasks: TASKS }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    // The server's own Octokit (Probot's, with the App's retry policy): retries on 5xx,
    // throttling (writes a second apart), rate limits waited out — a Retry-After second is a
    // millisecond here.
    const server = await h.startServer({ Octokit: withRetryPolicy(undefined, { msPerSecond: 1 }) });
    const { faults } = h.fake;
    // The first dispatch is performed but its answer lost: a blind retry would start a second run.
    faults.add({ route: DISPATCH, kind: "server-error", afterEffect: true });
    faults.add({ route: "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", kind: "bad-gateway" });
    faults.add({ route: "GET /repos/{owner}/{repo}/check-runs/{check_run_id}", kind: "server-error" });
    // Secondary rate limits: GitHub did nothing, so the App sends the request again after the
    // Retry-After (Probot's server alone would give up on them: no comment, no index entry).
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
    // The index entry was made despite its rate limit (the sweep finds the session).
    const refs = [...h.fake.state.requireRepo(FULL_NAME).refs.keys()];
    expect(refs.filter((ref) => ref.startsWith("refs/orchestrator/active/"))).toHaveLength(1);

    for (let step = 0; step < 10 && h.summary().status !== "completed"; step++) {
      for (const run of h.openRuns()) await h.finish(run);
      for (const webhook of h.fake.takeWebhooks()) await h.deliver(server, webhook);
      await server.service.runtime.queue.idle();
    }

    expect(h.summary()).toMatchObject({ status: "completed", conclusion: "success" });
    expect(h.dispatched()).toEqual(["a#1"]);
    // Each fault was met, and the ones that are safe to repeat were repeated.
    const faulted = h.fake.requests.filter((r) => r.fault !== undefined).map((r) => `${r.status} ${r.route}`);
    expect(faulted).toHaveLength(5);
    expect(faults.pending()).toEqual([]);
    const comments = [...h.fake.state.comments.values()].filter((c) => c.viaAppId !== undefined);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("Succeeded: 1/1 succeeded");
  });
});
