import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { runServer } from "../../src/github/run-server.js";
import { API_TOKEN, FULL_NAME, ServerHarness, signature, waitFor } from "./support/server-harness.js";

const TASKS = {
  tasks: [
    { id: "a", prompt: "Do a" },
    { id: "b", prompt: "Do b", dependencies: ["a"] },
  ],
};

let harness: ServerHarness | undefined;
afterEach(async () => {
  if (harness) expect(harness.violations()).toEqual([]);
  await harness?.close();
  harness = undefined;
});

async function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  await response.text();
  return response.status;
}

describe("the App's HTTP server", () => {
  it("answers /health with status, version and uptime; unknown paths get a JSON 404", async () => {
    const h = (harness = await ServerHarness.create({ tasks: TASKS }));
    const server = await h.startServer();
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", version: "0.1.0", uptime_s: expect.any(Number) });
    const missing = await fetch(`${server.url}/favicon.ico`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: "not_found", message: "no such endpoint: /favicon.ico" },
    });
  });

  it("rejects forged and unsigned webhooks before any handler runs", async () => {
    const h = (harness = await ServerHarness.create({ tasks: TASKS }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "admin");
    const server = await h.startServer();
    const webhook = h.comment({ body: "/orchestrate" });
    const body = JSON.stringify(webhook.payload);
    const url = `${server.url}/api/github/webhooks`;
    const headers = { "x-github-event": "issue_comment", "x-github-delivery": "forged-1" };

    const forged = await post(url, body, {
      ...headers,
      "x-hub-signature-256": signature(body, "not-the-secret"),
    });
    const tampered = await post(url, body.replace("/orchestrate", "/orchestrate --parallel 9"), {
      ...headers,
      "x-hub-signature-256": signature(body),
    });
    const unsigned = await post(url, body, headers);
    expect(forged).toBeGreaterThanOrEqual(400);
    expect(forged).toBeLessThan(500);
    expect(tampered).toBe(forged);
    expect(unsigned).toBe(400);
    expect(h.fake.requests).toEqual([]); // no handler asked GitHub anything
    expect(h.runs()).toEqual([]);

    // The same delivery, signed with the secret, is handled.
    expect(await h.deliver(server, webhook)).toBe(200);
    expect(h.dispatched()).toEqual(["a#1"]);
  });

  it("serves the HTTP API through the App's installation (looked up with the App's JWT)", async () => {
    const h = (harness = await ServerHarness.create({ tasks: TASKS }));
    const server = await h.startServer();
    const response = await fetch(`${server.url}/api/orchestrate`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ repository: FULL_NAME }),
    });
    expect(response.status).toBe(202);
    const started = (await response.json()) as { session_id: string; status_url: string };
    expect(h.dispatched()).toEqual(["a#1"]);
    const lookups = h.fake.requests.filter((r) => r.route === "GET /repos/{owner}/{repo}/installation");
    expect(lookups.map((r) => r.auth)).toEqual(["jwt"]);

    const status = await fetch(started.status_url, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(await status.json()).toMatchObject({ sessionId: started.session_id, state: "running" });
    const unauthorized = await fetch(`${server.url}/api/sessions`);
    expect(unauthorized.status).toBe(401);
  });

  it("turns the API off without ORCHESTRATOR_AUTH_TOKEN (503), webhooks still work", async () => {
    const h = (harness = await ServerHarness.create({ tasks: TASKS }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer({ env: { ORCHESTRATOR_AUTH_TOKEN: "" } });
    const answer = await fetch(`${server.url}/api/sessions`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("api_disabled");
    expect(await h.deliver(server, h.comment({ body: "/orchestrate" }))).toBe(200);
  });

  it("asks GitHub to redeliver failed deliveries on a sweep, and the redelivery is handled once", async () => {
    const h = (harness = await ServerHarness.create({ tasks: TASKS }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer();
    // The comment's delivery failed while the server was down (GitHub recorded a 502).
    const comment = h.comment({ body: "/orchestrate" });
    h.fake.state.addHookDelivery({
      event: "issue_comment",
      payload: comment.payload as Record<string, unknown>,
      statusCode: 502,
      guid: comment.id,
    });

    // What a scheduler does when the service is scaled to zero.
    const response = await fetch(`${server.url}/api/sweep`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ redelivered: 1, repositories: 1, warnings: [] });
    const redelivered = h.fake.takeWebhooks();
    expect(redelivered.map((w) => `${w.name} ${w.id}`)).toEqual([`issue_comment ${comment.id}`]);
    expect(await h.deliver(server, redelivered[0]!)).toBe(200);
    expect(h.dispatched()).toEqual(["a#1"]);
    // Delivered again (GitHub and a second replica both redelivered): the 👀 claim stops it.
    expect(await h.deliver(server, redelivered[0]!)).toBe(200);
    expect(h.dispatched()).toEqual(["a#1"]);
    expect(h.fake.state.hookDeliveries.filter((d) => d.redelivery)).toHaveLength(1);
  });

  it("stops gracefully: in-flight work finishes, then the port is closed", async () => {
    const h = (harness = await ServerHarness.create({ tasks: TASKS }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer();
    const delivery = h.deliver(server, h.comment({ body: "/orchestrate" }));
    // The handler is at work (it has asked GitHub something) when the stop comes.
    await waitFor(() => h.fake.requests.length > 0, "the handler's first request");
    await server.close();
    expect(await delivery).toBe(200);
    expect(h.dispatched()).toEqual(["a#1"]);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});

describe("runServer (the entry of `orchestrator serve` and the container)", () => {
  it("names every missing variable at once and exits 1 when the configuration is incomplete", async () => {
    const errors: string[] = [];
    const code = await runServer({ env: { APP_ID: "1" }, stderr: (text) => errors.push(text) });
    expect(code).toBe(1);
    expect(errors.join("")).toContain("orchestrator serve: 2 settings are missing or invalid:\n");
    expect(errors.join("")).toContain("\n  PRIVATE_KEY: is required");
    expect(errors.join("")).toContain("\n  WEBHOOK_SECRET: is required");
  });

  it("refuses to start with a short WEBHOOK_SECRET or an unreadable key, naming the variable, never the value", async () => {
    const h = (harness = await ServerHarness.create({ tasks: TASKS }));
    const start = async (env: Record<string, string>): Promise<{ code: number; stderr: string }> => {
      const errors: string[] = [];
      const code = await runServer({ env: h.configEnv(env), stderr: (text) => errors.push(text) });
      return { code, stderr: errors.join("") };
    };
    const short = await start({ WEBHOOK_SECRET: "tiny-secret" });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("orchestrator serve: WEBHOOK_SECRET: must be at least 16 characters");
    expect(short.stderr).not.toContain("tiny-secret");

    const inner = "bm90LWEtcmVhbC1rZXktYnV0LWxvb2tzLWxpa2Utb25l";
    const garbled = await start({
      PRIVATE_KEY: `-----BEGIN RSA PRIVATE KEY-----\n${inner}\n-----END RSA PRIVATE KEY-----`,
    });
    expect(garbled.code).toBe(1);
    expect(garbled.stderr).toContain(
      "orchestrator serve: PRIVATE_KEY: holds a PEM block that is not a readable private key",
    );
    expect(garbled.stderr).not.toContain(inner);
  });

  it("runs until SIGTERM, then stops and exits 0", async () => {
    const h = (harness = await ServerHarness.create({ tasks: TASKS }));
    const signals = new EventEmitter();
    const env = h.configEnv();
    const running = runServer({
      env,
      stderr: () => {},
      signals: signals as unknown as Pick<NodeJS.Process, "once" | "off">,
    });
    await waitFor(() => signals.listenerCount("SIGTERM") === 1, "the server to start");
    signals.emit("SIGTERM");
    expect(await running).toBe(0);
    expect(signals.listenerCount("SIGINT")).toBe(0);
  });
});
