import { createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { Octokit } from "@octokit/rest";
import { afterEach, describe, expect, it } from "vitest";
import {
  client,
  FULL_NAME,
  OWNER,
  quietLog,
  REPO,
  startFixture,
  statusOf,
  type FakeFixture,
} from "./fixture.js";

const DISPATCH = "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";
let fixture: FakeFixture | undefined;

async function start(options: Parameters<typeof startFixture>[0] = {}): Promise<FakeFixture> {
  fixture = await startFixture(options);
  return fixture;
}

afterEach(async () => {
  await fixture?.fake.close();
  fixture = undefined;
});

describe("fake GitHub: git refs as an exactly-once claim", () => {
  it("creates a ref once and answers 422 'Reference already exists' the second time", async () => {
    const { fake, octokit, headSha } = await start();
    const claim = { owner: OWNER, repo: REPO, ref: "refs/orchestrator/claims/s1/task-a/1", sha: headSha };
    const first = await octokit.git.createRef(claim);
    expect(first.status).toBe(201);
    const second = await statusOf(octokit.git.createRef(claim));
    expect(second).toMatchObject({
      status: 422,
      message: expect.stringContaining("Reference already exists"),
    });
    // A normal refusal, not a broken contract.
    expect(fake.violations).toEqual([]);

    const got = await octokit.git.getRef({
      owner: OWNER,
      repo: REPO,
      ref: "orchestrator/claims/s1/task-a/1",
    });
    expect(got.data.object.sha).toBe(headSha);
    const listed = await octokit.git.listMatchingRefs({
      owner: OWNER,
      repo: REPO,
      ref: "orchestrator/claims/s1/",
    });
    expect(listed.data.map((r) => r.ref)).toEqual(["refs/orchestrator/claims/s1/task-a/1"]);
    await octokit.git.deleteRef({ owner: OWNER, repo: REPO, ref: "orchestrator/claims/s1/task-a/1" });
    expect(
      (
        await statusOf(
          octokit.git.getRef({ owner: OWNER, repo: REPO, ref: "orchestrator/claims/s1/task-a/1" }),
        )
      ).status,
    ).toBe(404);
  });

  it("lets exactly one of many concurrent claims win", async () => {
    const { octokit, headSha } = await start();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () =>
        octokit.git.createRef({ owner: OWNER, repo: REPO, ref: "refs/heads/claim", sha: headSha }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });
});

describe("fake GitHub: trees and commits", () => {
  it("makes a commit of new files on the base tree, which a new branch then points at", async () => {
    const { fake, octokit, headSha } = await start();
    const repo = { owner: OWNER, repo: REPO };
    const base = fake.state.requireRepo(FULL_NAME).commits.get(headSha)?.treeSha ?? "";
    const tree = await octokit.git.createTree({
      ...repo,
      base_tree: base,
      tree: [{ path: "docs/new.md", mode: "100644", type: "blob", content: "# new\n" }],
    });
    const commit = await octokit.git.createCommit({
      ...repo,
      message: "Add docs",
      tree: tree.data.sha,
      parents: [headSha],
    });
    await octokit.git.createRef({ ...repo, ref: "refs/heads/docs", sha: commit.data.sha });

    const files = fake.state.resolveCommit(fake.state.requireRepo(FULL_NAME), "docs")?.files;
    expect(files?.get("docs/new.md")).toBe("# new\n");
    expect(files?.get("tasks/tasks.json")).toBe('{"tasks":[]}\n');
    expect(commit.data.parents.map((parent) => parent.sha)).toEqual([headSha]);
    expect(fake.violations).toEqual([]);
  });

  it("refuses a tree that writes a workflow file without the `workflows` permission, as GitHub does (403)", async () => {
    const { fake, octokit, headSha } = await start();
    delete fake.state.app.permissions.workflows;
    const base = fake.state.requireRepo(FULL_NAME).commits.get(headSha)?.treeSha ?? "";
    const write = (path: string) =>
      octokit.git.createTree({
        owner: OWNER,
        repo: REPO,
        base_tree: base,
        tree: [{ path, mode: "100644", type: "blob", content: "name: x\n" }],
      });

    expect(await statusOf(write(".github/workflows/new.yml"))).toMatchObject({
      status: 403,
      message: expect.stringContaining("Resource not accessible by integration"),
    });
    expect((await write(".github/dependabot.yml")).status).toBe(201);
    expect(fake.violations).toEqual([]);
  });
});

describe("fake GitHub: workflow dispatch and runs", () => {
  it("returns the run id with return_run_details and lists the queued run", async () => {
    const { fake, octokit } = await start();
    const dispatched = await octokit.actions.createWorkflowDispatch({
      owner: OWNER,
      repo: REPO,
      workflow_id: "task.yml",
      ref: "main",
      inputs: { task: "build", dispatch_id: "d-42" },
      return_run_details: true,
    });
    expect(dispatched.status).toBe(200);
    const details = dispatched.data as { workflow_run_id: number; run_url: string; html_url: string };
    expect(details.run_url).toBe(`${fake.url}/repos/${FULL_NAME}/actions/runs/${details.workflow_run_id}`);

    const run = await octokit.actions.getWorkflowRun({
      owner: OWNER,
      repo: REPO,
      run_id: details.workflow_run_id,
    });
    expect(run.data).toMatchObject({
      status: "queued",
      event: "workflow_dispatch",
      head_branch: "main",
      display_title: "task build [d-42]",
    });
    const listed = await octokit.actions.listWorkflowRuns({
      owner: OWNER,
      repo: REPO,
      workflow_id: "task.yml",
      status: "queued",
    });
    expect(listed.data.workflow_runs.map((r) => r.id)).toEqual([details.workflow_run_id]);
    expect(fake.state.workflowRuns.get(details.workflow_run_id)?.inputs).toEqual({
      task: "build",
      dispatch_id: "d-42",
      mode: "run",
    });
    expect(fake.takeWebhooks().map((w) => `${w.name}.${String(w.payload.action)}`)).toEqual([
      "workflow_run.requested",
    ]);
  });

  it("answers 204 without return_run_details", async () => {
    const { fake, octokit } = await start();
    const dispatched = await octokit.actions.createWorkflowDispatch({
      owner: OWNER,
      repo: REPO,
      workflow_id: "task.yml",
      ref: "main",
      inputs: { task: "x" },
    });
    expect(dispatched.status).toBe(204);
    expect(fake.state.workflowRuns.size).toBe(1);
  });

  it("emulates GHES rejecting return_run_details, so the App can fall back", async () => {
    const { fake, octokit } = await start({ rejectReturnRunDetails: true });
    const rejected = await statusOf(
      octokit.actions.createWorkflowDispatch({
        owner: OWNER,
        repo: REPO,
        workflow_id: "task.yml",
        ref: "main",
        inputs: { task: "x" },
        return_run_details: true,
      }),
    );
    expect(rejected.status).toBe(422);
    expect(fake.state.workflowRuns.size).toBe(0);
    await octokit.actions.createWorkflowDispatch({
      owner: OWNER,
      repo: REPO,
      workflow_id: "task.yml",
      ref: "main",
      inputs: { task: "x", dispatch_id: "u-1" },
    });
    const runs = await octokit.actions.listWorkflowRunsForRepo({
      owner: OWNER,
      repo: REPO,
      event: "workflow_dispatch",
    });
    expect(runs.data.workflow_runs.map((r) => r.display_title)).toEqual(["task x [u-1]"]);
  });

  it("completes a run and produces the workflow_run webhook payload", async () => {
    const { fake, octokit } = await start();
    const dispatched = await octokit.actions.createWorkflowDispatch({
      owner: OWNER,
      repo: REPO,
      workflow_id: "task.yml",
      ref: "main",
      inputs: { task: "t" },
      return_run_details: true,
    });
    const runId = (dispatched.data as { workflow_run_id: number }).workflow_run_id;
    expect(fake.startRun(runId).payload.action).toBe("in_progress");
    const webhook = fake.completeRun(runId, { conclusion: "failure" });
    expect(webhook.name).toBe("workflow_run");
    expect(webhook.payload).toMatchObject({
      action: "completed",
      workflow_run: {
        id: runId,
        status: "completed",
        conclusion: "failure",
        path: ".github/workflows/task.yml",
      },
      repository: { full_name: FULL_NAME },
      installation: { id: fake.state.requireRepo(FULL_NAME).installationId },
    });
    const run = await octokit.actions.getWorkflowRun({ owner: OWNER, repo: REPO, run_id: runId });
    expect(run.data.conclusion).toBe("failure");
    expect(() => fake.completeRun(runId, { conclusion: "success" })).toThrow(/already completed/);
  });

  it("gives a failed run a failed job whose check run carries the failure annotation", async () => {
    const { fake, octokit } = await start();
    const repo = { owner: OWNER, repo: REPO };
    const runIds: number[] = [];
    for (const task of ["t", "u"]) {
      const dispatched = await octokit.actions.createWorkflowDispatch({
        ...repo,
        workflow_id: "task.yml",
        ref: "main",
        inputs: { task },
        return_run_details: true,
      });
      runIds.push((dispatched.data as { workflow_run_id: number }).workflow_run_id);
    }
    const [withMessage, generic] = runIds as [number, number];
    const queued = await octokit.actions.listJobsForWorkflowRun({ ...repo, run_id: withMessage });
    expect(queued.data.jobs).toMatchObject([
      { name: "run", status: "queued", conclusion: null, runner_id: null },
    ]);

    fake.completeRun(withMessage, { conclusion: "failure", failureMessage: "Task t: the tests failed" });
    fake.completeRun(generic, { conclusion: "failure" });
    const annotationsOf = async (runId: number): Promise<Array<string | null>> => {
      const { data } = await octokit.actions.listJobsForWorkflowRun({
        ...repo,
        run_id: runId,
        filter: "latest",
      });
      expect(data.jobs).toMatchObject([{ status: "completed", conclusion: "failure", run_id: runId }]);
      const job = data.jobs[0] as { id: number };
      const annotations = await octokit.checks.listAnnotations({ ...repo, check_run_id: job.id });
      return annotations.data.map((a) => `${a.annotation_level ?? ""}: ${a.message ?? ""}`);
    };
    expect(await annotationsOf(withMessage)).toEqual(["failure: Task t: the tests failed"]);
    expect(await annotationsOf(generic)).toEqual(["failure: Process completed with exit code 1."]);
    expect((await statusOf(octokit.checks.listAnnotations({ ...repo, check_run_id: 999_999 }))).status).toBe(
      404,
    );
    expect(fake.violations).toEqual([]);
  });

  it("lists an installation's repositories to its token only", async () => {
    const { fake, octokit } = await start();
    fake.state.addRepo({ fullName: `${OWNER}/gadgets` });
    fake.state.addRepo({ fullName: "other-org/secret" });
    const { data } = await octokit.apps.listReposAccessibleToInstallation({ per_page: 100 });
    expect(data.repositories.map((r) => r.full_name)).toEqual([FULL_NAME, `${OWNER}/gadgets`]);
    expect(data.total_count).toBe(2);
    const page = await octokit.apps.listReposAccessibleToInstallation({ per_page: 1, page: 2 });
    expect(page.data.repositories.map((r) => r.full_name)).toEqual([`${OWNER}/gadgets`]);
    expect(fake.violations).toEqual([]);
  });

  it("cancels a run (202) and refuses to cancel a completed one (409)", async () => {
    const { fake, octokit } = await start();
    const dispatched = await octokit.actions.createWorkflowDispatch({
      owner: OWNER,
      repo: REPO,
      workflow_id: "task.yml",
      ref: "main",
      inputs: { task: "t" },
      return_run_details: true,
    });
    const runId = (dispatched.data as { workflow_run_id: number }).workflow_run_id;
    expect(
      (await octokit.actions.cancelWorkflowRun({ owner: OWNER, repo: REPO, run_id: runId })).status,
    ).toBe(202);
    expect(fake.state.workflowRuns.get(runId)).toMatchObject({
      status: "completed",
      conclusion: "cancelled",
    });
    expect(fake.webhooks.at(-1)?.payload.action).toBe("completed");
    expect(
      (await statusOf(octokit.actions.cancelWorkflowRun({ owner: OWNER, repo: REPO, run_id: runId }))).status,
    ).toBe(409);
  });

  it("rejects inputs GitHub would reject, as violations", async () => {
    const { fake, octokit } = await start();
    const base = { owner: OWNER, repo: REPO, workflow_id: "task.yml", ref: "main" };
    const nonString = await statusOf(
      octokit.actions.createWorkflowDispatch({ ...base, inputs: { task: 5 as unknown as string } }),
    );
    expect(nonString).toMatchObject({ status: 422, message: expect.stringContaining("is not a string") });
    expect(
      (
        await statusOf(
          octokit.actions.createWorkflowDispatch({ ...base, inputs: { task: "a", surprise: "b" } }),
        )
      ).message,
    ).toContain("Unexpected inputs provided");
    expect(
      (await statusOf(octokit.actions.createWorkflowDispatch({ ...base, inputs: {} }))).message,
    ).toContain("Required input 'task'");
    expect(
      (
        await statusOf(
          octokit.actions.createWorkflowDispatch({ ...base, inputs: { task: "a", mode: "yolo" } }),
        )
      ).message,
    ).toContain("not in the list of allowed values");
    expect(
      (
        await statusOf(
          octokit.actions.createWorkflowDispatch({ ...base, ref: "no-such-branch", inputs: { task: "a" } }),
        )
      ).status,
    ).toBe(422);
    expect(
      (
        await statusOf(
          octokit.actions.createWorkflowDispatch({
            ...base,
            workflow_id: "missing.yml",
            inputs: { task: "a" },
          }),
        )
      ).status,
    ).toBe(404);
    expect(fake.violations.map((v) => v.kind)).toEqual(["request", "request", "request", "request"]);
    expect(fake.state.workflowRuns.size).toBe(0);
  });
});

describe("fake GitHub: OpenAPI request validation", () => {
  it("answers 422 to a check run with a bad status enum and records the violation", async () => {
    const { fake, octokit, headSha } = await start();
    const bad = await statusOf(
      octokit.checks.create({
        owner: OWNER,
        repo: REPO,
        name: "s",
        head_sha: headSha,
        status: "done" as "completed",
      }),
    );
    expect(bad.status).toBe(422);
    expect(bad.message).toContain('"done" is not a member of');
    expect(fake.violations).toEqual([
      expect.objectContaining({ kind: "request", route: "POST /repos/{owner}/{repo}/check-runs" }),
    ]);
    expect(fake.state.checkRuns.size).toBe(0);
  });

  it("enforces the spec's length limits (check run summary ≤ 65,535, ≤ 3 buttons, labels ≤ 20)", async () => {
    const { fake, octokit, headSha } = await start();
    const base = { owner: OWNER, repo: REPO, name: "s", head_sha: headSha };
    const long = await statusOf(
      octokit.checks.create({ ...base, output: { title: "t", summary: "x".repeat(65_536) } }),
    );
    expect(long.message).toContain("maximum length of 65535");
    const button = { label: "Retry this one please!", description: "d", identifier: "retry" };
    expect((await statusOf(octokit.checks.create({ ...base, actions: [button] }))).message).toContain(
      "maximum length of 20",
    );
    const fine = { label: "Retry", description: "d", identifier: "retry" };
    expect(
      (await statusOf(octokit.checks.create({ ...base, actions: [fine, fine, fine, fine] }))).message,
    ).toContain("maximum of 3");
    expect(fake.violations).toHaveLength(3);
  });

  it("requires a conclusion when completing a check run", async () => {
    const { octokit, headSha } = await start();
    const created = await octokit.checks.create({
      owner: OWNER,
      repo: REPO,
      name: "s",
      head_sha: headSha,
      status: "in_progress",
    });
    const bad = await statusOf(
      octokit.checks.update({ owner: OWNER, repo: REPO, check_run_id: created.data.id, status: "completed" }),
    );
    expect(bad.status).toBe(422);
  });

  it("answers 404 to an unknown route and records it", async () => {
    const { fake, octokit } = await start();
    const unknown = await statusOf(
      octokit.request("GET /repos/{owner}/{repo}/orchestrator-sessions", { owner: OWNER, repo: REPO }),
    );
    expect(unknown.status).toBe(404);
    expect(fake.violations).toEqual([
      expect.objectContaining({ kind: "unknown-route", path: `/repos/${FULL_NAME}/orchestrator-sessions` }),
    ]);
  });

  it("validates query parameters too", async () => {
    const { fake, octokit } = await start();
    const bad = await statusOf(
      octokit.request("GET /repos/{owner}/{repo}/actions/runs", {
        owner: OWNER,
        repo: REPO,
        status: "exploded" as "queued",
      }),
    );
    expect(bad.status).toBe(422);
    expect(fake.violations[0]?.messages[0]).toContain("For 'status'");
  });
});

/** An App JWT (RS256) as Octokit's App auth makes one. */
function signedJwt(appId: number, pem: string): string {
  const seconds = Math.floor(Date.now() / 1000);
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${part({ alg: "RS256", typ: "JWT" })}.${part({ iat: seconds - 60, exp: seconds + 540, iss: appId })}`;
  return `${unsigned}.${sign("RSA-SHA256", Buffer.from(unsigned), pem).toString("base64url")}`;
}

describe("fake GitHub: auth", () => {
  it("records which credential each request used and keeps JWT and installation endpoints apart", async () => {
    const { fake, app, octokit } = await start();
    await octokit.repos.get({ owner: OWNER, repo: REPO });
    expect(fake.requests.map((r) => `${r.auth} ${r.route ?? ""}`)).toEqual([
      "jwt GET /repos/{owner}/{repo}/installation",
      "jwt POST /app/installations/{installation_id}/access_tokens",
      "installation GET /repos/{owner}/{repo}",
    ]);
    expect((await statusOf(app.repos.get({ owner: OWNER, repo: REPO }))).status).toBe(403);
    expect((await statusOf(octokit.apps.getAuthenticated())).status).toBe(403);
    const stranger = client(fake.url, "ghp_not_issued_by_the_fake");
    expect((await statusOf(stranger.repos.get({ owner: OWNER, repo: REPO }))).status).toBe(401);
    expect(fake.violations.map((v) => v.kind)).toEqual(["auth", "auth", "auth"]);
  });

  it("exchanges a manifest code once, without auth, and then accepts only JWTs signed with the key it handed out", async () => {
    const { fake, app } = await start();
    const anonymous = new Octokit({ baseUrl: fake.url, log: quietLog });
    const code = fake.state.addManifestCode();
    const { data } = await anonymous.apps.createFromManifest({ code });
    expect(data).toMatchObject({ id: fake.state.app.id, slug: fake.state.app.slug });
    expect(data.webhook_secret).toMatch(/^[0-9a-f]{40}$/);
    expect(createPrivateKey(data.pem).asymmetricKeyType).toBe("rsa");
    expect((await statusOf(anonymous.apps.createFromManifest({ code }))).status).toBe(404);
    // The fixture's unsigned JWT no longer passes; one signed with the handed-out key does.
    expect((await statusOf(app.apps.getAuthenticated())).status).toBe(401);
    const signed = client(fake.url, signedJwt(data.id, data.pem));
    expect((await signed.apps.getAuthenticated()).data?.id).toBe(fake.state.app.id);
    const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const stranger = client(
      fake.url,
      signedJwt(data.id, otherKey.export({ type: "pkcs1", format: "pem" }).toString()),
    );
    expect((await statusOf(stranger.apps.getAuthenticated())).status).toBe(401);
  });

  it("hides repositories of other installations (404), as GitHub does", async () => {
    const { fake, octokit } = await start();
    fake.state.addRepo({ fullName: "other-org/secret" });
    expect((await statusOf(octokit.repos.get({ owner: "other-org", repo: "secret" }))).status).toBe(404);
    const theirs = client(fake.url, fake.installationToken("other-org/secret"));
    expect((await theirs.repos.get({ owner: "other-org", repo: "secret" })).status).toBe(200);
  });

  it("serves the root path style as well as /api/v3", async () => {
    const { fake } = await start({ pathPrefix: "" });
    expect(fake.url).toBe(fake.origin);
    const root = client(fake.origin, fake.installationToken(FULL_NAME));
    const ghes = client(`${fake.origin}/api/v3`, fake.installationToken(FULL_NAME));
    expect((await root.repos.get({ owner: OWNER, repo: REPO })).data.default_branch).toBe("main");
    expect((await ghes.repos.get({ owner: OWNER, repo: REPO })).data.default_branch).toBe("main");
  });
});

describe("fake GitHub: fault injection", () => {
  it("fails the next N matching requests with 500 and then recovers", async () => {
    const { fake, octokit } = await start();
    fake.faults.add({ route: "GET /repos/{owner}/{repo}", kind: "server-error", times: 2 });
    expect((await statusOf(octokit.repos.get({ owner: OWNER, repo: REPO }))).status).toBe(500);
    expect((await statusOf(octokit.repos.get({ owner: OWNER, repo: REPO }))).status).toBe(500);
    expect((await octokit.repos.get({ owner: OWNER, repo: REPO })).status).toBe(200);
    expect(fake.faults.pending()).toEqual([]);
    expect(fake.requests.filter((r) => r.fault === "server-error")).toHaveLength(2);
  });

  it("can lose the answer after the write happened (502 after effect): the dispatch ran anyway", async () => {
    const { fake, octokit } = await start();
    fake.faults.add({ route: DISPATCH, kind: "bad-gateway", afterEffect: true });
    const lost = await statusOf(
      octokit.actions.createWorkflowDispatch({
        owner: OWNER,
        repo: REPO,
        workflow_id: "task.yml",
        ref: "main",
        inputs: { task: "a" },
      }),
    );
    expect(lost.status).toBe(502);
    expect(fake.state.workflowRuns.size).toBe(1);
  });

  it("answers a secondary rate limit the way @octokit/plugin-throttling recognises it", async () => {
    const { fake, octokit, headSha } = await start();
    fake.faults.add({
      route: "POST /repos/{owner}/{repo}/check-runs",
      kind: "secondary-rate-limit",
      retryAfterSeconds: 7,
    });
    const limited = await statusOf(
      octokit.checks.create({ owner: OWNER, repo: REPO, name: "s", head_sha: headSha }),
    );
    expect(limited.status).toBe(403);
    expect(limited.message).toMatch(/secondary rate limit/i);
    expect(limited.headers["retry-after"]).toBe("7");
    expect(fake.state.checkRuns.size).toBe(0);
  });

  it("injects 422 on demand", async () => {
    const { fake, octokit } = await start();
    fake.faults.add({
      route: "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
      kind: "validation-failed",
      message: "Nope",
    });
    const issue = fake.state.addIssue({ repo: FULL_NAME, title: "t" });
    const failed = await statusOf(
      octokit.issues.createComment({ owner: OWNER, repo: REPO, issue_number: issue.number, body: "x" }),
    );
    expect(failed).toMatchObject({ status: 422, message: expect.stringContaining("Nope") });
  });
});

describe("fake GitHub: checks, pulls, comments, permissions, deliveries", () => {
  it("lists check runs for a ref with GitHub's filters (latest per name, check_name, status)", async () => {
    const { octokit, headSha } = await start();
    const make = (name: string, externalId: string) =>
      octokit.checks.create({ owner: OWNER, repo: REPO, name, head_sha: headSha, external_id: externalId });
    await make("session", "s1");
    const newer = await make("session", "s2");
    await make("task: a", "s2/a");
    await octokit.checks.update({
      owner: OWNER,
      repo: REPO,
      check_run_id: newer.data.id,
      conclusion: "success",
    });
    const latest = await octokit.checks.listForRef({
      owner: OWNER,
      repo: REPO,
      ref: "main",
      check_name: "session",
    });
    expect(latest.data.check_runs.map((r) => r.external_id)).toEqual(["s2"]);
    const all = await octokit.checks.listForRef({
      owner: OWNER,
      repo: REPO,
      ref: headSha,
      check_name: "session",
      filter: "all",
    });
    expect(all.data.total_count).toBe(2);
    const queued = await octokit.checks.listForRef({
      owner: OWNER,
      repo: REPO,
      ref: headSha,
      status: "queued",
    });
    expect(queued.data.check_runs.map((r) => r.name)).toEqual(["task: a"]);
  });

  it("opens pull requests once per head and filters by owner:branch", async () => {
    const { fake, octokit } = await start();
    fake.state.commitFiles({ repo: FULL_NAME, branch: "task-a", files: { "a.txt": "a\n" } });
    const created = await octokit.pulls.create({
      owner: OWNER,
      repo: REPO,
      head: "task-a",
      base: "main",
      title: "A",
    });
    expect(created.data.head.ref).toBe("task-a");
    const again = await statusOf(
      octokit.pulls.create({ owner: OWNER, repo: REPO, head: "task-a", base: "main", title: "A" }),
    );
    expect(again.status).toBe(422);
    expect(
      (await octokit.pulls.list({ owner: OWNER, repo: REPO, head: `${OWNER}:task-a` })).data,
    ).toHaveLength(1);
    expect(
      (await octokit.pulls.list({ owner: OWNER, repo: REPO, head: `${OWNER}:task-b` })).data,
    ).toHaveLength(0);
    expect(
      (
        await statusOf(
          octokit.pulls.create({ owner: OWNER, repo: REPO, head: "nope", base: "main", title: "B" }),
        )
      ).status,
    ).toBe(422);
  });

  it("keeps one status comment edited in place, with reactions from the App's bot", async () => {
    const { fake, octokit } = await start();
    const issue = fake.state.addIssue({ repo: FULL_NAME, title: "Run the team", user: "alice" });
    const comment = await octokit.issues.createComment({
      owner: OWNER,
      repo: REPO,
      issue_number: issue.number,
      body: "starting",
    });
    expect(comment.data.user?.login).toBe(`${fake.state.app.slug}[bot]`);
    expect(comment.data.performed_via_github_app?.id).toBe(fake.state.app.id);
    await octokit.issues.updateComment({
      owner: OWNER,
      repo: REPO,
      comment_id: comment.data.id,
      body: "running",
    });
    const first = await octokit.reactions.createForIssueComment({
      owner: OWNER,
      repo: REPO,
      comment_id: comment.data.id,
      content: "eyes",
    });
    const second = await octokit.reactions.createForIssueComment({
      owner: OWNER,
      repo: REPO,
      comment_id: comment.data.id,
      content: "eyes",
    });
    expect([first.status, second.status]).toEqual([201, 200]);
    const listed = await octokit.issues.listComments({
      owner: OWNER,
      repo: REPO,
      issue_number: issue.number,
    });
    expect(listed.data.map((c) => [c.body, c.reactions?.eyes])).toEqual([["running", 1]]);
  });

  it("answers collaborator permission the GitHub way (maintain reads as write)", async () => {
    const { fake, octokit } = await start();
    fake.state.setPermission(FULL_NAME, "maya", "maintain");
    fake.state.setPermission(FULL_NAME, "tess", "triage");
    fake.state.account("outsider");
    const permission = async (username: string): Promise<string> =>
      (await octokit.repos.getCollaboratorPermissionLevel({ owner: OWNER, repo: REPO, username })).data
        .permission;
    expect(await permission("maya")).toBe("write");
    expect(await permission("tess")).toBe("read");
    expect(await permission("outsider")).toBe("read");
    expect(await permission(OWNER)).toBe("admin");
    expect((await statusOf(permission("ghost"))).status).toBe(404);
  });

  it("reads files at a commit as base64 content", async () => {
    const { fake, octokit, headSha } = await start();
    const sha = fake.state.commitFiles({
      repo: FULL_NAME,
      branch: "main",
      files: { "tasks/tasks.json": '{"tasks":[1]}' },
    });
    const read = async (ref: string): Promise<string> => {
      const response = await octokit.repos.getContent({
        owner: OWNER,
        repo: REPO,
        path: "tasks/tasks.json",
        ref,
      });
      return Buffer.from((response.data as { content: string }).content, "base64").toString("utf8");
    };
    expect(await read("main")).toBe('{"tasks":[1]}');
    expect(await read(headSha)).toBe('{"tasks":[]}\n');
    expect((await octokit.repos.getCommit({ owner: OWNER, repo: REPO, ref: "main" })).data.sha).toBe(sha);
    expect(
      (await octokit.repos.getBranch({ owner: OWNER, repo: REPO, branch: "main" })).data.commit.sha,
    ).toBe(sha);
    expect(
      (await statusOf(octokit.repos.getContent({ owner: OWNER, repo: REPO, path: "nope.json" }))).status,
    ).toBe(404);
  });

  it("lists failed hook deliveries and redelivers with the same delivery id", async () => {
    const { fake, app } = await start();
    const delivered = fake.state.addHookDelivery({
      event: "issue_comment",
      payload: { action: "created" },
      statusCode: 502,
    });
    fake.state.addHookDelivery({ event: "issue_comment", payload: { action: "created" }, statusCode: 200 });
    const failed = await app.apps.listWebhookDeliveries({ status: "failure" });
    expect(failed.data.map((d) => d.guid)).toEqual([delivered.guid]);
    await app.apps.redeliverWebhookDelivery({ delivery_id: delivered.id });
    expect(fake.takeWebhooks()).toEqual([
      { id: delivered.guid, name: "issue_comment", payload: { action: "created" } },
    ]);
    expect(fake.state.hookDeliveries.at(-1)).toMatchObject({ guid: delivered.guid, redelivery: true });
  });
});
