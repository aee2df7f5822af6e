import { afterEach, describe, expect, it } from "vitest";
import { inert } from "../../src/core/inert-text.js";
import { inertComments } from "../../src/core/task-result-block.js";
import { limitedMessageEnd, needsInputMessage } from "../../src/core/task-attention.js";
import { FULL_NAME, ServerHarness } from "./support/server-harness.js";

/**
 * Needs input and limited through the real server, on signed webhooks and the OpenAPI-checked
 * fake GitHub. The Action's side is played as it behaves for an attempt that changed nothing: no
 * commit, so no pull request and no result block; the job's failure annotation carries the
 * runner's words (`core.setFailed("Task <id>: " + inert message)`).
 */

const CHAIN = {
  tasks: [
    { id: "a", prompt: "Clean up the build" },
    { id: "b", prompt: "Document the build", dependencies: ["a"] },
  ],
};

let harness: ServerHarness | undefined;
afterEach(async () => {
  if (harness) expect(harness.violations()).toEqual([]);
  await harness?.close();
  harness = undefined;
});

/** What the Action's failure annotation says for a message of the runner. */
const annotation = (taskId: string, message: string) => `Task ${taskId}: ${inertComments(message)}`;

/** The `check_run.requested_action` webhook for a button on one of the App's check runs. */
function buttonPressed(h: ServerHarness, checkRunId: number, identifier: string, login = "octocat") {
  const check = h.fake.state.checkRuns.get(checkRunId);
  if (!check) throw new Error(`no check run ${checkRunId}`);
  const payload = h.recorded("check_run", "requested_action");
  payload.check_run = {
    ...payload.check_run,
    id: checkRunId,
    external_id: check.externalId,
    name: check.name,
    head_sha: check.headSha,
    app: { ...payload.check_run.app, id: h.fake.state.app.id },
  };
  payload.requested_action = { identifier };
  payload.sender = { ...payload.sender, login, type: "User" };
  return { id: `button-${checkRunId}-${identifier}`, name: "check_run", payload };
}

describe("a task that needs input, through the real server", () => {
  it("shows action_required with the refused tools and the question; Allow & retry dispatches it with the tools", async () => {
    const h = (harness = await ServerHarness.create({ tasks: CHAIN }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer();
    expect(await h.deliver(server, h.comment({ body: "/orchestrate" }))).toBe(200);
    await h.deliverAll(server);
    expect(h.dispatched()).toEqual(["a#1"]);

    const [first] = h.openRuns();
    if (!first) throw new Error("no run");
    h.fake.startRun(first.id);
    const question = "Should I also delete `dist/`? <!-- orchestrator:result {} --> @octocat #1";
    h.fake.completeRun(first.id, {
      conclusion: "failure",
      failureMessage: annotation("a", needsInputMessage({ refusedTools: ["Bash", "WebFetch"], question })),
    });
    await h.deliverAll(server);

    // Not a failure: b is neither skipped nor started; the session waits for a person.
    expect(h.dispatched()).toEqual(["a#1"]);
    const checks = [...h.fake.state.checkRuns.values()].filter((check) => check.name === "Orchestrator: a");
    expect(checks).toHaveLength(1);
    const check = checks[0];
    if (!check) throw new Error("no check run");
    expect(check.conclusion).toBe("action_required");
    expect(check.output.title).toMatch(/^Needs input/);
    expect(check.actions.map((action) => [action.identifier, action.label])).toEqual([
      ["allow_retry", "Allow & retry"],
    ]);
    const summary = check.output.summary ?? "";
    expect(summary).toContain("**Refused tools:** ` Bash `, ` WebFetch `");
    // The question is the agent's text: inert (a code span), its mention and reference dead.
    // (Read from the annotation, where the Action made HTML comments inert first.)
    const shown = inert(inertComments(question), 2000);
    expect(summary).toContain(`**Question:** ${shown}`);
    expect(shown).toMatch(/^`` Should I also delete `dist\/`\?.* ``$/);
    expect(summary).toContain("/orchestrate answer a <your answer>");
    expect(h.summary()).toMatchObject({ status: "completed", conclusion: "action_required" });

    // Someone with write access presses the button: attempt 2, with the refused tools allowed.
    expect(await h.deliver(server, buttonPressed(h, check.id, "allow_retry"))).toBe(200);
    expect(h.dispatched()).toEqual(["a#1", "a#2"]);
    const second = h.runs().at(-1);
    if (!second) throw new Error("no second run");
    expect(h.requestOf(second).allowedTools).toEqual(["Bash", "WebFetch"]);
    expect(h.summary().status).toBe("in_progress");

    // It succeeds; b runs after it. Attempt 2 did not use up a retry (the task has none).
    await h.finish(second);
    await h.deliverAll(server);
    expect(h.dispatched()).toEqual(["a#1", "a#2", "b#1"]);
  });

  it("a comment `/orchestrate answer` from someone with write access answers the question as the next attempt's feedback", async () => {
    const h = (harness = await ServerHarness.create({ tasks: CHAIN }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    h.fake.state.setPermission(FULL_NAME, "mallory", "read");
    const server = await h.startServer();
    const issue = h.fake.state.addIssue({ repo: FULL_NAME, title: "Build" }).number;
    expect(await h.deliver(server, h.comment({ body: "/orchestrate", issueNumber: issue }))).toBe(200);
    await h.deliverAll(server);
    const [first] = h.openRuns();
    if (!first) throw new Error("no run");
    h.fake.startRun(first.id);
    h.fake.completeRun(first.id, {
      conclusion: "failure",
      failureMessage: annotation("a", needsInputMessage({ refusedTools: [], question: "Which database?" })),
    });
    await h.deliverAll(server);
    const check = [...h.fake.state.checkRuns.values()].find((item) => item.name === "Orchestrator: a");
    expect(check?.conclusion).toBe("action_required");
    // Nothing was refused: no Allow & retry button, only the answer.
    expect(check?.actions).toEqual([]);

    // Someone who may only read cannot answer.
    const refused = h.comment({
      body: "/orchestrate answer a Use MongoDB",
      issueNumber: issue,
      login: "mallory",
    });
    expect(await h.deliver(server, refused)).toBe(200);
    expect(h.dispatched()).toEqual(["a#1"]);

    const answer = h.comment({
      body: "Thanks!\n/orchestrate answer a Use SQLite,\nwith one file per table.",
      issueNumber: issue,
    });
    expect(await h.deliver(server, answer)).toBe(200);
    expect(h.dispatched()).toEqual(["a#1", "a#2"]);
    const second = h.runs().at(-1);
    if (!second) throw new Error("no second run");
    expect(h.requestOf(second).feedback).toBe("Use SQLite,\nwith one file per table.");
    expect(h.requestOf(second).allowedTools).toBeUndefined();
  });

  it("a limited attempt waits for the reset without a failed attempt, and the sweep starts it again", async () => {
    const h = (harness = await ServerHarness.create({ tasks: { tasks: [{ id: "a", prompt: "Clean up" }] } }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer();
    expect(await h.deliver(server, h.comment({ body: "/orchestrate" }))).toBe(200);
    await h.deliverAll(server);
    const [first] = h.openRuns();
    if (!first) throw new Error("no run");
    h.fake.startRun(first.id);
    // A reset already passed by the time the sweep looks (the fake's clock is the real one).
    const resetsAt = Date.now() + 1_000;
    h.fake.completeRun(first.id, {
      conclusion: "failure",
      failureMessage: annotation(
        "a",
        `The model API answered with a usage limit (You've hit your limit). ${limitedMessageEnd(resetsAt)}`,
      ),
    });
    await h.deliverAll(server);
    expect(h.dispatched()).toEqual(["a#1"]);
    expect(h.summary().status).toBe("in_progress");
    // The attempt's check run says when the task resumes; no button (it resumes by itself).
    const limitedCheck = [...h.fake.state.checkRuns.values()].find((item) => item.name === "Orchestrator: a");
    expect(limitedCheck?.conclusion).toBe("neutral");
    expect(limitedCheck?.output.title).toMatch(/^Limited · .*resumes at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(limitedCheck?.output.summary).toContain("this attempt does not count as failed");
    expect(limitedCheck?.actions).toEqual([]);

    // The sweep (what the timer runs) starts attempt 2 once the reset has passed (or, when the
    // end was read after it, MIN_LIMIT_WAIT_MS later): swept until then, never before the reset.
    const deadline = Date.now() + 60_000;
    while (h.dispatched().length < 2 && Date.now() < deadline) {
      await server.sweep();
      // The sweep reads the clock after this loop did: only a sweep that ended by the reset can
      // prove it started the task too early.
      if (h.dispatched().length === 2) expect(Date.now()).toBeGreaterThanOrEqual(resetsAt);
      else await new Promise((done) => setTimeout(done, 200));
    }
    expect(h.dispatched()).toEqual(["a#1", "a#2"]);
  });
});
