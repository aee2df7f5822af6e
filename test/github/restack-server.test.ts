import { afterEach, describe, expect, it } from "vitest";
import { parseRunName } from "../../src/core/dispatch-inputs.js";
import { enableStacks, stacksIn } from "../support/fake-github/routes/stacks.js";
import { FULL_NAME, OWNER, REPO, ServerHarness } from "./support/server-harness.js";
import { examplePayload, forRepository } from "./support/webhook-examples.js";

/**
 * Restacking through the real server and the OpenAPI-checked fake GitHub: `b` is built on `a`'s
 * branch (its pull request targets it); when `a`'s pull request is merged, `b`'s branch is
 * restacked onto main by a restack run (mode "restack", no agent) and its pull request retargeted.
 */
const STACK = {
  tasks: [
    { id: "a", prompt: "Lay the foundation" },
    { id: "b", prompt: "Build on it", dependencies: ["a"] },
  ],
};

let harness: ServerHarness | undefined;
afterEach(async () => {
  if (harness) expect(harness.violations()).toEqual([]);
  await harness?.close();
  harness = undefined;
});

/** The `pull_request.closed` webhook of a merged pull request of the fake (a recorded payload, edited). */
function mergedWebhook(h: ServerHarness, number: number): { id: string; name: string; payload: object } {
  const pull = h.fake.state.pull(FULL_NAME, number);
  if (!pull) throw new Error(`no pull request #${number}`);
  const repo = h.fake.state.requireRepo(FULL_NAME);
  pull.state = "closed";
  pull.merged = true;
  pull.mergedAt = h.fake.state.timestamp();
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
    merged: true,
    merged_at: pull.mergedAt,
  });
  payload.pull_request.head.ref = pull.head;
  payload.pull_request.head.sha = repo.refs.get(`refs/heads/${pull.head}`);
  payload.pull_request.base.ref = pull.base;
  return { id: `pull-${number}-merged`, name: "pull_request", payload };
}

/** a and b run and succeed; the session ends. Returns the pull requests of a and b. */
async function stackedSession(h: ServerHarness) {
  h.fake.state.setPermission(FULL_NAME, "octocat", "write");
  const server = await h.startServer();
  await h.deliver(server, h.comment({ body: "/orchestrate" }));
  for (let wave = 0; wave < 2; wave++) {
    for (const run of h.openRuns()) await h.finish(run);
    await h.deliverAll(server);
  }
  expect(h.dispatched()).toEqual(["a#1", "b#1"]);
  expect(h.summary()).toMatchObject({ status: "completed", conclusion: "success" });
  const pulls = [...h.fake.state.pulls.values()];
  const pullA = pulls.find((pull) => pull.head === "orchestrator/a");
  const pullB = pulls.find((pull) => pull.head === "orchestrator/b");
  if (!pullA || !pullB) throw new Error("a and b opened no pull requests");
  expect(pullB.base).toBe("orchestrator/a");
  return { server, pullA, pullB };
}

/** The latest check run of a task, as the Checks tab shows it. */
function taskCheck(h: ServerHarness, taskId: string) {
  const checks = [...h.fake.state.checkRuns.values()].filter(
    (check) => check.name === `Orchestrator: ${taskId}`,
  );
  return checks.sort((x, y) => x.id - y.id).at(-1);
}

describe("restacking dependents when a dependency's pull request is merged", () => {
  it("dispatches a restack run (mode restack) for the dependent and retargets its pull request to main", async () => {
    const h = (harness = await ServerHarness.create({ tasks: STACK }));
    const { server, pullA, pullB } = await stackedSession(h);
    const headOfA = h.fake.state.requireRepo(FULL_NAME).refs.get("refs/heads/orchestrator/a");

    expect(await h.deliver(server, mergedWebhook(h, pullA.number))).toBe(200);

    const restack = h.runs().at(-1);
    if (!restack) throw new Error("no run");
    expect(h.runs()).toHaveLength(3);
    expect(restack.displayTitle).toMatch(/^orchestrator b #1 \[acme:widgets:\d+\] restack$/);
    expect(parseRunName(restack.displayTitle)?.mode).toBe("restack");
    expect(restack.inputs).toMatchObject({
      mode: "restack",
      task_id: "b",
      attempt: "1",
      branch: "orchestrator/b",
      pr_base: "main",
      dependency_branches: `orchestrator/a:${headOfA}`,
    });
    // No agent's inputs: no prompt, no tasks file to read.
    expect(restack.inputs.prompt).toBeUndefined();
    expect(restack.inputs.tasks_ref).toBeUndefined();
    // b's pull request now targets main; no branch was deleted.
    expect(h.fake.state.pull(FULL_NAME, pullB.number)?.base).toBe("main");
    expect(
      h.fake.requests.filter((r) => r.method === "DELETE" && !r.path.includes("orchestrator%2Factive")),
    ).toEqual([]);
    expect(h.fake.state.requireRepo(FULL_NAME).refs.has("refs/heads/orchestrator/a")).toBe(true);

    // The same merge delivered again asks for nothing new.
    const again = mergedWebhook(h, pullA.number);
    await h.deliver(server, { ...again, id: "pull-again" });
    expect(h.runs()).toHaveLength(3);

    // The restack run succeeds: it is no attempt of b (nothing cancelled, b's check untouched).
    const checkBefore = taskCheck(h, "b");
    await h.deliverAll(server);
    h.fake.startRun(restack.id);
    h.fake.completeRun(restack.id, { conclusion: "success" });
    await h.deliverAll(server);
    expect(h.fake.requests.filter((r) => r.route?.endsWith("/cancel"))).toEqual([]);
    expect(taskCheck(h, "b")).toEqual(checkBefore);
    expect(h.runs()).toHaveLength(3);
  });

  it("a restack conflict shows on the dependent's check run: the files (inert) and how to fix it", async () => {
    const h = (harness = await ServerHarness.create({ tasks: STACK }));
    const { server, pullA } = await stackedSession(h);
    await h.deliver(server, mergedWebhook(h, pullA.number));
    const restack = h.runs().at(-1);
    if (!restack) throw new Error("no run");
    const shownBefore = taskCheck(h, "b");
    expect(shownBefore).toMatchObject({ conclusion: "success" });
    h.fake.startRun(restack.id);
    // As the Action reports it (its job's failure annotation); the file names are the agent's.
    h.fake.completeRun(restack.id, {
      conclusion: "failure",
      failureMessage:
        "Task b: Restack conflict: rebasing orchestrator/b onto main conflicts in src/`x`.ts, <img src=x>.md. " +
        "Nothing was pushed: the branch is as it was.",
    });
    await h.deliverAll(server);

    const check = taskCheck(h, "b");
    // b's own check run (the one the task's success wrote) now shows the conflict.
    expect(check?.id).toBe(shownBefore?.id);
    expect(check).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(check?.output.title).toBe(
      "Restack conflict: rebasing orchestrator/b onto main conflicts in src/`x`.ts, <img src=x>.md. Nothing was pushed: the branch is as it was.",
    );
    const summary = check?.output.summary ?? "";
    expect(summary).toContain("**Restack conflict**");
    expect(summary).toContain("after ` a's pull request was merged `");
    // The reason is shown as a code span: the file names cannot become Markdown or HTML.
    expect(summary).toContain(
      "**Reason:** `` rebasing orchestrator/b onto main conflicts in src/`x`.ts, <img src=x>.md.",
    );
    expect(summary).toContain("rebase the branch by hand");
    // b is still a succeeded task: the restack is not an attempt.
    expect(h.dispatched()).toEqual(["a#1", "b#1", "b#1"]);
    expect(h.summary()).toMatchObject({ status: "completed", conclusion: "success" });
  });

  it("a merged pull request the session did not record for the task restacks nothing", async () => {
    const h = (harness = await ServerHarness.create({ tasks: STACK }));
    const { server, pullA, pullB } = await stackedSession(h);
    // Someone else's pull request carrying a copy of a's result block.
    const { data: copy } = await new (await import("@octokit/rest")).Octokit({
      baseUrl: h.fake.url,
      auth: h.fake.installationToken(FULL_NAME),
    }).request("POST /repos/{owner}/{repo}/pulls", {
      owner: OWNER,
      repo: REPO,
      head: "orchestrator/b",
      base: "main",
      title: "copy",
      body: pullA.body ?? "",
    });
    await h.deliver(server, mergedWebhook(h, copy.number));
    expect(h.runs()).toHaveLength(2);
    expect(h.fake.state.pull(FULL_NAME, pullB.number)?.base).toBe("orchestrator/a");
  });
});

describe("a restack run whose end was missed", () => {
  it("is read by the next sweep of the (still active) session", async () => {
    const tasks = { tasks: [...STACK.tasks, { id: "x", prompt: "Something long beside them" }] };
    const h = (harness = await ServerHarness.create({ tasks }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer();
    await h.deliver(server, h.comment({ body: "/orchestrate" }));
    const runOf = (taskId: string) => h.openRuns().find((run) => h.requestOf(run).taskId === taskId);
    await h.finish(runOf("a")!);
    await h.deliverAll(server);
    await h.finish(runOf("b")!);
    await h.deliverAll(server);
    expect(h.summary()).toMatchObject({ status: "in_progress" }); // x still runs
    const pullA = [...h.fake.state.pulls.values()].find((pull) => pull.head === "orchestrator/a");
    await h.deliver(server, mergedWebhook(h, pullA?.number ?? 0));
    const restack = h.runs().at(-1);
    expect(restack?.inputs.mode).toBe("restack");

    h.fake.startRun(restack?.id ?? 0);
    h.fake.completeRun(restack?.id ?? 0, {
      conclusion: "failure",
      failureMessage: "Task b: Restack conflict: rebasing orchestrator/b onto main conflicts in a.txt.",
    });
    h.fake.takeWebhooks(); // lost: never delivered
    expect(taskCheck(h, "b")).toMatchObject({ conclusion: "success" });

    await server.sweep();
    expect(taskCheck(h, "b")).toMatchObject({
      conclusion: "failure",
      output: { title: "Restack conflict: rebasing orchestrator/b onto main conflicts in a.txt." },
    });
  });
});

describe("a chain of stacked tasks", () => {
  it("once the dependent is rebased, the task built on it follows, from the dependent's old tip", async () => {
    const chain = {
      tasks: [...STACK.tasks, { id: "c", prompt: "Top it off", dependencies: ["b"] }],
    };
    const h = (harness = await ServerHarness.create({ tasks: chain }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer();
    await h.deliver(server, h.comment({ body: "/orchestrate" }));
    for (let wave = 0; wave < 3; wave++) {
      for (const run of h.openRuns()) await h.finish(run);
      await h.deliverAll(server);
    }
    expect(h.dispatched()).toEqual(["a#1", "b#1", "c#1"]);
    const pullA = [...h.fake.state.pulls.values()].find((pull) => pull.head === "orchestrator/a");
    const tipOfB = h.fake.state.requireRepo(FULL_NAME).refs.get("refs/heads/orchestrator/b");

    await h.deliver(server, mergedWebhook(h, pullA?.number ?? 0));
    const restackB = h.runs().at(-1);
    expect(restackB?.inputs).toMatchObject({ mode: "restack", task_id: "b", pr_base: "main" });
    // c waits until b is rebased: its base is b's branch, which has not moved yet.
    expect(h.runs()).toHaveLength(4);

    // The restack run rebased b (as the Action does: b's branch moves).
    h.fake.state.commitFiles({ repo: FULL_NAME, branch: "orchestrator/b", files: { "rebased.txt": "b\n" } });
    h.fake.startRun(restackB?.id ?? 0);
    h.fake.completeRun(restackB?.id ?? 0, { conclusion: "success" });
    await h.deliverAll(server);

    const restackC = h.runs().at(-1);
    expect(h.runs()).toHaveLength(5);
    expect(restackC?.displayTitle).toMatch(/^orchestrator c #1 \[acme:widgets:\d+\] restack$/);
    expect(restackC?.inputs).toMatchObject({
      mode: "restack",
      task_id: "c",
      branch: "orchestrator/c",
      pr_base: "orchestrator/b",
      dependency_branches: `orchestrator/b:${tipOfB}`,
    });
  });
});

describe("GitHub's stacked pull requests", () => {
  it("registers the dependent's pull request on top of its dependency's where the API answers", async () => {
    const h = (harness = await ServerHarness.create({ tasks: STACK }));
    enableStacks(h.fake.state, FULL_NAME);
    const { pullA, pullB } = await stackedSession(h);
    expect(stacksIn(h.fake.state, FULL_NAME)).toEqual([[pullA.number, pullB.number]]);
  });

  it("goes on without stacks where the API answers 404, asking once", async () => {
    const h = (harness = await ServerHarness.create({ tasks: STACK }));
    const { server, pullA, pullB } = await stackedSession(h);
    const asked = h.fake.requests.filter((r) => r.route?.includes("/stacks"));
    expect(asked.map((r) => `${r.method} ${r.status}`)).toEqual(["GET 404"]);
    // Restacking does not depend on it.
    await h.deliver(server, mergedWebhook(h, pullA.number));
    expect(h.fake.state.pull(FULL_NAME, pullB.number)?.base).toBe("main");
  });
});
