import { afterEach, describe, expect, it } from "vitest";
import { decodeSessionRecord } from "../../../src/github/sessions/session-record.js";
import { FULL_NAME, SessionHarness } from "../../support/simulated-session.js";

const diamond = {
  tasks: [
    { id: "schema", prompt: "Design the schema", estimate_minutes: 5 },
    {
      id: "api",
      name: "Build the API",
      prompt: "Build the API",
      dependencies: ["schema"],
      estimate_minutes: 10,
    },
    { id: "ui", prompt: "Build the UI", dependencies: ["schema"], estimate_minutes: 5 },
    { id: "e2e", prompt: "End-to-end tests", dependencies: ["api", "ui"] },
    { id: "docs", prompt: "Write docs" },
  ],
};

let harness: SessionHarness | undefined;
afterEach(async () => {
  if (harness) expect(harness.violations()).toEqual([]);
  await harness?.close();
  harness = undefined;
});

function summaryCheck(h: SessionHarness) {
  const [summary] = h.checkRuns("Orchestrator");
  if (!summary) throw new Error("no summary check run");
  return { ...summary, record: decodeSessionRecord(h.fake.state.checkRuns.get(summary.id)?.output.text) };
}

describe("a whole session on the fake GitHub", () => {
  it("dispatches ready tasks, bases dependents on their dependencies' branches, and concludes", async () => {
    const h = (harness = await SessionHarness.create({ tasks: diamond }));
    const issue = h.fake.state.addIssue({ repo: FULL_NAME, title: "Build it" });
    const started = await h.start(
      { parallel: 3 },
      { kind: "comment", actor: "octocat", issueNumber: issue.number, commentId: 1 },
    );
    expect(started.ok).toBe(true);
    const sha = h.fake.state.defaultHead(h.fake.state.requireRepo(FULL_NAME)).sha;

    // Critical path first: schema (5 + 10 + 1) before docs (1).
    expect(h.openRuns().map((r) => r.request.taskId)).toEqual(["schema", "docs"]);
    const schemaRun = h.runFor("schema");
    expect(schemaRun.displayTitle).toBe(`orchestrator schema #1 [${h.sessionId}]`);
    expect(schemaRun.inputs).toMatchObject({
      session_id: h.sessionId,
      task_id: "schema",
      attempt: "1",
      tasks_ref: sha,
      tasks_file: "tasks/tasks.json",
      branch: "orchestrator/schema",
      base_branch: "main",
      dependency_branches: "",
      pr_base: "main",
    });
    // The session is in the active index; no ref is written per task.
    const refs = [...h.fake.state.requireRepo(FULL_NAME).refs.keys()];
    const checkRunId = h.sessionId.split(":")[2];
    expect(refs.filter((ref) => ref.startsWith("refs/orchestrator/"))).toEqual([
      `refs/orchestrator/active/${checkRunId}`,
    ]);

    await h.wake(await h.finish(schemaRun, { costUsd: 0.5 }));
    expect(h.openRuns().map((r) => r.request.taskId)).toEqual(["docs", "api", "ui"]);
    // One dependency: start from its branch and stack the PR on it.
    expect(h.runFor("api").inputs).toMatchObject({
      dependency_branches: "orchestrator/schema",
      pr_base: "orchestrator/schema",
      base_strategy: "dependencies",
    });

    await h.wake(await h.finish(h.runFor("docs")));
    await h.wake(await h.finish(h.runFor("ui")));
    expect(h.dispatchCount("e2e")).toBe(0);
    await h.wake(await h.finish(h.runFor("api"), { costUsd: 1 }));
    // Several dependencies: all their branches are merged; the PR targets the base branch.
    expect(h.runFor("e2e").inputs).toMatchObject({
      dependency_branches: "orchestrator/api orchestrator/ui",
      pr_base: "main",
    });
    const final = await h.wake(await h.finish(h.runFor("e2e")));

    expect(final?.state).toBe("completed");
    expect(final?.conclusion).toBe("success");
    expect(final?.summary).toBe("5 of 5 tasks succeeded");
    expect(final?.totals).toMatchObject({ tasks: 5, succeeded: 5, costUsd: 2.25 });
    expect(final?.tasks.find((t) => t.id === "api")).toMatchObject({
      status: "succeeded",
      costUsd: 1,
      prNumber: expect.any(Number),
    });

    const summary = summaryCheck(h);
    expect(summary.conclusion).toBe("success");
    expect(summary.title).toBe("Succeeded: 5/5 succeeded");
    expect(summary.summary).toContain("| `api` ` Build the API ` | [✅ succeeded](http");
    expect(summary.summary).toContain("cost $2.25");
    expect(summary.summary).toMatch(/\[#\d+\]\(http/);
    expect(summary.actions).toEqual([]);
    expect(summary.record?.outcome?.conclusion).toBe("success");

    const taskChecks = h.checkRuns().filter((c) => c.name.startsWith("Orchestrator: "));
    expect(taskChecks.map((c) => [c.name, c.conclusion]).sort()).toEqual([
      ["Orchestrator: api", "success"],
      ["Orchestrator: docs", "success"],
      ["Orchestrator: e2e", "success"],
      ["Orchestrator: schema", "success"],
      ["Orchestrator: ui", "success"],
    ]);
    const apiCheck = taskChecks.find((c) => c.name === "Orchestrator: api");
    expect(apiCheck?.detailsUrl).toBe(`${h.fake.origin}/${FULL_NAME}/actions/runs/${h.runFor("api").id}`);
    expect(apiCheck?.externalId).toBe(`${h.sessionId}|api|1`);
    expect(apiCheck?.summary).toContain(
      // Branch names are shown inert (a code span whose fence nothing inside can close).
      "from ` orchestrator/schema `; pull request into ` orchestrator/schema `",
    );
    expect(apiCheck?.title).toMatch(/^Succeeded · PR #\d+ · \$1\.00/);

    // Ended: out of the active index; one status comment, edited in place, showing the end.
    expect([...h.fake.state.requireRepo(FULL_NAME).refs.keys()]).not.toContain(
      `refs/orchestrator/active/${checkRunId}`,
    );
    const comments = [...h.fake.state.comments.values()].filter((c) => c.issueNumber === issue.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("Succeeded: 5/5 succeeded");
    expect(h.dispatchCount()).toBe(5);
  });

  it("without a result block, a failure's reason is the failed job's annotation", async () => {
    const h = (harness = await SessionHarness.create({
      tasks: { tasks: [{ id: "a", prompt: "A" }] },
    }));
    await h.start({});
    const run = h.runFor("a");
    // The Action failed before it could open a pull request (e.g. a bad API key).
    const message = "Task a: Claude Code exited with code 1: Invalid API key";
    const status = await h.wake(await h.finish(run, { conclusion: "failure", failureMessage: message }));

    expect(h.fake.state.pulls.size).toBe(0);
    const reason = `${message} (${h.fake.origin}/${FULL_NAME}/actions/runs/${run.id})`;
    expect(status).toMatchObject({ state: "completed", conclusion: "failure" });
    expect(status?.tasks.find((t) => t.id === "a")).toMatchObject({ status: "failed", reason });
    const [check] = h.checkRuns("Orchestrator: a");
    expect(check).toMatchObject({ conclusion: "failure", actions: ["retry"] });
    expect(check?.title).toContain(message);
    expect(check?.summary).toContain(message);
  });

  it("skips what depends on a failure, goes on with the rest, and a retry un-skips them", async () => {
    const h = (harness = await SessionHarness.create({
      tasks: {
        tasks: [
          { id: "a", prompt: "A", estimate_minutes: 10 },
          { id: "b", prompt: "B", dependencies: ["a"] },
          { id: "c", prompt: "C", dependencies: ["b"] },
          { id: "d", prompt: "D" },
        ],
      },
    }));
    await h.start({ parallel: 2 });
    await h.wake(
      await h.finish(h.runFor("a"), { conclusion: "failure", message: "the tests still fail", costUsd: 0.4 }),
    );
    let status = await h.wake(await h.finish(h.runFor("d")));

    expect(status?.state).toBe("completed");
    expect(status?.conclusion).toBe("failure");
    expect(status?.summary).toBe("1 of 4 tasks succeeded, 1 failed (a), 2 skipped");
    const byId = new Map(status?.tasks.map((t) => [t.id, t]));
    expect(byId.get("a")).toMatchObject({
      status: "failed",
      reason: "the tests still fail [agent_error]",
      costUsd: 0.4,
    });
    expect(byId.get("b")).toMatchObject({ status: "skipped", reason: 'dependency "a" failed' });
    expect(byId.get("c")).toMatchObject({
      status: "skipped",
      reason: 'dependency "b" was skipped because "a" failed',
    });
    expect(byId.get("d")?.status).toBe("succeeded");

    const checks = new Map(h.checkRuns().map((c) => [c.name, c]));
    expect(checks.get("Orchestrator: a")).toMatchObject({ conclusion: "failure", actions: ["retry"] });
    expect(checks.get("Orchestrator: a")?.title).toContain("the tests still fail");
    expect(checks.get("Orchestrator: b")).toMatchObject({ conclusion: "skipped" });
    expect(checks.get("Orchestrator: c")?.summary).toContain('dependency "b" was skipped because "a" failed');
    expect(summaryCheck(h).actions).toEqual(["retry_failed"]);
    expect(summaryCheck(h).summary).toContain('dependency "a" failed');

    // Retry failed: a new attempt, dependents pending again, the session reopens (back in the index).
    const { retrySession } = await import("../../../src/github/sessions/index.js");
    const retried = await retrySession({
      client: h.client,
      sessionId: h.sessionId,
      tasks: "failed",
      actor: "octocat",
      config: h.config,
      runtime: h.runtime,
    });
    expect(retried.ok && retried.retried).toEqual(["a"]);
    expect(retried.ok && retried.status.state).toBe("running");
    expect(h.runFor("a", 2).inputs).toMatchObject({ attempt: "2", branch: "orchestrator/a" });
    const checkRunId = h.sessionId.split(":")[2];
    expect([...h.fake.state.requireRepo(FULL_NAME).refs.keys()]).toEqual(
      expect.arrayContaining([`refs/orchestrator/active/${checkRunId}`]),
    );
    expect(retried.ok && retried.status.tasks.find((t) => t.id === "b")?.status).toBe("pending");

    // A late duplicate of attempt 1's completion changes nothing.
    const first = h.runFor("a", 1);
    await h.wake({
      id: first.id,
      display_title: first.displayTitle,
      status: "completed",
      conclusion: "failure",
    });
    expect(h.dispatchCount("b")).toBe(0);

    await h.wake(await h.finish(h.runFor("a", 2), { costUsd: 0.6 }));
    await h.wake(await h.finish(h.runFor("b")));
    status = await h.wake(await h.finish(h.runFor("c")));
    expect(status?.conclusion).toBe("success");
    expect(status?.tasks.find((t) => t.id === "a")).toMatchObject({ attempts: 2, costUsd: 1 });
    // Attempt 1's failure stays on record; attempt 2 has its own check run.
    const aChecks = h.checkRuns("Orchestrator: a");
    expect(aChecks.map((c) => [c.externalId, c.conclusion])).toEqual([
      [`${h.sessionId}|a|1`, "failure"],
      [`${h.sessionId}|a|2`, "success"],
    ]);
    expect(h.dispatchCount()).toBe(5);
  });

  it("cancel stops running runs, cancels waiting tasks and ends the session", async () => {
    const h = (harness = await SessionHarness.create({
      tasks: {
        tasks: [
          { id: "a", prompt: "A" },
          { id: "b", prompt: "B" },
          { id: "c", prompt: "C", dependencies: ["a"] },
        ],
      },
    }));
    await h.start({ parallel: 2 });
    const { cancelSession } = await import("../../../src/github/sessions/index.js");
    const cancelled = await cancelSession({
      client: h.client,
      sessionId: h.sessionId,
      actor: "octocat",
      config: h.config,
      runtime: h.runtime,
    });
    expect(cancelled.ok).toBe(true);
    if (!cancelled.ok) return;
    expect(cancelled.status).toMatchObject({ state: "completed", conclusion: "cancelled" });
    expect(cancelled.status.tasks.map((t) => t.status)).toEqual(["cancelled", "cancelled", "cancelled"]);
    expect(h.runs().map((r) => r.conclusion)).toEqual(["cancelled", "cancelled"]);
    expect(
      h.fake.requests.filter((r) => r.route === "POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel"),
    ).toHaveLength(2);
    // Running tasks get a cancelled check run; c never ran and only shows in the table.
    expect(
      h
        .checkRuns()
        .filter((c) => c.name !== "Orchestrator")
        .map((c) => [c.name, c.conclusion]),
    ).toEqual([
      ["Orchestrator: a", "cancelled"],
      ["Orchestrator: b", "cancelled"],
    ]);
    expect(summaryCheck(h)).toMatchObject({ conclusion: "cancelled", actions: [] });

    // GitHub's `completed` events for the cancelled runs arrive afterwards: nothing moves.
    const writesBefore = h.tally.writes;
    for (const webhook of h.fake.takeWebhooks().filter((w) => w.payload.action === "completed")) {
      await h.wake((webhook.payload as { workflow_run: { id: number } }).workflow_run);
    }
    expect(
      h.tally.writes,
      JSON.stringify(h.fake.requests.slice(-3).map((r) => [r.route, r.requestBody])),
    ).toBe(writesBefore);
    expect(h.dispatchCount()).toBe(2);

    const again = await cancelSession({
      client: h.client,
      sessionId: h.sessionId,
      actor: "octocat",
      config: h.config,
      runtime: h.runtime,
    });
    expect(again.ok).toBe(false);
  });

  it("stops dispatching once the budget is spent and says so", async () => {
    const h = (harness = await SessionHarness.create({
      tasks: {
        budget_usd: 0.5,
        tasks: [
          { id: "a", prompt: "A", estimate_minutes: 4 },
          { id: "b", prompt: "B", estimate_minutes: 3 },
          { id: "c", prompt: "C", estimate_minutes: 2 },
          { id: "d", prompt: "D", dependencies: ["c"] },
        ],
      },
    }));
    await h.start({ parallel: 1 });
    await h.wake(await h.finish(h.runFor("a"), { costUsd: 0.3 }));
    const status = await h.wake(await h.finish(h.runFor("b"), { costUsd: 0.3 }));
    expect(h.dispatchCount()).toBe(2);
    expect(status).toMatchObject({ state: "completed", conclusion: "failure" });
    expect(status?.summary).toContain("the session budget of $0.50 was reached ($0.60 spent)");
    expect(status?.tasks.find((t) => t.id === "c")).toMatchObject({
      status: "skipped",
      reason: "the session budget of $0.50 was reached ($0.60 spent)",
    });
    expect(status?.tasks.find((t) => t.id === "d")?.reason).toBe('dependency "c" was skipped');
    expect(h.checkRuns("Orchestrator: c")[0]?.conclusion).toBe("skipped");
  });

  it("gives each run what the budget has left as its --max-budget-usd, never more than all of it together", async () => {
    const h = (harness = await SessionHarness.create({
      tasks: {
        budget_usd: 1,
        tasks: [
          { id: "a", prompt: "A", estimate_minutes: 5, max_budget_usd: 0.25 },
          { id: "b", prompt: "B", estimate_minutes: 4 },
          { id: "c", prompt: "C", estimate_minutes: 3 },
        ],
      },
    }));
    await h.start({ parallel: 2 });
    // a is capped at $0.25; b may spend the rest. c would fit a slot, but nothing is left for it.
    expect(h.requestOf(h.runFor("a")).maxBudgetUsd).toBe(0.25);
    expect(h.requestOf(h.runFor("b")).maxBudgetUsd).toBe(0.75);
    expect(h.dispatchCount("c")).toBe(0);
    // a spends all of its $0.25: still nothing free while b holds $0.75.
    await h.wake(await h.finish(h.runFor("a"), { costUsd: 0.25 }));
    expect(h.dispatchCount("c")).toBe(0);
    // b spends $0.50 of its $0.75: c runs with the $0.25 left.
    await h.wake(await h.finish(h.runFor("b"), { costUsd: 0.5 }));
    expect(h.requestOf(h.runFor("c")).maxBudgetUsd).toBe(0.25);
  });
});
