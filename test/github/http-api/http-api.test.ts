import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GitHubClient, RepoRef } from "../../../src/github/github-client.js";
import { createHttpApi, type HttpApiDeps } from "../../../src/github/http-api/http-api.js";
import { RateLimiter } from "../../../src/github/http-api/rate-limiter.js";
import { NotInstalledError } from "../../../src/github/installation-clients.js";
import { createAppConfig, createSessionRuntime } from "../../../src/github/sessions/index.js";
import { startFakeGitHub, type FakeGitHub } from "../../support/fake-github/start-fake-github.js";
import { TASK_WORKFLOW } from "../../support/simulated-session.js";
import type { Payload } from "../support/webhook-examples.js";

const TOKEN = "t0ken-for-the-http-api-tests-0123456789";
const TASKS = {
  tasks: [
    { id: "api", prompt: "Build the API" },
    { id: "web", prompt: "Build the web app", dependencies: ["api"] },
  ],
};

let fake: FakeGitHub;
let server: Server;
let base: string;
let clock = 0;
let limiter: RateLimiter;
const warnings: string[] = [];
let sweeps = 0;

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.state.addRepo({
    fullName: "acme/widgets",
    files: {
      ".github/workflows/orchestrator-task.yml": TASK_WORKFLOW,
      "tasks/tasks.json": JSON.stringify(TASKS),
    },
  });
  const clientForRepo = async (repo: RepoRef): Promise<GitHubClient> => {
    if (!fake.state.repo(`${repo.owner}/${repo.repo}`)) throw new NotInstalledError(repo);
    return new Octokit({ baseUrl: fake.url, auth: fake.installationToken(`${repo.owner}/${repo.repo}`) });
  };
  const deps = (): HttpApiDeps => ({
    authToken: TOKEN,
    defaultRepo: { owner: "acme", repo: "widgets" },
    limiter,
    trustedProxies: 1,
    maxBodyBytes: 4096,
    clientForRepo,
    service: {
      config: createAppConfig({ sleep: async () => {}, runLookup: { attempts: 1, delayMs: 0 } }),
      runtime: createSessionRuntime(),
      log: {
        info: () => undefined,
        warn: (_data: object, message: string) => warnings.push(message),
        error: (_data: object, message: string) => warnings.push(message),
      },
    },
    health: () => ({ status: "ok", version: "1.2.3", uptime_s: 7 }),
    sweep: async () => ({ repositories: 1, sessions: sweeps++ }),
    nowMs: () => clock,
  });
  server = createServer((req, res) => {
    void createHttpApi(deps())(req, res).then((handled) => {
      if (!handled) res.writeHead(418).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  expect(fake.violations).toEqual([]);
  await new Promise((resolve) => server.close(resolve));
  await fake.close();
});

beforeEach(() => {
  limiter = new RateLimiter({ perMinute: 60, burst: 5 });
  clock += 3_600_000;
});

async function call(
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; headers?: Record<string, string>; raw?: string } = {},
): Promise<{ status: number; headers: Headers; json: Payload }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : {} };
}

describe("authentication", () => {
  it("answers 401 with a WWW-Authenticate challenge without a token, with a wrong one, and with a malformed header", async () => {
    const none = await call("GET", "/api/sessions", { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="orchestrator"');
    expect(none.json.error.code).toBe("unauthorized");

    const wrong = await call("GET", "/api/sessions", { token: `${TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(wrong.json.error.message).toBe("the token is not valid");

    const basic = await call("GET", "/api/sessions", {
      token: null,
      headers: { authorization: `Basic ${TOKEN}` },
    });
    expect(basic.status).toBe(401);
    expect(basic.json.error.message).toContain('"Bearer <token>"');
  });

  it("serves /health without a token", async () => {
    const health = await call("GET", "/health", { token: null });
    expect(health).toMatchObject({ status: 200, json: { status: "ok", version: "1.2.3", uptime_s: 7 } });
  });
});

describe("rate limiting", () => {
  it("answers 429 with Retry-After once a client's bucket is empty; other clients are not affected", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (await call("GET", "/api/sessions", { headers: { "x-forwarded-for": "198.51.100.7" } })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await call("GET", "/api/sessions", { headers: { "x-forwarded-for": "198.51.100.7" } });
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.json.error.code).toBe("rate_limited");
    // A spoofed entry on the left does not buy a new bucket: the proxy's entry (rightmost) counts.
    const spoofed = await call("GET", "/api/sessions", {
      headers: { "x-forwarded-for": "10.9.9.9, 198.51.100.7" },
    });
    expect(spoofed.status).toBe(429);
    expect(
      (await call("GET", "/api/sessions", { headers: { "x-forwarded-for": "203.0.113.9" } })).status,
    ).toBe(200);
    // A second later one token is back.
    clock += 1_000;
    expect(
      (await call("GET", "/api/sessions", { headers: { "x-forwarded-for": "198.51.100.7" } })).status,
    ).toBe(200);
  });

  it("limits wrong tokens too, in a bucket of their own", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await call("GET", "/api/sessions", { token: `guess-${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await call("GET", "/api/sessions")).status).toBe(200);
  });
});

describe("validation", () => {
  it("answers 400 naming the field", async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ parallel: 0 }, "parallel", /^parallel: must be a whole number from 1 to 64$/],
      [{ parallel: "three" }, "parallel", /^parallel: must be a whole number from 1 to 64$/],
      [{ parallel: 65 }, "parallel", /^parallel: must be a whole number from 1 to 64$/],
      [{ paralel: 2 }, "paralel", /unknown field "paralel"/],
      [{ repository: "not a repo" }, "repository", /owner\/repo/],
      [
        { budget_usd: -1 },
        "budget_usd",
        /^budget_usd: must be a positive amount in US dollars, at most 10000$/,
      ],
      [{ only: [] }, "only", /at least one task id/],
      [{ file: "a.json", tasks_file: "b.json" }, "file", /not both/],
    ];
    for (const [body, field, message] of cases) {
      clock += 60_000; // stay under the rate limit
      const answer = await call("POST", "/api/orchestrate", { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.json.error).toMatchObject({ code: "invalid_request", field });
      expect(answer.json.error.message).toMatch(message);
    }
  });

  it("refuses bad JSON (400), other content types (415) and bodies over the limit (413)", async () => {
    const broken = await call("POST", "/api/orchestrate", {
      raw: "{",
      headers: { "content-type": "application/json" },
    });
    expect(broken.status).toBe(400);
    expect(broken.json.error.code).toBe("invalid_json");
    const form = await call("POST", "/api/orchestrate", {
      raw: "a=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    const large = await call("POST", "/api/quick-start", { body: { prompt: "x".repeat(5000) } });
    expect(large.status).toBe(413);
    expect(large.json.error.code).toBe("body_too_large");
  });

  it("checks quick-start tasks like a tasks file, naming the task and field", async () => {
    const answer = await call("POST", "/api/quick-start", {
      body: {
        tasks: [
          { id: "a", prompt: "A" },
          { id: "b", prompt: "B", dependencies: ["c"] },
        ],
      },
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatchObject({ code: "invalid_tasks", field: "tasks.1.dependencies.0" });
    expect(answer.json.error.message).toContain('task "b"');
    const neither = await call("POST", "/api/quick-start", { body: {} });
    expect(neither.json.error).toMatchObject({ code: "invalid_request", field: "prompt" });
  });

  it("answers 404 for unknown sessions and endpoints, 405 for the wrong method", async () => {
    const unknown = await call("GET", "/api/status/acme:widgets:999999");
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe("session_not_found");
    const bad = await call("GET", "/api/status/not-an-id");
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe("session_id");
    const uninstalled = await call("GET", "/api/sessions?repository=acme/elsewhere");
    expect(uninstalled.status).toBe(404);
    expect(uninstalled.json.error.code).toBe("not_installed");
    expect((await call("GET", "/api/nothing")).status).toBe(404);
    const method = await call("GET", "/api/orchestrate");
    expect(method.status).toBe(405);
    expect(method.headers.get("allow")).toBe("POST");
  });
});

describe("happy paths", () => {
  it("POST /api/orchestrate starts a session (202), GET /api/status and /api/sessions show it", async () => {
    const started = await call("POST", "/api/orchestrate", { body: { parallel: "2" } });
    expect(started.status).toBe(202);
    const id = started.json.session_id as string;
    expect(id).toMatch(/^acme:widgets:[0-9]+$/);
    expect(started.json).toMatchObject({
      repository: "acme/widgets",
      state: "running",
      status_url: `${base}/api/status/${id}`,
    });
    expect(started.json.tasks).toEqual([
      { id: "api", status: "running", branch: "orchestrator/api" },
      { id: "web", status: "pending", branch: "orchestrator/web" },
    ]);

    const status = await fetch(started.json.status_url, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await status.json()) as {
      sessionId: string;
      trigger: unknown;
      totals: { running: number };
    };
    expect(body).toMatchObject({ sessionId: id, trigger: { kind: "api" }, totals: { running: 1 } });

    const list = await call("GET", "/api/sessions?repository=acme/widgets");
    expect(list.json.sessions.map((s: { sessionId: string }) => s.sessionId)).toContain(id);
  });

  it("POST /api/quick-start runs a prompt as a one-task session; its prompt goes in the dispatch inputs", async () => {
    const started = await call("POST", "/api/quick-start", { body: { prompt: "Fix the typo in README.md" } });
    expect(started.status).toBe(202);
    expect(started.json.tasks).toHaveLength(1);
    expect(started.json.tasks[0].branch).toMatch(/^orchestrator\/quick-[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$/);
    const run = [...fake.state.workflowRuns.values()].at(-1);
    expect(run?.inputs).toMatchObject({ prompt: "Fix the typo in README.md", task_id: "quick-start" });
    expect(run?.inputs.tasks_ref).toBeUndefined();
  });

  it("POST /api/sweep runs a sweep now and answers its report (for a scheduler when scaled to zero)", async () => {
    expect(await call("POST", "/api/sweep", { token: null })).toMatchObject({ status: 401 });
    expect(await call("POST", "/api/sweep")).toMatchObject({
      status: 200,
      json: { repositories: 1, sessions: 0 },
    });
    expect(sweeps).toBe(1);
  });

  it("explains a start that cannot happen (422 with the use-case's reason)", async () => {
    const answer = await call("POST", "/api/orchestrate", { body: { tasks_file: "tasks/missing.json" } });
    expect(answer.status).toBe(422);
    expect(answer.json.error.code).toBe("file_not_found");
    expect(answer.json.error.message).toContain("tasks/missing.json");
  });
});
