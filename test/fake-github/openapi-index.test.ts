import { Octokit } from "@octokit/rest";
import { describe, expect, it } from "vitest";
import { openApiIndex } from "../support/fake-github/openapi-index.js";
import { allRoutes } from "../support/fake-github/routes/all-routes.js";
import { startFakeGitHub } from "../support/fake-github/start-fake-github.js";
import { quietLog } from "./fixture.js";

describe("openApiIndex", () => {
  const index = openApiIndex();

  it("loads GitHub's description once and reports how long it took", () => {
    console.log(`api.github.com OpenAPI description indexed in ${index.loadMilliseconds.toFixed(0)} ms`);
    expect(index.loadMilliseconds).toBeGreaterThan(0);
    expect(openApiIndex()).toBe(index);
  });

  it.each([
    [
      "GET",
      "/repos/o/r/commits/abc123/check-runs",
      "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
      { ref: "abc123" },
    ],
    ["GET", "/repos/o/r/commits/feature/x", "GET /repos/{owner}/{repo}/commits/{ref}", { ref: "feature/x" }],
    [
      "GET",
      "/repos/o/r/git/ref/heads%2Fa%2Fb",
      "GET /repos/{owner}/{repo}/git/ref/{ref}",
      { ref: "heads/a/b" },
    ],
    ["GET", "/repos/o/r/git/ref/heads/a/b", "GET /repos/{owner}/{repo}/git/ref/{ref}", { ref: "heads/a/b" }],
    [
      "GET",
      "/repos/o/r/contents/tasks/tasks.json",
      "GET /repos/{owner}/{repo}/contents/{path}",
      { path: "tasks/tasks.json" },
    ],
    [
      "POST",
      "/repos/o/r/actions/runs/7/cancel",
      "POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel",
      { run_id: "7" },
    ],
  ])("matches %s %s to its operation", (method, path, route, params) => {
    const match = index.match(method, path);
    expect(match?.operation.route).toBe(route);
    expect(match?.params).toMatchObject(params);
  });

  it("knows no operation for made-up paths or wrong methods", () => {
    expect(index.match("GET", "/repos/o/r/not-a-thing")).toBeUndefined();
    expect(index.match("DELETE", "/app")).toBeUndefined();
  });

  it("only implements routes that GitHub documents", () => {
    const unknown = Object.keys(allRoutes).filter((route) => index.operation(route) === undefined);
    expect(unknown).toEqual([]);
    expect(Object.keys(allRoutes).length).toBeGreaterThanOrEqual(35);
  });

  it("reflects that GHES 3.19 does not document return_run_details", () => {
    const route = "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";
    const dotcom = index.operation(route)?.requestBodySchema?.properties as Record<string, unknown>;
    const ghes = openApiIndex("ghes-3.19").operation(route)?.requestBodySchema?.properties as Record<
      string,
      unknown
    >;
    expect(Object.keys(dotcom)).toContain("return_run_details");
    expect(Object.keys(ghes)).not.toContain("return_run_details");
  });
});

describe("fake GitHub in GHES flavor", () => {
  it("checks requests against the GHES description and rejects return_run_details by default", async () => {
    const fake = await startFakeGitHub({ flavor: "ghes-3.19" });
    try {
      fake.state.addRepo({
        fullName: "acme/widgets",
        files: { ".github/workflows/t.yml": "on: workflow_dispatch\njobs: {}\n" },
      });
      const octokit = new Octokit({
        baseUrl: fake.url,
        auth: fake.installationToken("acme/widgets"),
        log: quietLog,
      });
      const dispatch = { owner: "acme", repo: "widgets", workflow_id: "t.yml", ref: "main" };
      await expect(
        octokit.actions.createWorkflowDispatch({ ...dispatch, return_run_details: true }),
      ).rejects.toMatchObject({ status: 422 });
      expect((await octokit.actions.createWorkflowDispatch(dispatch)).status).toBe(204);
      expect(fake.spec.flavor).toBe("ghes-3.19");
      expect(fake.violations).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});
