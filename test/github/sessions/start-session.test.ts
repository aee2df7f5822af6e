import { afterEach, describe, expect, it } from "vitest";
import {
  getSessionStatus,
  listActiveSessions,
  redeliverFailedDeliveries,
} from "../../../src/github/sessions/index.js";
import {
  FULL_NAME,
  OWNER,
  REPO,
  SessionHarness,
  runSimulatedSession,
} from "../../support/simulated-session.js";
import { Octokit } from "@octokit/rest";

let harness: SessionHarness | undefined;
afterEach(async () => {
  if (harness) expect(harness.violations()).toEqual([]);
  await harness?.close();
  harness = undefined;
});

const invalid = `{
  "tasks": [
    { "id": "api", "prompt": "Build it", "dependencies": ["databse"] },
    { "id": "database", "prompt": "" }
  ]
}
`;

describe("starting a session", () => {
  it("an invalid tasks file: a failed check run with the problems as annotations, nothing dispatched", async () => {
    const h = (harness = await SessionHarness.create({ tasks: invalid }));
    const issue = h.fake.state.addIssue({ repo: FULL_NAME, title: "Go" });
    const result = await h.start(
      {},
      { kind: "comment", actor: "octocat", issueNumber: issue.number, commentId: 1 },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe("invalid_tasks_file");
    expect(result.error.issues?.map((i) => [i.task, i.line])).toEqual([
      ["api", 3],
      ["database", 4],
    ]);
    expect(result.error.message).toContain('did you mean "database"?');
    expect(h.dispatchCount()).toBe(0);
    const [check] = h.checkRuns("Orchestrator");
    expect(check).toMatchObject({ conclusion: "failure", title: "Invalid tasks file: 2 problems" });
    expect(check?.summary).toContain("tasks/tasks.json:3:");
    expect(h.fake.state.checkRuns.get(check!.id)?.output.annotationsCount).toBe(2);
    const annotations = h.fake.requests.find((r) => r.route === "POST /repos/{owner}/{repo}/check-runs")
      ?.requestBody as {
      output: { annotations: Array<{ path: string; start_line: number; message: string }> };
    };
    expect(annotations.output.annotations.map((a) => [a.path, a.start_line])).toEqual([
      ["tasks/tasks.json", 3],
      ["tasks/tasks.json", 4],
    ]);
    // The use-case writes nothing on the issue: the handler answers the comment (issue-comment.test.ts).
    expect([...h.fake.state.comments.values()]).toEqual([]);
    expect(result.status?.checkRunUrl).toMatch(new RegExp(`/runs/${check!.id}$`));
    // The session id finds the failed session too.
    const status = await getSessionStatus({
      client: h.client,
      sessionId: result.sessionId!,
      runtime: h.runtime,
    });
    expect(status).toMatchObject({
      state: "completed",
      conclusion: "failure",
      error: { kind: "invalid_tasks_file" },
    });
    // No active-session index entry for it.
    expect(
      await listActiveSessions({ client: h.client, repo: { owner: OWNER, repo: REPO }, runtime: h.runtime }),
    ).toEqual([]);
  });

  it("names what is missing: the file, the ref, the workflow, unknown --only tasks", async () => {
    const h = (harness = await SessionHarness.create({ files: { "README.md": "hi" } }));
    const noFile = await h.start();
    expect(!noFile.ok && noFile.error).toMatchObject({ kind: "file_not_found" });
    expect(!noFile.ok && noFile.error.message).toContain(
      "`tasks/tasks.json`, `tasks/tasks.yaml`, `tasks/tasks.yml`",
    );
    const noRef = await h.start({ ref: "nope" });
    expect(!noRef.ok && noRef.error.kind).toBe("ref_not_found");
    h.fake.state.commitFiles({
      repo: FULL_NAME,
      branch: "main",
      files: { "tasks/tasks.yaml": "tasks:\n  - id: one\n    prompt: Do it\n" },
    });
    const only = await h.start({ only: ["onw"] });
    expect(!only.ok && only.error.message).toContain("`onw` (did you mean `one`?)");
    h.fake.state.commitFiles({
      repo: FULL_NAME,
      branch: "main",
      files: { ".github/workflows/orchestrator-task.yml": null },
    });
    const noWorkflow = await h.start();
    expect(!noWorkflow.ok && noWorkflow.error.kind).toBe("workflow_not_found");
    expect(h.checkRuns()).toEqual([]);
    expect(h.dispatchCount()).toBe(0);
  });

  it("inline tasks carry their prompt in the dispatch; --only runs the named tasks and what they need", async () => {
    const h = (harness = await SessionHarness.create({ files: { "README.md": "hi" } }));
    const started = await h.start({
      inlineTasks: {
        tasks: [
          { id: "a", prompt: "Write a.txt" },
          { id: "b", prompt: "Write b.txt", dependencies: ["a"] },
          { id: "c", prompt: "Write c.txt" },
        ],
      },
      only: ["b"],
    });
    expect(started.ok && started.status.tasks.map((t) => t.id)).toEqual(["a", "b"]);
    expect(h.runFor("a").inputs).toMatchObject({ prompt: "Write a.txt" });
    expect(h.runFor("a").inputs.tasks_ref).toBeUndefined();
    const active = await listActiveSessions({
      client: h.client,
      repo: { owner: OWNER, repo: REPO },
      runtime: h.runtime,
    });
    expect(active.map((s) => s.sessionId)).toEqual([h.sessionId]);
  });
});

describe("missed webhooks", () => {
  it("redelivers each failed delivery once per event, not those that later succeeded", async () => {
    const h = (harness = await SessionHarness.create({ files: { "README.md": "hi" } }));
    const payload = { action: "completed" };
    const failedOnce = h.fake.state.addHookDelivery({ event: "workflow_run", payload, statusCode: 502 });
    h.fake.state.addHookDelivery({
      event: "workflow_run",
      payload,
      statusCode: 200,
      guid: failedOnce.guid,
      redelivery: true,
    });
    const failed = h.fake.state.addHookDelivery({ event: "workflow_run", payload, statusCode: 500 });
    const hopeless = h.fake.state.addHookDelivery({ event: "issue_comment", payload, statusCode: 500 });
    for (let i = 0; i < 2; i++) {
      h.fake.state.addHookDelivery({
        event: "issue_comment",
        payload,
        statusCode: 500,
        guid: hopeless.guid,
        redelivery: true,
      });
    }
    // Enough successful ones to need a second page.
    for (let i = 0; i < 120; i++)
      h.fake.state.addHookDelivery({ event: "check_run", payload, statusCode: 200 });
    const appClient = new Octokit({ baseUrl: h.fake.url, auth: h.fake.appJwt() });
    const result = await redeliverFailedDeliveries({
      appClient,
      since: new Date(h.clock.now().getTime() - 3_600_000),
    });
    expect(result.redelivered).toEqual([failed.guid]);
    expect(result.gaveUp).toEqual([hopeless.guid]);
    expect(result.checked).toBe(126);
    expect(h.fake.requests.filter((r) => r.route === "GET /app/hook/deliveries")).toHaveLength(2);
  });
});

describe("API requests per task", () => {
  it("a 50-task session stays within about 4 writes and 2 reads per task", async () => {
    const result = await runSimulatedSession({ tasks: 50, parallel: 5 });
    console.log(
      `50-task session: ${result.requests.reads} reads (${result.perTask.reads.toFixed(2)}/task), ` +
        `${result.requests.writes} writes (${result.perTask.writes.toFixed(2)}/task)\n` +
        Object.entries(result.requests.byRoute)
          .map(([route, count]) => `  ${String(count).padStart(4)}  ${route}`)
          .join("\n"),
    );
    expect(result.status).toMatchObject({ state: "completed", conclusion: "success" });
    expect(result.dispatches).toBe(50);
    expect(result.violations).toEqual([]);
    expect(result.perTask.reads).toBeLessThanOrEqual(2.5);
    expect(result.perTask.writes).toBeLessThanOrEqual(4.5);
    // A safety net, not a speed check: on a loaded 2-core machine this took over 30 s.
  }, 180_000);
});
