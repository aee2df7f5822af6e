/**
 * The server under bad input: bodies far over the limit, forged webhooks, trickling and surplus
 * connections, malformed URLs. The real server on 127.0.0.1 against the fake GitHub; what it
 * logs is recorded, so "never logs the payload" is checked on every line Probot and the server wrote.
 */
import { connect, type Socket } from "node:net";
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { ServerConfig } from "../../src/github/config.js";
import { startServer, type OrchestratorServer } from "../../src/github/server.js";
import { recordingLogger } from "./support/recording-logger.js";
import { API_TOKEN, ServerHarness, signature } from "./support/server-harness.js";
import { streamUpload } from "./support/stream-upload.js";
import { QuietOctokit } from "./support/test-probot.js";

const TASKS = { tasks: [{ id: "a", prompt: "Do a" }] };
const MIB = 1024 * 1024;
/** What one read of a socket hands the server at most (Node's default highWaterMark of a socket is 16 KiB; 64 KiB is generous). */
const CHUNK = 64 * 1024;
const MARKER = "PAYLOAD-MARKER-7f3a";
const WEBHOOK_HEADERS = {
  "content-type": "application/json",
  "x-github-event": "issue_comment",
  "x-github-delivery": "attack-1",
  "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
};

let harness: ServerHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(overrides: Partial<ServerConfig> = {}): Promise<{
  server: OrchestratorServer;
  log: ReturnType<typeof recordingLogger>;
  config: ServerConfig;
}> {
  const h = (harness = await ServerHarness.create({ tasks: TASKS }));
  const log = recordingLogger();
  const config = { ...h.config(), ...overrides };
  const server = await startServer({ config, Octokit: QuietOctokit, sweepAtStart: false, log: log.logger });
  h.servers.push(server);
  return { server, log, config };
}

/** The server's one-line refusals (warn lines with a status). */
function refusals(log: ReturnType<typeof recordingLogger>): Array<Record<string, unknown>> {
  return log.lines
    .filter((line) => line.level === "warn")
    .map((line) => line.args[0] as Record<string, unknown>)
    .filter((data) => typeof data === "object" && data !== null && "status" in data);
}

/** A raw TCP connection to the server; `closed` settles when the server (or anyone) ends it. */
function rawSocket(port: number): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  socket.setEncoding("utf8");
  socket.on("data", (text: string) => (received += text));
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return { socket, received: () => received, closed };
}

/** Fails the test instead of hanging when `promise` never settles (a safety net, not a timing). */
function within<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: "close" } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("request bodies are bounded before anything reads them", () => {
  it("a 30 MiB webhook streamed in gets 413 after at most the limit and a chunk; the upload is cut off and nothing of it is logged", async () => {
    const limit = MIB;
    const { server, log } = await start({ maxWebhookBytes: limit });
    const upload = await within(
      streamUpload({
        url: server.url,
        path: "/api/github/webhooks",
        headers: WEBHOOK_HEADERS,
        totalBytes: 30 * MIB,
        ignoreAnswer: true,
        prefix: `{"marker":"${MARKER}","filler":"`,
      }),
      "the upload to end",
    );

    expect(upload.status).toBe(413);
    expect(upload.headers.connection).toBe("close");
    expect(JSON.parse(upload.body)).toEqual({
      error: { code: "body_too_large", message: `webhook bodies are limited to ${limit} bytes` },
    });
    // The server stopped reading: what the client got onto the wire is kernel buffers, not 30 MiB.
    expect(upload.written).toBeLessThan(15 * MIB);
    const [refusal, ...more] = refusals(log);
    expect(more).toEqual([]);
    expect(refusal).toMatchObject({ method: "POST", path: "/api/github/webhooks", status: 413 });
    expect(refusal?.readBytes).toBeGreaterThan(limit);
    expect(refusal?.readBytes).toBeLessThanOrEqual(limit + CHUNK);
    expect(log.text()).not.toContain(MARKER);
    expect(log.text()).not.toContain("0".repeat(64)); // nor the signature header
  });

  it("a declared Content-Length over the limit is refused before a byte of the body is read", async () => {
    const { server, log } = await start({ maxWebhookBytes: MIB });
    const upload = await within(
      streamUpload({
        url: server.url,
        path: "/api/github/webhooks",
        headers: WEBHOOK_HEADERS,
        totalBytes: 30 * MIB,
        ignoreAnswer: true,
        declareLength: true,
      }),
      "the upload to end",
    );
    expect(upload.status).toBe(413);
    expect(upload.written).toBeLessThan(15 * MIB);
    expect(refusals(log)).toEqual([
      expect.objectContaining({ status: 413, readBytes: 0, declaredBytes: 30 * MIB }),
    ]);
  });

  it("a forged webhook under the limit: 400, one log line, no payload in any log (Probot never sees it)", async () => {
    const { server, log } = await start();
    const body = JSON.stringify({ marker: MARKER, filler: "b".repeat(200_000) });
    const response = await fetch(`${server.url}/api/github/webhooks`, {
      method: "POST",
      headers: { ...WEBHOOK_HEADERS, "x-hub-signature-256": signature(body, "not-the-secret-at-all") },
      body,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("bad_signature");
    expect(refusals(log)).toEqual([
      expect.objectContaining({ method: "POST", status: 400, readBytes: Buffer.byteLength(body) }),
    ]);
    expect(log.text()).not.toContain(MARKER);
    expect(log.lines.filter((line) => line.level === "error")).toEqual([]);
  });

  it("the HTTP API's bodies: 413 past its smaller limit without draining, whether or not the caller is authenticated", async () => {
    const limit = 64 * 1024;
    const { server, log } = await start({ maxBodyBytes: limit });
    const json = { "content-type": "application/json" };
    const authorized = await within(
      streamUpload({
        url: server.url,
        path: "/api/quick-start",
        headers: { ...json, authorization: `Bearer ${API_TOKEN}` },
        totalBytes: 30 * MIB,
        ignoreAnswer: true,
        prefix: `{"prompt":"${MARKER}`,
      }),
      "the upload to end",
    );
    expect(authorized.status).toBe(413);
    expect(JSON.parse(authorized.body).error.code).toBe("body_too_large");
    expect(authorized.written).toBeLessThan(15 * MIB);
    // Cut off inside the API's reader (no length was declared): the API logs the one line.
    expect(refusals(log)).toEqual([{ what: "POST /api/quick-start", status: 413 }]);

    // No token: 401 at once, and the body it never read is not drained either.
    const anonymous = await within(
      streamUpload({
        url: server.url,
        path: "/api/orchestrate",
        headers: json,
        totalBytes: 30 * MIB,
        ignoreAnswer: true,
      }),
      "the upload to end",
    );
    expect(anonymous.status).toBe(401);
    expect(anonymous.written).toBeLessThan(15 * MIB);

    const declared = await within(
      streamUpload({
        url: server.url,
        path: "/api/orchestrate",
        headers: json,
        totalBytes: 30 * MIB,
        ignoreAnswer: true,
        declareLength: true,
      }),
      "the upload to end",
    );
    expect(declared.status).toBe(413);
    expect(refusals(log)).toEqual([
      { what: "POST /api/quick-start", status: 413 },
      expect.objectContaining({
        path: "/api/orchestrate",
        status: 413,
        readBytes: 0,
        declaredBytes: 30 * MIB,
      }),
    ]);
    expect(log.text()).not.toContain(MARKER);
  });
});

describe("slow, idle and surplus connections", () => {
  it("drops a client that trickles its headers, and one that trickles its body (408, socket closed)", async () => {
    const { server } = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const trickle = (head: string): { received: () => string; closed: Promise<void> } => {
      const client = rawSocket(server.port);
      client.socket.write(head);
      // One byte every 20 ms, never finishing; bounded so a server that never drops it cannot keep the test's timers alive.
      let sent = 0;
      const timer = setInterval(() => {
        if (client.socket.destroyed || ++sent > 1_000) clearInterval(timer);
        else client.socket.write("x");
      }, 20);
      void client.closed.then(() => clearInterval(timer));
      return client;
    };
    const headers = trickle("POST /api/github/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    const body = trickle(
      "POST /api/github/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
        `X-Hub-Signature-256: sha256=${"0".repeat(64)}\r\nContent-Length: 100000\r\n\r\n{`,
    );
    await within(headers.closed, "the server to drop the header trickler");
    await within(body.closed, "the server to drop the body trickler");
    expect(headers.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(body.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("refuses connections over the cap at accept; a freed slot serves again", async () => {
    // Long timeouts: the held connections must outlast the test however busy the machine is.
    const { server, log } = await start({
      maxConnections: 3,
      headersTimeoutMs: 600_000,
      requestTimeoutMs: 600_000,
    });
    const held = [rawSocket(server.port), rawSocket(server.port), rawSocket(server.port)];
    for (const client of held) {
      await new Promise<void>((resolve) => client.socket.once("connect", () => resolve()));
      client.socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"); // headers never finished
    }
    const surplus = rawSocket(server.port);
    await within(surplus.closed, "the server to refuse the fourth connection");
    expect(surplus.received()).toBe("");
    expect(
      log.lines.some((line) => line.level === "warn" && String(line.args[1]).includes("already open")),
    ).toBe(true);
    for (const client of held) expect(client.socket.destroyed).toBe(false);

    held[0]!.socket.destroy();
    // The server learns of the close asynchronously: try again until a request gets through.
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
      status = await get(`${server.url}/health`).catch(() => 0);
    }
    expect(status).toBe(200);
    for (const client of held) client.socket.destroy();
  });
});

describe("malformed URLs", () => {
  it("a broken %-escape gets 400 and one log line, not a 500 with a stack trace", async () => {
    const { server, log } = await start();
    for (const path of ["/api/status/%E0%A4%A", "/api/%E0%A4%A", "/api/github/webhooks%E0"]) {
      const response = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${API_TOKEN}` },
      });
      expect(response.status, path).toBe(400);
      expect(await response.json()).toEqual({
        error: { code: "bad_url", message: "the URL is malformed (e.g. a broken %-escape)" },
      });
    }
    expect(refusals(log)).toHaveLength(3);
    expect(log.lines.filter((line) => line.level === "error")).toEqual([]);
    expect(log.text()).not.toContain("URIError");
  });
});
