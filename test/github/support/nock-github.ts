/**
 * nock scopes for api.github.com as the handler tests need it: the installation token Probot
 * asks for, and the requests a session start makes (repository, commit, tasks file, workflow,
 * summary check run, index ref, claim, dispatch, status comment, record save). The summary check
 * run's record is kept between the POST and the GET, as GitHub would.
 */
import nock from "nock";
import { afterAll, afterEach, beforeAll } from "vitest";
import { APP_ID } from "./test-probot.js";

export const API = "https://api.github.com";

/** For a handler test file: no real network while it runs, and no scope left over between tests. */
export function useOfflineNock(): void {
  beforeAll(() => {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(() => {
    nock.enableNetConnect();
  });
}

export function github(): nock.Scope {
  return nock(API);
}

export function installationToken(scope: nock.Scope, installationId: number): nock.Scope {
  return scope.post(`/app/installations/${installationId}/access_tokens`).reply(201, {
    token: "ghs_handler_test_token",
    expires_at: "2099-01-01T00:00:00Z",
    permissions: { actions: "write", checks: "write", contents: "write", issues: "write", metadata: "read" },
    repository_selection: "all",
  });
}

export function permission(scope: nock.Scope, repo: string, login: string, role: string): nock.Scope {
  const legacy = role === "maintain" ? "write" : role === "triage" ? "read" : role;
  return scope
    .get(`/repos/${repo}/collaborators/${login}/permission`)
    .reply(200, { permission: legacy, role_name: role, user: { login, id: 1, type: "User" } });
}

export interface StartCapture {
  checkRun?: Record<string, unknown>;
  dispatches: Array<{ inputs: Record<string, string>; ref: string }>;
  comments: string[];
}

/** The requests of a session start with a valid tasks file whose first task is dispatched. */
export function scriptStartSession(
  scope: nock.Scope,
  args: {
    repo: string;
    tasksJson: object;
    sha?: string;
    checkRunId?: number;
    issueNumber?: number;
    runId?: number;
    /** The ref the commit is looked up by, as in the path (default `main`). */
    commitRef?: string;
  },
): StartCapture {
  const sha = args.sha ?? "a".repeat(40);
  const checkRunId = args.checkRunId ?? 5001;
  const runId = args.runId ?? 9001;
  const capture: StartCapture = { dispatches: [], comments: [] };
  const content = Buffer.from(JSON.stringify(args.tasksJson)).toString("base64");
  const checkRun = (): Record<string, unknown> => ({
    id: checkRunId,
    head_sha: sha,
    external_id: "orchestrator-session",
    status: "in_progress",
    conclusion: null,
    name: "Orchestrator",
    html_url: `https://github.com/${args.repo}/runs/${checkRunId}`,
    app: { id: APP_ID },
    output: (capture.checkRun as { output: unknown }).output,
  });
  scope
    .get(`/repos/${args.repo}`)
    .reply(200, { default_branch: "main", full_name: args.repo })
    .get(`/repos/${args.repo}/commits/${args.commitRef ?? "main"}`)
    .reply(200, { sha })
    .get(`/repos/${args.repo}/contents/tasks%2Ftasks.json`)
    .query({ ref: sha })
    .reply(200, { type: "file", encoding: "base64", content, sha: "b".repeat(40), size: content.length })
    .get(`/repos/${args.repo}/actions/workflows/orchestrator-task.yml`)
    .reply(200, { id: 77, state: "active", path: ".github/workflows/orchestrator-task.yml" })
    .post(`/repos/${args.repo}/check-runs`)
    .reply(201, (_uri, body) => {
      capture.checkRun = body as Record<string, unknown>;
      return checkRun();
    })
    .post(
      `/repos/${args.repo}/git/refs`,
      (body: { ref: string }) => body.ref === `refs/orchestrator/active/${checkRunId}`,
    )
    .reply(201, { ref: `refs/orchestrator/active/${checkRunId}`, object: { sha } })
    .get(`/repos/${args.repo}/check-runs/${checkRunId}`)
    .reply(200, () => checkRun())
    .post(`/repos/${args.repo}/actions/workflows/orchestrator-task.yml/dispatches`)
    .reply(200, (_uri, body) => {
      capture.dispatches.push(body as StartCapture["dispatches"][number]);
      return {
        workflow_run_id: runId,
        run_url: `${API}/repos/${args.repo}/actions/runs/${runId}`,
        html_url: `https://github.com/${args.repo}/actions/runs/${runId}`,
      };
    });
  if (args.issueNumber !== undefined) {
    scope.post(`/repos/${args.repo}/issues/${args.issueNumber}/comments`).reply(201, (_uri, body) => {
      capture.comments.push((body as { body: string }).body);
      return { id: 7001, body: (body as { body: string }).body };
    });
  }
  scope.patch(`/repos/${args.repo}/check-runs/${checkRunId}`).reply(200, (_uri, body) => {
    capture.checkRun = { ...capture.checkRun, ...(body as Record<string, unknown>) };
    return checkRun();
  });
  return capture;
}
