import type { IncomingMessage, ServerResponse } from "node:http";
import { parseSessionId } from "../../core/session-id.js";
import { describeApiError, httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";
import { NotInstalledError } from "../installation-clients.js";
import type { AppService } from "../app-service.js";
import {
  getSessionStatus,
  listActiveSessions,
  logWarnings,
  startSession,
  type SessionStatus,
  type StartSessionOptions,
  type StartSessionResult,
} from "../sessions/index.js";
import { ApiError, badRequest, notFound } from "./api-error.js";
import {
  orchestrateBodySchema,
  parseBody,
  parseRepository,
  quickStartBodySchema,
  quickStartTasks,
  toStartOptions,
} from "./api-schemas.js";
import { checkBearerToken } from "./bearer-auth.js";
import { clientAddress } from "./client-address.js";
import { readJsonBody, sendError, sendJson } from "./json-io.js";
import type { RateLimiter } from "./rate-limiter.js";

/**
 * The HTTP API for phones and scripts (DESIGN §5):
 *   POST /api/orchestrate       start a session from a tasks file      → 202
 *   POST /api/quick-start       start a session from a prompt or tasks → 202
 *   GET  /api/status/{id}       a session's status                     → 200
 *   GET  /api/sessions          a repository's running sessions        → 200
 *   POST /api/sweep             sweep + redelivery pass now (a scheduler's ping when scaled to zero) → 200
 *   GET  /health                liveness, no token                     → 200
 * Bearer token, constant-time compared; token bucket per client address (and whether the token
 * was right, so guessing tokens drains a bucket of its own); JSON errors `{error: {code, message}}`.
 */
export interface HttpApiDeps {
  /** Unset: the API is off (503), only /health answers. */
  authToken: string | undefined;
  defaultRepo: RepoRef | undefined;
  limiter: RateLimiter;
  trustedProxies: number;
  maxBodyBytes: number;
  clientForRepo: (repo: RepoRef) => Promise<GitHubClient>;
  /** The session use-cases' settings and runtime, and the log. */
  service: Pick<AppService, "config" | "runtime" | "log">;
  health: () => { status: "ok"; version: string; uptime_s: number };
  /** One sweep and redelivery pass (what the timer runs); its report. */
  sweep: () => Promise<object>;
  nowMs: () => number;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

type Route = (args: {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
}) => Promise<void>;

export function createHttpApi(deps: HttpApiDeps): HttpHandler {
  const routes: Array<{ method: string; pattern: RegExp; handle: Route }> = [
    { method: "POST", pattern: /^\/api\/orchestrate\/?$/, handle: (a) => orchestrate(deps, a) },
    { method: "POST", pattern: /^\/api\/quick-start\/?$/, handle: (a) => quickStart(deps, a) },
    { method: "GET", pattern: /^\/api\/status\/([^/]+)\/?$/, handle: (a) => status(deps, a) },
    { method: "GET", pattern: /^\/api\/sessions\/?$/, handle: (a) => sessions(deps, a) },
    {
      method: "POST",
      pattern: /^\/api\/sweep\/?$/,
      handle: async ({ res }) => sendJson(res, 200, await deps.sweep()),
    },
  ];

  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/health") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        sendError(
          res,
          405,
          { code: "method_not_allowed", message: "use GET /health" },
          { allow: "GET, HEAD" },
        );
      } else {
        sendJson(res, 200, deps.health());
      }
      return true;
    }
    if (!url.pathname.startsWith("/api/")) return false;
    try {
      guard(deps, req);
      const matching = routes.filter((route) => route.pattern.test(url.pathname));
      const route = matching.find((candidate) => candidate.method === req.method);
      if (!route) {
        if (matching.length === 0) throw notFound("not_found", `no such endpoint: ${url.pathname}`);
        const allow = matching.map((candidate) => candidate.method).join(", ");
        throw new ApiError(
          405,
          { code: "method_not_allowed", message: `use ${allow} ${url.pathname}` },
          { allow },
        );
      }
      const params = (route.pattern.exec(url.pathname) ?? []).slice(1);
      await route.handle({ req, res, url, params });
    } catch (error) {
      answerError(deps, res, error, `${req.method ?? "?"} ${url.pathname}`);
    }
    return true;
  };
}

/** Off, rate limited or not authenticated: throws the answer. */
function guard(deps: HttpApiDeps, req: IncomingMessage): void {
  if (deps.authToken === undefined) {
    throw new ApiError(503, {
      code: "api_disabled",
      message: "the HTTP API is off: set ORCHESTRATOR_AUTH_TOKEN on the server to turn it on",
    });
  }
  const auth = checkBearerToken(req.headers.authorization, deps.authToken);
  const address = clientAddress(req, deps.trustedProxies);
  const decision = deps.limiter.take(`${address}|${auth.ok ? "token" : "no-token"}`, deps.nowMs());
  if (!decision.allowed) {
    throw new ApiError(
      429,
      { code: "rate_limited", message: `too many requests; try again in ${decision.retryAfterSeconds} s` },
      { "retry-after": String(decision.retryAfterSeconds) },
    );
  }
  if (!auth.ok) {
    const challenge =
      auth.reason === "missing"
        ? 'Bearer realm="orchestrator"'
        : 'Bearer realm="orchestrator", error="invalid_token"';
    const message =
      auth.reason === "missing"
        ? 'send the token as "Authorization: Bearer <ORCHESTRATOR_AUTH_TOKEN>"'
        : auth.reason === "malformed"
          ? 'the Authorization header must be "Bearer <token>"'
          : "the token is not valid";
    throw new ApiError(401, { code: "unauthorized", message }, { "www-authenticate": challenge });
  }
}

function answerError(deps: HttpApiDeps, res: ServerResponse, error: unknown, what: string): void {
  if (error instanceof ApiError) {
    // A body cut off at the limit: one line, never the body (the server logs its own refusals alike).
    if (error.status === 413)
      deps.service.log.warn({ what: what.slice(0, 200), status: 413 }, `refused ${what.slice(0, 200)}: 413`);
    sendError(res, error.status, error.body, error.headers);
    return;
  }
  if (error instanceof NotInstalledError) {
    sendError(res, 404, { code: "not_installed", message: error.message });
    return;
  }
  const status = httpStatus(error);
  if (status !== undefined) {
    // GitHub refused or failed: say what it said; the caller may retry.
    deps.service.log.warn({ status, what }, `GitHub answered ${status}`);
    sendError(res, 502, { code: "github_error", message: describeApiError(error) });
    return;
  }
  deps.service.log.error({ err: error, what }, "HTTP API request failed");
  sendError(res, 500, { code: "internal_error", message: "the server failed; see its logs" });
}

function repositoryOf(deps: HttpApiDeps, given: string | undefined | null, field = "repository"): RepoRef {
  if (given !== undefined && given !== null && given !== "") {
    const repo = parseRepository(given);
    if (!repo) throw badRequest("invalid_request", `${field}: must be "owner/repo"`, field);
    return repo;
  }
  if (deps.defaultRepo) return deps.defaultRepo;
  throw badRequest(
    "invalid_request",
    `${field}: name the repository ("owner/repo"); the server has no ORCHESTRATOR_DEFAULT_REPO`,
    field,
  );
}

async function orchestrate(deps: HttpApiDeps, { req, res }: Parameters<Route>[0]): Promise<void> {
  const body = parseBody(orchestrateBodySchema, await readJsonBody(req, deps.maxBodyBytes));
  const repo = repositoryOf(deps, body.repository);
  await startFromApi({ deps, repo, options: toStartOptions(body), req, res });
}

async function quickStart(deps: HttpApiDeps, { req, res }: Parameters<Route>[0]): Promise<void> {
  const body = parseBody(quickStartBodySchema, await readJsonBody(req, deps.maxBodyBytes));
  const repo = repositoryOf(deps, body.repository);
  const inlineTasks = quickStartTasks(body, new Date(deps.nowMs()));
  await startFromApi({ deps, repo, options: { ...toStartOptions(body), inlineTasks }, req, res });
}

/** Both start endpoints: act through the App's installation on the repository, answer 202 or why not. */
async function startFromApi(args: {
  deps: HttpApiDeps;
  repo: RepoRef;
  options: StartSessionOptions;
  req: IncomingMessage;
  res: ServerResponse;
}): Promise<void> {
  const { deps, repo } = args;
  const client = await deps.clientForRepo(repo);
  const result = await startSession({
    client,
    repo,
    options: args.options,
    trigger: { kind: "api", actor: "api" },
    config: deps.service.config,
    runtime: deps.service.runtime,
  });
  logWarnings(deps.service.log, result.warnings, { repository: `${repo.owner}/${repo.repo}` });
  answerStart(args.res, args.req, result);
}

function answerStart(res: ServerResponse, req: IncomingMessage, result: StartSessionResult): void {
  if (!result.ok) {
    const status = result.error.kind === "repo_not_found" ? 404 : 422;
    const error: Record<string, unknown> = { code: result.error.kind, message: result.error.message };
    if (result.error.issues) error.issues = result.error.issues;
    const onboarding = result.error.onboarding;
    if (onboarding !== undefined && onboarding.kind !== "nothing_missing") {
      // The message says it in words; a script gets the same as fields.
      error.onboarding = {
        outcome: onboarding.kind,
        files: onboarding.files,
        ...(onboarding.kind === "links" ? { reason: onboarding.reason } : { pull_url: onboarding.pull.url }),
      };
    }
    if (result.sessionId) {
      error.session_id = result.sessionId;
      error.status_url = statusUrl(req, result.sessionId);
    }
    if (result.status?.checkRunUrl) error.check_run_url = result.status.checkRunUrl;
    sendJson(res, status, { error });
    return;
  }
  sendJson(res, 202, {
    session_id: result.sessionId,
    status_url: statusUrl(req, result.sessionId),
    ...describe(result.status),
  });
}

async function status(deps: HttpApiDeps, { res, params }: Parameters<Route>[0]): Promise<void> {
  const raw = decodeURIComponent(params[0] ?? "");
  const ref = parseSessionId(raw);
  if (!ref) {
    throw badRequest(
      "invalid_request",
      `session_id: expected "owner:repo:number", got "${raw}"`,
      "session_id",
    );
  }
  const client = await deps.clientForRepo({ owner: ref.owner, repo: ref.repo });
  const found = await getSessionStatus({
    client,
    sessionId: raw,
    config: deps.service.config,
    runtime: deps.service.runtime,
  });
  if (!found) throw notFound("session_not_found", `no orchestrator session ${raw}`);
  sendJson(res, 200, found);
}

async function sessions(deps: HttpApiDeps, { res, url }: Parameters<Route>[0]): Promise<void> {
  const repo = repositoryOf(deps, url.searchParams.get("repository"));
  const client = await deps.clientForRepo(repo);
  const active = await listActiveSessions({
    client,
    repo,
    config: deps.service.config,
    runtime: deps.service.runtime,
  });
  sendJson(res, 200, { repository: `${repo.owner}/${repo.repo}`, sessions: active });
}

function describe(status: SessionStatus): Record<string, unknown> {
  return {
    repository: status.repository,
    check_run_url: status.checkRunUrl ?? null,
    state: status.state,
    ...(status.conclusion ? { conclusion: status.conclusion } : {}),
    summary: status.summary,
    totals: status.totals,
    tasks: status.tasks.map((task) => ({ id: task.id, status: task.status, branch: task.branch })),
  };
}

/** Absolute when the request says where it came to (Host), so a phone can open it as is. */
function statusUrl(req: IncomingMessage, sessionId: string): string {
  // Colons are fine in a path segment: keep the id readable.
  const path = `/api/status/${encodeURIComponent(sessionId).replace(/%3A/gi, ":")}`;
  const host = req.headers.host;
  if (!host || !/^[A-Za-z0-9.:[\]-]+$/.test(host)) return path;
  const forwarded = req.headers["x-forwarded-proto"];
  const proto = typeof forwarded === "string" && /^https?$/.test(forwarded) ? forwarded : "http";
  return `${proto}://${host}${path}`;
}
