import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { createNodeMiddleware, Probot, type Logger, type ProbotOctokit } from "probot";
import { packageVersion } from "../package/package-files.js";
import { createOrchestratorApp } from "./app.js";
import { describeConfig, type ServerConfig } from "./config.js";
import { createAppService, type AppService } from "./app-service.js";
import type { GitHubClient } from "./github-client.js";
import { createHttpApi } from "./http-api/http-api.js";
import { sendError } from "./http-api/json-io.js";
import { RateLimiter } from "./http-api/rate-limiter.js";
import { createInstallationClients } from "./installation-clients.js";
import { refuseRequest } from "./refuse-request.js";
import { declaredLength } from "./request-body.js";
import { withRetryPolicy } from "./retry-policy.js";
import { runtimeIdle, type AppConfig } from "./sessions/index.js";
import { createSweeper, type SweepReport } from "./sweeper.js";
import { createWebhookGate } from "./webhook-gate.js";

/**
 * The App's HTTP server: GitHub webhooks (Probot's middleware, signature-checked), the HTTP API
 * and /health on one port; a periodic sweep of active sessions with a pass over failed webhook
 * deliveries. Everything that matters lives on GitHub, so a server can stop at any moment and
 * another (or two) carry on. Probot 14 has no Express: this is a plain node:http server.
 */
export interface OrchestratorServer {
  /** http://host:port */
  url: string;
  port: number;
  probot: Probot;
  /** The plumbing every handler, the HTTP API and the sweeper share. */
  service: AppService;
  /** One sweep and redelivery pass now (also what the timer runs). */
  sweep(): Promise<SweepReport>;
  /** Resolves once the work of answered webhooks and every queued session pass has finished. */
  idle(): Promise<void>;
  /** Stops taking requests, lets running ones and queued session work finish (up to `graceMs`). */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface StartServerOptions {
  config: ServerConfig;
  /** Probot's Octokit class; tests pass one with retries and throttling off. Default: Probot's, with the App's retry policy. */
  Octokit?: typeof ProbotOctokit;
  /** Overrides of the session use-cases' settings (tests shorten intervals). */
  appConfig?: Partial<AppConfig>;
  /** Sweep once right after start (default true: catches what happened while no server ran). */
  sweepAtStart?: boolean;
  now?: () => Date;
  /** Where Probot and the server log (tests record it); default: Probot's pino logger on stdout. */
  log?: Logger | undefined;
}

/**
 * Behind Cloud Run's front end, idle keep-alive sockets must outlive the proxy's (600 s), or it
 * may reuse one the server is closing (a 502). The connection cap bounds how many wait.
 */
const KEEP_ALIVE_TIMEOUT_MS = 620_000;

export async function startServer(options: StartServerOptions): Promise<OrchestratorServer> {
  const { config } = options;
  const now = options.now ?? ((): Date => new Date());
  const startedAt = now().getTime();
  const probot = new Probot({
    appId: config.appId,
    privateKey: config.privateKey,
    secret: config.webhookSecret,
    ...(config.baseUrl === undefined ? {} : { baseUrl: config.baseUrl }),
    Octokit: options.Octokit ?? withRetryPolicy(),
    logLevel: config.logLevel === "silent" ? "fatal" : config.logLevel,
    logFormat: config.logFormat,
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  await probot.ready();
  const log = probot.log.child({ name: "orchestrator" });
  if (config.logLevel === "silent") log.level = "silent";

  const service = createAppService({
    config,
    log,
    now,
    ...(options.appConfig === undefined ? {} : { appConfig: options.appConfig }),
  });
  const webhooks = createWebhookGate({
    secret: config.webhookSecret,
    maxBytes: config.maxWebhookBytes,
    log,
    probot: await createNodeMiddleware(createOrchestratorApp(service), {
      probot,
      webhooksPath: config.webhookPath,
    }),
  });
  const clients = createInstallationClients({
    appClient: async () => (await probot.auth()) as GitHubClient,
    installationClient: async (id) => (await probot.auth(id)) as GitHubClient,
    now: () => now().getTime(),
  });
  const sweeper = createSweeper({
    probot,
    clients,
    sweepRepos: config.sweepRepos,
    redeliverHours: config.redeliverHours,
    service,
  });
  const version = packageVersion();
  const api = createHttpApi({
    authToken: config.authToken,
    defaultRepo: config.defaultRepo,
    limiter: new RateLimiter(config.rateLimit),
    trustedProxies: config.trustedProxies,
    maxBodyBytes: config.maxBodyBytes,
    clientForRepo: (repo) => clients.forRepo(repo),
    service,
    sweep: () => sweeper.sweep(),
    health: () => ({ status: "ok", version, uptime_s: Math.round((now().getTime() - startedAt) / 1000) }),
    nowMs: () => now().getTime(),
  });

  let closing = false;
  const webhookPath = config.webhookPath.replace(/\/+$/, "");
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (closing) res.setHeader("connection", "close");
    res.once("finish", () => {
      // An answer given before the body was read (401, 404, a refusal): close the connection
      // rather than let Node drain the rest of the body to keep the socket alive.
      if (!req.complete) req.socket.destroySoon();
      // A keep-alive socket whose last request finishes during a stop would hold the stop up.
      if (closing) setImmediate(() => http.closeIdleConnections());
    });
    const path = requestPath(req.url);
    if (path === undefined) {
      refuseRequest({
        req,
        res,
        log,
        status: 400,
        error: { code: "bad_url", message: "the URL is malformed (e.g. a broken %-escape)" },
        path: undefined,
      });
      return;
    }
    try {
      // The webhook path is under /api/ too: it goes first, authenticated by its signature.
      if (path.replace(/\/+$/, "") === webhookPath) {
        await webhooks(req, res, path);
        return;
      }
      // Everything else takes at most the API's small bodies; a declared larger one is refused
      // before any route runs (an undeclared one is cut off by the API's reader).
      const declared = declaredLength(req);
      if (declared !== undefined && declared > config.maxBodyBytes) {
        refuseRequest({
          req,
          res,
          log,
          status: 413,
          error: {
            code: "body_too_large",
            message: `the request body is larger than ${config.maxBodyBytes} bytes`,
          },
          path,
          readBytes: 0,
          declaredBytes: declared,
        });
        return;
      }
      if (await api(req, res)) return;
      sendError(res, 404, { code: "not_found", message: `no such endpoint: ${path}` });
    } catch (error) {
      log.error({ err: error }, "request failed");
      if (!res.headersSent)
        sendError(res, 500, { code: "internal_error", message: "the server failed; see its logs" });
      else res.end();
    }
  };
  const http = createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      // How often Node checks those two timeouts (its default, 30 s, would let them run over).
      connectionsCheckingInterval: Math.max(10, Math.min(5_000, Math.floor(config.headersTimeoutMs / 4))),
    },
    (req, res) => void handle(req, res),
  );
  http.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Connections past the cap are closed at accept, before a byte is read.
  http.maxConnections = config.maxConnections;
  let drops = { count: 0, loggedAt: -Infinity };
  http.on("drop", () => {
    // One line a minute at most: a flood of connections must not become a flood of logs.
    drops.count++;
    const at = now().getTime();
    if (at - drops.loggedAt < 60_000) return;
    log.warn(
      { maxConnections: config.maxConnections, dropped: drops.count },
      `refused ${drops.count} connection(s): ${config.maxConnections} already open (ORCHESTRATOR_MAX_CONNECTIONS)`,
    );
    drops = { count: 0, loggedAt: at };
  });
  await listen(http, config.port, config.host);
  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  log.info({ ...describeConfig(config), port, version }, `orchestrator listening on http://${host}:${port}`);

  const timer =
    config.sweepMinutes > 0
      ? setInterval(() => void sweeper.sweep().catch(() => undefined), config.sweepMinutes * 60_000)
      : undefined;
  timer?.unref();
  if (options.sweepAtStart !== false && config.sweepMinutes > 0) void sweeper.sweep().catch(() => undefined);

  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    port,
    probot,
    service,
    sweep: () => sweeper.sweep(),
    idle: () => runtimeIdle(service.runtime),
    async close(closeOptions = {}) {
      if (closing) return;
      closing = true;
      if (timer) clearInterval(timer);
      service.runtime.background.cancelLater();
      const grace = closeOptions.graceMs ?? 8_000;
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, grace).unref());
      await Promise.race([Promise.all([closed, runtimeIdle(service.runtime), sweeper.idle()]), deadline]);
      http.closeAllConnections();
      log.info("orchestrator stopped");
    },
  };
}

/** The request's path, or undefined when the URL cannot be parsed or decoded (a 400, not a 500). */
function requestPath(url: string | undefined): string | undefined {
  try {
    const { pathname } = new URL(url ?? "/", "http://localhost");
    decodeURIComponent(pathname);
    return pathname;
  } catch {
    return undefined;
  }
}

function listen(http: HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${port} on ${host} is already in use; set PORT to another port`, { cause: error })
          : error,
      );
    };
    http.once("error", onError);
    http.listen(port, host, () => {
      http.off("error", onError);
      resolve();
    });
  });
}
