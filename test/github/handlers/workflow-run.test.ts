import nock from "nock";
import { describe, expect, it } from "vitest";
import { formatRunName } from "../../../src/core/dispatch-inputs.js";
import { github, installationToken, useOfflineNock } from "../support/nock-github.js";
import { existingSession, serveSession } from "../support/nock-session.js";
import { createTestProbot } from "../support/test-probot.js";
import { examplePayload, forRepository, type Payload } from "../support/webhook-examples.js";

const FULL = "acme/widgets";
const INSTALLATION = 33;
const TASKS = {
  tasks: [
    { id: "api", prompt: "Build it" },
    { id: "web", prompt: "Use it", dependencies: ["api"] },
  ],
};

useOfflineNock();

const target = { owner: "acme", repo: "widgets", installationId: INSTALLATION };

function runningSession() {
  return existingSession({
    repo: FULL,
    checkRunId: 5001,
    tasksJson: TASKS,
    tasks: { api: { status: "running", attempts: 1, runId: 9001, startedAt: "2026-01-05T09:01:00.000Z" } },
  });
}

/** A recorded `workflow_run.completed`, made a run of the task workflow the App dispatched. */
function completedRun(title: string, conclusion = "failure"): Payload {
  const payload = forRepository(
    examplePayload("workflow_run", "completed", (p) => Boolean(p.workflow_run.display_title)),
    target,
  );
  const run = payload.workflow_run;
  run.id = 9001;
  run.display_title = title;
  run.status = "completed";
  run.conclusion = conclusion;
  run.event = "workflow_dispatch";
  run.path = ".github/workflows/orchestrator-task.yml";
  for (const repository of [run.repository, run.head_repository]) {
    repository.full_name = FULL;
    repository.name = "widgets";
    repository.owner.login = "acme";
  }
  return payload;
}

describe("workflow_run and workflow_job events", () => {
  it("drops runs of other workflows without an API call", async () => {
    const { receive } = await createTestProbot();
    // As recorded: a Renovate CI run ("ci(action): update actions/setup-node digest ...").
    await receive(
      "workflow_run",
      forRepository(
        examplePayload("workflow_run", "completed", (p) => Boolean(p.workflow_run.display_title)),
        target,
      ),
    );
    await receive("workflow_run", forRepository(examplePayload("workflow_run", "requested"), target));
    // Named like ours, but for a session of another repository: never trusted.
    await receive(
      "workflow_run",
      completedRun(formatRunName({ sessionId: "acme:other:5001", taskId: "api", attempt: 1 })),
    );
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("wakes the session named in the run's title: a failed run fails its task and skips dependents", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    const session = runningSession();
    serveSession(scope, FULL, session, TASKS);
    // Where the failure reason comes from: the PR (none), then the failed job's annotations.
    scope
      .get(`/repos/${FULL}/pulls`)
      .query(true)
      .reply(200, [])
      .get(`/repos/${FULL}/actions/runs/9001/jobs`)
      .query(true)
      .reply(200, { total_count: 0, jobs: [] })
      .post(`/repos/${FULL}/check-runs`)
      .times(2)
      .reply(201, (_uri, body) => ({ id: 7000, ...(body as object) }))
      .delete(`/repos/${FULL}/git/refs/orchestrator%2Factive%2F5001`)
      .reply(204);

    await receive(
      "workflow_run",
      completedRun(formatRunName({ sessionId: session.sessionId, taskId: "api", attempt: 1 })),
    );

    expect(scope.pendingMocks()).toEqual([]);
    expect(session.patches.at(-1)).toMatchObject({ status: "completed", conclusion: "failure" });
  });

  it("reads the run of a job named like an attempt (a job alone is not believed): its failure annotation is the task's reason", async () => {
    const { receive } = await createTestProbot();
    const scope = github();
    installationToken(scope, INSTALLATION);
    const session = runningSession();
    serveSession(scope, FULL, session, TASKS);
    const title = formatRunName({ sessionId: session.sessionId, taskId: "api", attempt: 1 });
    const job = forRepository(
      examplePayload("workflow_job", "completed", (p) => p.workflow_job.conclusion === "failure"),
      target,
    );
    job.workflow_job.id = 777;
    job.workflow_job.name = title;
    job.workflow_job.run_id = 9001;
    job.workflow_job.html_url = `https://github.com/${FULL}/actions/runs/9001/job/777`;
    const checks: Array<{ name: string; output?: { title?: string } }> = [];
    // The job's run is read and judged like a run event; then the failure's reason.
    scope
      .get(`/repos/${FULL}/actions/runs/9001`)
      .reply(200, {
        ...completedRun(title).workflow_run,
        html_url: `https://github.com/${FULL}/actions/runs/9001`,
      })
      .get(`/repos/${FULL}/pulls`)
      .query(true)
      .reply(200, [])
      .get(`/repos/${FULL}/actions/runs/9001/jobs`)
      .query(true)
      .reply(200, {
        total_count: 1,
        jobs: [{ id: 777, run_id: 9001, name: title, status: "completed", conclusion: "failure", steps: [] }],
      })
      .get(`/repos/${FULL}/check-runs/777/annotations`)
      .query(true)
      .reply(200, [
        {
          path: ".github",
          start_line: 1,
          end_line: 1,
          annotation_level: "failure",
          message: "Task api: Invalid API key",
        },
      ])
      .post(`/repos/${FULL}/check-runs`)
      .times(2)
      .reply(201, (_uri, body) => {
        checks.push(body as (typeof checks)[number]);
        return { id: 7000, ...(body as object) };
      })
      .delete(`/repos/${FULL}/git/refs/orchestrator%2Factive%2F5001`)
      .reply(204);

    await receive("workflow_job", job);

    expect(scope.pendingMocks()).toEqual([]);
    expect(session.patches.at(-1)).toMatchObject({ status: "completed", conclusion: "failure" });
    const api = checks.find((check) => check.name === "Orchestrator: api");
    expect(api?.output?.title).toContain(
      `Task api: Invalid API key (https://github.com/${FULL}/actions/runs/9001)`,
    );
    // Named like a run of another repository's session: dropped without a request.
    const foreign = forRepository(examplePayload("workflow_job", "completed"), target);
    foreign.workflow_job.name = formatRunName({ sessionId: "acme:other:5001", taskId: "api", attempt: 1 });
    await receive("workflow_job", foreign);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("reads the run of an orchestrator job (one request) and ignores jobs of other workflows", async () => {
    const { receive } = await createTestProbot();
    const foreign = forRepository(examplePayload("workflow_job", "completed"), target);
    expect(foreign.workflow_job.workflow_name).toBe("CodeQL");
    await receive("workflow_job", foreign);
    expect(nock.pendingMocks()).toEqual([]);

    const scope = github();
    installationToken(scope, INSTALLATION);
    const job = forRepository(examplePayload("workflow_job", "completed"), target);
    job.workflow_job.workflow_name = "Orchestrator task";
    job.workflow_job.name = "task api";
    job.workflow_job.run_id = 9001;
    // The run belongs to a session that no longer exists: the wake-up reads it and stops.
    scope
      .get(`/repos/${FULL}/actions/runs/9001`)
      .reply(200, {
        ...completedRun(formatRunName({ sessionId: "acme:widgets:4040", taskId: "api", attempt: 1 }))
          .workflow_run,
      })
      .get(`/repos/${FULL}/check-runs/4040`)
      .reply(404, { message: "Not Found" });
    await receive("workflow_job", job);
    expect(scope.pendingMocks()).toEqual([]);
  });
});
