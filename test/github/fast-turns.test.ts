import { afterEach, describe, expect, it } from "vitest";
import type { FakeWebhook, RequestRecord } from "../support/fake-github/start-fake-github.js";
import type { FakeWorkflowRun } from "../support/fake-github/state.js";
import {
  FULL_NAME,
  HARNESS_USER_AGENT,
  OWNER,
  REPO,
  ServerHarness,
  waitFor,
} from "./support/server-harness.js";

/**
 * Fast turns through the real server (issue 10): a webhook is answered before its work, the
 * dispatch of a task an event made ready is the first write after that event, a pass's
 * bookkeeping gives way to the event waiting behind it, and events that can tell the App
 * nothing new cost no request. Each test waits for requests or state, never for time.
 */

let harness: ServerHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const DISPATCH = "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";
const CHECK_RUN_CREATE = "POST /repos/{owner}/{repo}/check-runs";
const SUMMARY_UPDATE = "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}";
const COMMENT_EDIT = "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}";

/** The App's requests (not the harness playing the Action) from index `from` on. */
function appRequests(h: ServerHarness, from = 0): RequestRecord[] {
  return h.fake.requests.slice(from).filter((r) => !(r.userAgent ?? "").startsWith(HARNESS_USER_AGENT));
}

/** The App's writes from `from` on, as `route` (a dispatch as `dispatch <task>`). */
function appWrites(h: ServerHarness, from: number): string[] {
  return appRequests(h, from)
    .filter((r) => r.method !== "GET")
    .map((r) => {
      if (r.route !== DISPATCH) return r.route ?? r.path;
      const inputs = (r.requestBody as { inputs: { task_id: string } }).inputs;
      return `dispatch ${inputs.task_id}`;
    });
}

function completedWebhook(h: ServerHarness): FakeWebhook {
  const webhook = h.fake
    .takeWebhooks()
    .find((w) => (w.payload as { action?: string }).action === "completed");
  if (!webhook) throw new Error("the fake sent no workflow_run.completed");
  return webhook;
}

function runOf(h: ServerHarness, taskId: string): FakeWorkflowRun {
  const run = h.runs().find((r) => h.requestOf(r).taskId === taskId);
  if (!run) throw new Error(`no run of ${taskId}`);
  return run;
}

const CHAIN = {
  tasks: [
    { id: "a", prompt: "A" },
    { id: "b", prompt: "B", dependencies: ["a"] },
  ],
};

/** Two independent pairs: a → b and c → d. */
const PAIRS = {
  tasks: [
    { id: "a", prompt: "A", estimate_minutes: 9 },
    { id: "c", prompt: "C", estimate_minutes: 5 },
    { id: "b", prompt: "B", dependencies: ["a"] },
    { id: "d", prompt: "D", dependencies: ["c"] },
  ],
};

describe("fast turns through the real server", () => {
  it("answers /orchestrate while its work is still waiting on GitHub, then does the work", async () => {
    const h = (harness = await ServerHarness.create({ tasks: CHAIN }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer();
    // Every write the command makes (the 👀 reaction first) waits until released.
    const held = h.fake.hold((method) => method !== "GET");
    expect(await h.post(server, h.comment({ body: "/orchestrate" }))).toBe(200);
    await waitFor(() => held.held() > 0, "the command's first write to reach GitHub");
    expect(h.dispatched()).toEqual([]);
    held.release();
    await server.idle();
    expect(h.dispatched()).toEqual(["a#1"]);
    expect(h.summary().status).toBe("in_progress");
  });

  it("a completion event's first write is the dispatch of the task it made ready", async () => {
    const h = (harness = await ServerHarness.create({ tasks: CHAIN }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer();
    await h.deliver(server, h.comment({ body: "/orchestrate" }));
    await h.deliverAll(server);
    await h.finish(runOf(h, "a"));
    const from = h.fake.requests.length;
    expect(await h.deliver(server, completedWebhook(h))).toBe(200);
    const writes = appWrites(h, from);
    expect(writes[0]).toBe("dispatch b");
    // Then a's check run, the status comment and one save of the record; no ref is written per task.
    expect(writes).toEqual(["dispatch b", CHECK_RUN_CREATE, COMMENT_EDIT, SUMMARY_UPDATE]);
  });

  it("a pass's bookkeeping gives way to the event waiting behind it: its dispatch first, one save for both", async () => {
    const h = (harness = await ServerHarness.create({ tasks: PAIRS }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer();
    await h.deliver(server, h.comment({ body: "/orchestrate --parallel 2" }));
    await h.deliverAll(server);
    expect(h.dispatched().sort()).toEqual(["a#1", "c#1"]);
    const sessionId = `${OWNER}:${REPO}:${[...h.fake.state.checkRuns.values()].find((c) => c.name === "Orchestrator")?.id}`;

    // a's pass dispatches b, then its first bookkeeping write (a's check run) is held at GitHub.
    const held = h.fake.hold((method, path) => method === "POST" && path.endsWith("/check-runs"));
    await h.finish(runOf(h, "a"));
    const from = h.fake.requests.length;
    await h.post(server, completedWebhook(h));
    await waitFor(() => held.held() === 1, "a's check run to reach GitHub");
    // Meanwhile c finishes: its wake-up waits behind a's pass.
    await h.finish(runOf(h, "c"));
    await h.post(server, completedWebhook(h));
    await waitFor(() => server.service.runtime.pendingWakes.has(sessionId), "c's wake-up to wait");
    held.release();
    await server.idle();

    // a's pass wrote what was in flight and handed the rest over: d's dispatch went out before
    // c's check run, and one comment edit and one save of the record cover both passes.
    expect(appWrites(h, from)).toEqual([
      "dispatch b",
      CHECK_RUN_CREATE,
      "dispatch d",
      CHECK_RUN_CREATE,
      COMMENT_EDIT,
      SUMMARY_UPDATE,
    ]);
    const record = [...h.fake.state.checkRuns.values()].find((c) => c.name === "Orchestrator");
    expect(record?.output.title).toMatch(/2 running/);
    expect(h.dispatched().sort()).toEqual(["a#1", "b#1", "c#1", "d#1"]);
  });

  it("events that tell nothing new cost no request: the run it dispatched starting, a job after its run's own event", async () => {
    const h = (harness = await ServerHarness.create({ tasks: CHAIN }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer();
    await h.deliver(server, h.comment({ body: "/orchestrate" }));
    const run = runOf(h, "a");
    let from = h.fake.requests.length;
    h.fake.startRun(run.id);
    await h.deliverAll(server); // requested, in_progress
    expect(appRequests(h, from)).toEqual([]);

    await h.finish(run);
    await h.deliver(server, completedWebhook(h));
    expect(h.dispatched()).toEqual(["a#1", "b#1"]);
    from = h.fake.requests.length;
    // GitHub's job event for the same run, after the run's own: nothing to read.
    await h.deliver(server, h.jobCompleted(run));
    expect(appRequests(h, from)).toEqual([]);
  });

  it("a job event whose run's own event never comes: the run is read after the grace and the session goes on", async () => {
    const h = (harness = await ServerHarness.create({ tasks: CHAIN }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer({ appConfig: { jobEventGraceMs: 1 } });
    await h.deliver(server, h.comment({ body: "/orchestrate" }));
    const run = runOf(h, "a");
    await h.finish(run);
    h.fake.takeWebhooks(); // workflow_run.completed lost
    await h.deliver(server, h.jobCompleted(run));
    await waitFor(() => h.dispatched().includes("b#1"), "the job's run to be read and b dispatched");
    await server.idle();
    const reads = appRequests(h).filter((r) => r.route === "GET /repos/{owner}/{repo}/actions/runs/{run_id}");
    expect(reads).toHaveLength(1);
  });
});
