import { afterEach, describe, expect, it } from "vitest";
import { FULL_NAME, OWNER, REPO, ServerHarness } from "./support/server-harness.js";
import { examplePayload, forRepository } from "./support/webhook-examples.js";

/** a → (b, c) → d: two waves of parallel work and a join. */
const DIAMOND = {
  tasks: [
    { id: "a", prompt: "Lay the foundation" },
    { id: "b", prompt: "Build the left wing", dependencies: ["a"] },
    { id: "c", prompt: "Build the right wing", dependencies: ["a"] },
    { id: "d", prompt: "Put the roof on", dependencies: ["b", "c"] },
  ],
};

const MERGED_BASE = {
  tasks: [
    { id: "schema", prompt: "Design the schema" },
    { id: "migrate", prompt: "Write the migration", dependencies: ["schema"], base: "merged" },
  ],
};

/** The `pull_request.closed` webhook GitHub sends for a pull request of the fake (a recorded payload, edited). */
function pullRequestClosed(h: ServerHarness, number: number): { id: string; name: string; payload: object } {
  const pull = h.fake.state.pull(FULL_NAME, number);
  if (!pull) throw new Error(`no pull request #${number}`);
  const repo = h.fake.state.requireRepo(FULL_NAME);
  const payload = forRepository(examplePayload("pull_request", "closed"), {
    owner: OWNER,
    repo: REPO,
    installationId: repo.installationId,
    repositoryId: repo.id,
  });
  payload.number = number;
  Object.assign(payload.pull_request, {
    id: pull.id,
    number,
    body: pull.body,
    state: "closed",
    merged: pull.merged,
    merged_at: pull.mergedAt,
  });
  payload.pull_request.head.ref = pull.head;
  payload.pull_request.base.ref = pull.base;
  return { id: `pull-${number}-${pull.merged ? "merged" : "closed"}`, name: "pull_request", payload };
}

let harness: ServerHarness | undefined;
afterEach(async () => {
  if (harness) expect(harness.violations()).toEqual([]);
  await harness?.close();
  harness = undefined;
});

/** Completes every open run (as the Action and GitHub would) and delivers the resulting webhooks. */
async function finishOpenRuns(
  h: ServerHarness,
  deliverTo: () => Parameters<ServerHarness["deliverAll"]>[0],
): Promise<void> {
  for (const run of h.openRuns()) await h.finish(run);
  await h.deliverAll(deliverTo());
}

describe("a whole session through the real server", () => {
  it("starts from a signed comment and runs to the end on signed workflow_run webhooks", async () => {
    const h = (harness = await ServerHarness.create({ tasks: DIAMOND }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer();

    const comment = h.comment({ body: "/orchestrate" });
    expect(await h.deliver(server, comment)).toBe(200);
    expect(h.dispatched()).toEqual(["a#1"]);
    const reactions = [...h.fake.state.reactions.values()].map((r) => `${r.user.login}:${r.content}`);
    expect(reactions).toEqual([`${h.fake.state.app.bot.login}:eyes`]);
    await h.deliverAll(server); // workflow_run.requested: harmless

    await finishOpenRuns(h, () => server);
    expect(h.dispatched()).toEqual(["a#1", "b#1", "c#1"]);
    await finishOpenRuns(h, () => server);
    expect(h.dispatched()).toEqual(["a#1", "b#1", "c#1", "d#1"]);
    await finishOpenRuns(h, () => server);

    expect(h.summary()).toMatchObject({ status: "completed", conclusion: "success" });
    const issueNumber = (comment.payload as { issue: { number: number } }).issue.number;
    const ours = [...h.fake.state.comments.values()].filter(
      (c) => c.issueNumber === issueNumber && c.viaAppId,
    );
    expect(ours).toHaveLength(1); // one status comment, edited in place
    expect(ours[0]?.body).toContain("Succeeded: 4/4 succeeded");
    expect(ours[0]?.body).toMatch(/<!-- orchestrator:session-id acme:widgets:\d+ -->$/);

    // `/orchestrate status` finds the session from that comment and refreshes it; nothing new is dispatched.
    expect(await h.deliver(server, h.comment({ body: "/orchestrate status", issueNumber }))).toBe(200);
    expect(h.dispatched()).toHaveLength(4);
    expect(
      [...h.fake.state.reactions.values()].filter((r) => r.content === "eyes").map((r) => r.commentId),
    ).toHaveLength(2);
  });

  it("`/orchestrate retry failed` on the issue retries the failed task found through the status comment", async () => {
    const h = (harness = await ServerHarness.create({ tasks: DIAMOND }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "admin");
    const server = await h.startServer();
    const start = h.comment({ body: "/orchestrate" });
    await h.deliver(server, start);
    const issueNumber = (start.payload as { issue: { number: number } }).issue.number;
    const [first] = h.openRuns();
    await h.finish(first!, "failure");
    await h.deliverAll(server);
    expect(h.summary()).toMatchObject({ status: "completed", conclusion: "failure" });

    expect(await h.deliver(server, h.comment({ body: "/orchestrate retry failed", issueNumber }))).toBe(200);
    expect(h.dispatched()).toEqual(["a#1", "a#2"]);
    await finishOpenRuns(h, () => server);
    await finishOpenRuns(h, () => server);
    await finishOpenRuns(h, () => server);
    expect(h.summary()).toMatchObject({ status: "completed", conclusion: "success" });
  });

  it('a signed pull_request.closed webhook for a merged task PR starts the task waiting for it (base "merged")', async () => {
    const h = (harness = await ServerHarness.create({ tasks: MERGED_BASE }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer();
    await h.deliver(server, h.comment({ body: "/orchestrate" }));
    await finishOpenRuns(h, () => server);
    expect(h.dispatched()).toEqual(["schema#1"]);
    const pull = [...h.fake.state.pulls.values()].find((p) => p.head.endsWith("schema"));
    if (!pull) throw new Error("the schema task opened no pull request");

    // Closed without merging: nothing starts.
    pull.state = "closed";
    expect(await h.deliver(server, pullRequestClosed(h, pull.number))).toBe(200);
    expect(h.dispatched()).toEqual(["schema#1"]);

    pull.merged = true;
    pull.mergedAt = new Date().toISOString();
    expect(await h.deliver(server, pullRequestClosed(h, pull.number))).toBe(200);
    expect(h.dispatched()).toEqual(["schema#1", "migrate#1"]);
    await finishOpenRuns(h, () => server);
    expect(h.summary()).toMatchObject({ status: "completed", conclusion: "success" });
  });

  it("carries on after a restart: a new server instance, no memory shared with the first", async () => {
    const h = (harness = await ServerHarness.create({ tasks: DIAMOND }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const first = await h.startServer();
    await h.deliver(first, h.comment({ body: "/orchestrate --parallel 1" }));
    await h.deliverAll(first);
    await finishOpenRuns(h, () => first);
    expect(h.dispatched()).toEqual(["a#1", "b#1"]);
    await first.close();

    // The completion of b happens while no server runs; the webhook reaches the new one.
    const second = await h.startServer();
    expect(second.service.runtime).not.toBe(first.service.runtime);
    await finishOpenRuns(h, () => second);
    expect(h.dispatched()).toEqual(["a#1", "b#1", "c#1"]);
    await finishOpenRuns(h, () => second);
    await finishOpenRuns(h, () => second);
    expect(h.summary()).toMatchObject({ status: "completed", conclusion: "success" });
    expect(h.dispatched()).toEqual(["a#1", "b#1", "c#1", "d#1"]);
  });

  it("picks up a completion whose webhook was lost, on the next sweep", async () => {
    const h = (harness = await ServerHarness.create({ tasks: DIAMOND }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer();
    await h.deliver(server, h.comment({ body: "/orchestrate" }));
    for (const run of h.openRuns()) await h.finish(run);
    h.fake.takeWebhooks(); // lost: never delivered

    const report = await server.sweep();
    expect(report).toMatchObject({ repositories: 1, sessions: 1, woken: 1 });
    expect(h.dispatched()).toEqual(["a#1", "b#1", "c#1"]);
  });

  it("without ORCHESTRATOR_SWEEP_REPOS, the sweep finds repositories through the App's installations", async () => {
    const h = (harness = await ServerHarness.create({ tasks: DIAMOND }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    h.fake.state.addRepo({ fullName: "acme/gadgets" });
    h.fake.state.addRepo({ fullName: "other-org/tools" });
    const server = await h.startServer({ env: { ORCHESTRATOR_SWEEP_REPOS: "" } });
    await h.deliver(server, h.comment({ body: "/orchestrate" }));
    for (const run of h.openRuns()) await h.finish(run);
    h.fake.takeWebhooks(); // lost: never delivered

    const report = await server.sweep();
    expect(report).toMatchObject({ repositories: 3, sessions: 1, woken: 1, warnings: [] });
    expect(h.dispatched()).toEqual(["a#1", "b#1", "c#1"]);
    const listed = h.fake.requests.filter((r) => r.route === "GET /installation/repositories");
    expect(listed.map((r) => `${r.auth} ${r.status}`)).toEqual(["installation 200", "installation 200"]);
  });

  it("two servers receiving the same deliveries: one run of each attempt goes on, extras are cancelled", async () => {
    const h = (harness = await ServerHarness.create({ tasks: DIAMOND }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const servers = [await h.startServer(), await h.startServer()];
    const comment = h.comment({ body: "/orchestrate" });
    const statuses = await Promise.all(servers.map((server) => h.deliver(server, comment)));
    expect(statuses).toEqual([200, 200]);
    // The 👀 reaction claims the command: one session, one dispatch.
    expect(h.dispatched()).toEqual(["a#1"]);

    for (let wave = 0; wave < 3; wave++) {
      // The runs' first events come seconds after their dispatch, long before they finish.
      await h.deliverAll(servers);
      await finishOpenRuns(h, () => servers);
    }

    expect(h.summary()).toMatchObject({ status: "completed", conclusion: "success" });
    // Both servers may dispatch what one event made ready; the record names one run per
    // attempt, and every other run of it was cancelled before it finished.
    const kept = h.runs().filter((run) => run.conclusion !== "cancelled");
    expect(kept.map((run) => `${h.requestOf(run).taskId}#${h.requestOf(run).attempt}`).sort()).toEqual([
      "a#1",
      "b#1",
      "c#1",
      "d#1",
    ]);
    expect(kept.every((run) => run.conclusion === "success")).toBe(true);
  });
});
