/**
 * A stateful fake of GitHub's REST API on 127.0.0.1, for whole-session tests of the App.
 * Every request is checked against GitHub's OpenAPI description (`@octokit/openapi`); see
 * handle-request.ts. Give `fake.url` to Octokit as `baseUrl`, or to Probot through
 * `GHE_HOST=127.0.0.1:<port>` / `GHE_PROTOCOL=http` (the default `/api/v3` prefix matches).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FaultInjector } from "./faults.js";
import { handleRequest, type RequestRecord, type Violation } from "./handle-request.js";
import { openApiIndex, type OpenApiFlavor, type OpenApiIndex } from "./openapi-index.js";
import { allRoutes } from "./routes/all-routes.js";
import type { FakeWebhook } from "./routes/route-types.js";
import { completeRun, startRun, type RunCompletion } from "./runs.js";
import type { ShapeContext } from "./shapes/accounts.js";
import { FakeGitHubState } from "./state.js";

export type { AuthKind } from "./auth.js";
export type { FaultKind, FaultSpec } from "./faults.js";
export type { RequestRecord, Violation, ViolationKind } from "./handle-request.js";
export type { OpenApiFlavor } from "./openapi-index.js";
export type { FakeWebhook } from "./routes/route-types.js";
export type { RunCompletion, RunConclusion } from "./runs.js";
export { FakeGitHubState, type Permission } from "./state.js";

export interface FakeGitHubOptions {
  /** Which description to check against (default `api.github.com`). */
  readonly flavor?: OpenApiFlavor;
  /** `/api/v3` (default, GitHub Enterprise style, what Probot's GHE_HOST builds) or `` (api.github.com style). */
  readonly pathPrefix?: "/api/v3" | "";
  /** Emulate GHES ≤ 3.20 rejecting `return_run_details` (default: true for `ghes-*` flavors). */
  readonly rejectReturnRunDetails?: boolean;
  /** Answer 401 to requests without `Authorization` (default true). */
  readonly requireAuth?: boolean;
  /** Accept any unknown token as a personal token (default false: only JWTs and tokens the fake issued). */
  readonly acceptAnyToken?: boolean;
  /** The clock for timestamps and token expiry (default: real time). */
  readonly now?: () => Date;
  readonly app?: { readonly id?: number; readonly slug?: string; readonly name?: string };
}

export interface HeldRequests {
  /** How many requests are waiting (or have waited). */
  held(): number;
  /** Lets them go on, and stops holding new ones. */
  release(): void;
}

export interface FakeGitHub {
  /** Base URL for Octokit's `baseUrl`, e.g. `http://127.0.0.1:41234/api/v3`. */
  readonly url: string;
  /** `http://127.0.0.1:41234` — for `GHE_HOST` (without the scheme) and `html_url`s. */
  readonly origin: string;
  readonly state: FakeGitHubState;
  readonly requests: RequestRecord[];
  readonly violations: Violation[];
  /** Every webhook GitHub would have sent, in order (dispatch → `requested`, cancel, completeRun, ...). */
  readonly webhooks: FakeWebhook[];
  readonly faults: FaultInjector;
  readonly spec: OpenApiIndex;
  /** Removes and returns the webhooks not yet taken. */
  takeWebhooks(): FakeWebhook[];
  /**
   * Requests for which `match(method, path)` holds wait, unanswered, until `release()`: a test
   * can catch the App in the middle of its work (path without the `/api/v3` prefix).
   */
  hold(match: (method: string, path: string) => boolean): HeldRequests;
  /** A runner picked the run up: status `in_progress`; returns the `workflow_run.in_progress` webhook. */
  startRun(runId: number): FakeWebhook;
  /**
   * The run finished; returns the `workflow_run.completed` webhook (also appended to `webhooks`).
   * Its jobs end alike; a failed one carries `failureMessage` as its failure annotation.
   */
  completeRun(runId: number, result: RunCompletion): FakeWebhook;
  /** A valid installation token for the installation that holds `repo` (`owner/name`). */
  installationToken(repo: string): string;
  /** A JWT the fake accepts as the App's (not signed with a real key). */
  appJwt(): string;
  close(): Promise<void>;
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const flavor = options.flavor ?? "api.github.com";
  const spec = openApiIndex(flavor);
  const now = options.now ?? ((): Date => new Date());
  const state = new FakeGitHubState({ now, ...(options.app === undefined ? {} : { app: options.app }) });
  const requests: RequestRecord[] = [];
  const violations: Violation[] = [];
  const webhooks: FakeWebhook[] = [];
  let taken = 0;
  const faults = new FaultInjector();
  const ctx: { api: string; web: string; state: FakeGitHubState } = { api: "", web: "", state };
  const emit = (webhook: FakeWebhook): void => {
    webhooks.push(webhook);
  };
  const pipeline = {
    spec,
    routes: allRoutes,
    ctx: ctx as ShapeContext,
    faults,
    behaviour: { rejectReturnRunDetails: options.rejectReturnRunDetails ?? flavor !== "api.github.com" },
    requireAuth: options.requireAuth ?? true,
    acceptAnyToken: options.acceptAnyToken ?? false,
    emit,
    record: (entry: RequestRecord) => requests.push(entry),
    violate: (violation: Violation) => violations.push(violation),
  };

  const server = createServer((req, res) => {
    void serve(req, res);
  });
  let holding: {
    match: (method: string, path: string) => boolean;
    gate: Promise<void>;
    count: number;
  } | null = null;
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const held = holding;
      const path = (req.url ?? "/").replace(/^\/api\/v3(?=\/|$)/, "").replace(/\?.*$/, "");
      if (held?.match(req.method ?? "GET", path)) {
        held.count++;
        await held.gate;
      }
      const out = handleRequest(pipeline, {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        authorization: req.headers.authorization,
        userAgent: req.headers["user-agent"],
        bodyText: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(out.status, out.headers);
      res.end(out.text);
    } catch (error) {
      // A bug in the fake itself: answer 500 loudly rather than hang the client.
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(
        `fake-github crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const prefix = options.pathPrefix ?? "/api/v3";
  ctx.api = `${origin}${prefix}`;
  ctx.web = origin;

  const findRun = (runId: number): NonNullable<ReturnType<typeof state.workflowRuns.get>> => {
    const run = state.workflowRuns.get(runId);
    if (run === undefined) throw new Error(`The fake has no workflow run ${runId}`);
    return run;
  };

  return {
    url: ctx.api,
    origin,
    state,
    requests,
    violations,
    webhooks,
    faults,
    spec,
    hold: (match) => {
      let release = (): void => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const entry = { match, gate, count: 0 };
      holding = entry;
      return {
        held: () => entry.count,
        release: () => {
          if (holding === entry) holding = null;
          release();
        },
      };
    },
    takeWebhooks: () => {
      const fresh = webhooks.slice(taken);
      taken = webhooks.length;
      return fresh;
    },
    startRun: (runId) => {
      const webhook = startRun(ctx, findRun(runId));
      emit(webhook);
      return webhook;
    },
    completeRun: (runId, result) => {
      const webhook = completeRun(ctx, findRun(runId), result);
      emit(webhook);
      return webhook;
    },
    installationToken: (repo) => state.mintInstallationToken(state.requireRepo(repo).installationId).token,
    appJwt: () => {
      const seconds = Math.floor(now().getTime() / 1000);
      const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");
      return `${part({ alg: "RS256", typ: "JWT" })}.${part({ iat: seconds - 60, exp: seconds + 540, iss: state.app.id })}.fake-signature`;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
