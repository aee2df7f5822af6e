/**
 * One request through the fake: match it to an operation of GitHub's OpenAPI description,
 * authenticate, validate parameters and body, apply faults, run the handler, and check the
 * answer against the operation's response schema. Everything that breaks GitHub's contract —
 * on either side — is recorded as a violation.
 */
import { randomUUID } from "node:crypto";
import { allowsAnonymous, readAuth, requiresJwt, type AuthInfo, type AuthKind } from "./auth.js";
import { faultResponse, type FaultInjector, type FaultKind } from "./faults.js";
import type { OpenApiIndex, OpenApiOperation } from "./openapi-index.js";
import {
  FakeHttpError,
  type FakeBehaviour,
  type FakeWebhook,
  type RouteResponse,
  type RouteTable,
} from "./routes/route-types.js";
import { isRecord, validateSchema, type JsonSchema } from "./schema-validator.js";
import type { ShapeContext } from "./shapes/accounts.js";

export type ViolationKind = "unknown-route" | "request" | "response" | "unimplemented" | "auth";

export interface Violation {
  readonly kind: ViolationKind;
  readonly method: string;
  readonly path: string;
  readonly route: string | undefined;
  readonly messages: readonly string[];
}

export interface RequestRecord {
  readonly method: string;
  /** Path without the `/api/v3` prefix and without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** e.g. `POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches`; undefined when unknown. */
  readonly route: string | undefined;
  readonly operationId: string | undefined;
  readonly params: Readonly<Record<string, string>>;
  readonly auth: AuthKind;
  readonly status: number;
  readonly requestBody: unknown;
  readonly responseBody: unknown;
  readonly fault: FaultKind | undefined;
  readonly userAgent: string | undefined;
}

export interface IncomingRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  /** Who sent it (benchmarks tell the App's requests from the harness's by it). */
  readonly userAgent?: string | undefined;
  readonly bodyText: string;
}

export interface OutgoingResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

export interface RequestPipeline {
  readonly spec: OpenApiIndex;
  readonly routes: RouteTable;
  readonly ctx: ShapeContext;
  readonly faults: FaultInjector;
  readonly behaviour: FakeBehaviour;
  readonly requireAuth: boolean;
  readonly acceptAnyToken: boolean;
  readonly emit: (webhook: FakeWebhook) => void;
  readonly record: (entry: RequestRecord) => void;
  readonly violate: (violation: Violation) => void;
}

const API_PREFIX = /^\/api\/v3(?=\/|$)/;

export function handleRequest(pipeline: RequestPipeline, incoming: IncomingRequest): OutgoingResponse {
  const requestId = randomUUID().replace(/-/g, "").slice(0, 20).toUpperCase();
  const url = new URL(incoming.url, "http://fake.invalid");
  const path = url.pathname.replace(API_PREFIX, "") || "/";
  const method = incoming.method.toUpperCase();
  const match = pipeline.spec.match(method, path);
  const base = {
    method,
    path,
    query: Object.fromEntries(url.searchParams),
    route: match?.operation.route,
    operationId: match?.operation.operationId,
    params: match?.params ?? {},
    userAgent: incoming.userAgent,
  };
  let requestBody: unknown = undefined;
  let authKind: AuthKind = "none";
  let fault: FaultKind | undefined;

  const finish = (response: RouteResponse & { text?: string }): OutgoingResponse => {
    const operation = match?.operation;
    if (operation !== undefined && fault === undefined)
      checkResponse(pipeline, { operation, path, response });
    pipeline.record({
      ...base,
      auth: authKind,
      status: response.status,
      requestBody,
      responseBody: response.body,
      fault,
    });
    return render(response, requestId);
  };
  const violation = (kind: ViolationKind, messages: string[]): void => {
    pipeline.violate({ kind, method, path, route: match?.operation.route, messages });
  };

  if (match === undefined) {
    violation("unknown-route", [
      `${method} ${path} is not an operation of GitHub's REST API (${pipeline.spec.flavor})`,
    ]);
    return finish(errorBody(404, "Not Found", "https://docs.github.com/rest"));
  }
  const operation = match.operation;
  const docs = operation.documentationUrl;

  const auth = readAuth({
    header: incoming.authorization,
    state: pipeline.ctx.state,
    acceptAnyToken: pipeline.acceptAnyToken,
  });
  if ("status" in auth) {
    violation("auth", [auth.message]);
    return finish(errorBody(401, auth.message, docs));
  }
  authKind = auth.kind;
  const authProblem = checkAuthKind(pipeline, operation, auth);
  if (authProblem !== undefined) {
    violation("auth", [authProblem]);
    return finish(errorBody(authProblem === "Requires authentication" ? 401 : 403, authProblem, docs));
  }

  if (incoming.bodyText.trim() !== "") {
    try {
      requestBody = JSON.parse(incoming.bodyText);
    } catch {
      violation("request", ["The body is not JSON"]);
      return finish(errorBody(400, "Problems parsing JSON", docs));
    }
  }
  const problems = [
    ...checkParameters(pipeline.spec, operation, match.params, url.searchParams),
    ...checkBody(pipeline.spec, operation, requestBody),
  ];
  if (problems.length > 0) {
    violation("request", problems);
    return finish(errorBody(422, `Invalid request.\n\n${problems.join("\n")}`, docs));
  }

  const before = pipeline.faults.take(operation.route, "before");
  if (before !== undefined) {
    fault = before.kind;
    return finish(faultResponse(before, requestId));
  }
  const handler = pipeline.routes[operation.route];
  if (handler === undefined) {
    violation("unimplemented", [`The fake does not implement ${operation.route} (${operation.operationId})`]);
    return finish(errorBody(501, `The fake GitHub does not implement ${operation.route}`, docs));
  }
  let response: RouteResponse;
  try {
    response = handler({
      params: match.params,
      query: url.searchParams,
      body: isRecord(requestBody) ? requestBody : {},
      auth,
      ctx: pipeline.ctx,
      behaviour: pipeline.behaviour,
      emit: pipeline.emit,
    });
  } catch (error) {
    if (!(error instanceof FakeHttpError)) throw error;
    if (error.violation) violation("request", [error.message]);
    response = errorBody(error.status, error.message, docs, error.errors);
  }
  const after = pipeline.faults.take(operation.route, "after");
  if (after !== undefined) {
    fault = after.kind;
    return finish(faultResponse(after, requestId));
  }
  return finish(response);
}

function checkAuthKind(
  pipeline: RequestPipeline,
  operation: OpenApiOperation,
  auth: AuthInfo,
): string | undefined {
  if (auth.kind === "none")
    return pipeline.requireAuth && !allowsAnonymous(operation.template)
      ? "Requires authentication"
      : undefined;
  if (auth.kind === "token") return undefined;
  const needsJwt = requiresJwt(operation.template);
  if (needsJwt && auth.kind !== "jwt") {
    return "A JSON web token could not be decoded: this endpoint needs the App's JWT, not an installation token";
  }
  if (!needsJwt && auth.kind === "jwt") {
    return "Resource not accessible by integration: use an installation access token, not the App's JWT";
  }
  return undefined;
}

function checkParameters(
  spec: OpenApiIndex,
  operation: OpenApiOperation,
  pathParams: Readonly<Record<string, string>>,
  query: URLSearchParams,
): string[] {
  const problems: string[] = [];
  for (const parameter of operation.parameters) {
    if (parameter.in !== "path" && parameter.in !== "query") continue;
    const raw =
      parameter.in === "path" ? pathParams[parameter.name] : (query.get(parameter.name) ?? undefined);
    if (raw === undefined) {
      if (parameter.required) problems.push(`"${parameter.name}" wasn't supplied.`);
      continue;
    }
    if (parameter.schema === undefined) continue;
    const value = coerce(raw, parameter.schema, spec);
    for (const issue of validateSchema({ value, schema: parameter.schema, resolveRef: spec.resolveRef })) {
      problems.push(`For '${parameter.name}', ${issue.message}.`);
    }
  }
  return problems;
}

/** Query and path values arrive as text; read them as the schema's type before validating. */
function coerce(raw: string, schema: JsonSchema, spec: OpenApiIndex): unknown {
  const resolved = typeof schema.$ref === "string" ? spec.resolveRef(schema.$ref) : schema;
  if ((resolved.type === "integer" || resolved.type === "number") && /^-?\d+(\.\d+)?$/.test(raw))
    return Number(raw);
  if (resolved.type === "boolean" && (raw === "true" || raw === "false")) return raw === "true";
  if (resolved.type === "array") return raw.split(",");
  return raw;
}

function checkBody(spec: OpenApiIndex, operation: OpenApiOperation, body: unknown): string[] {
  const schema = operation.requestBodySchema;
  if (schema === undefined) return [];
  if (body === undefined) {
    // GitHub treats a missing body as `{}`: the schema's `required` list decides.
    return operation.requestBodyRequired
      ? describe(validateSchema({ value: {}, schema, resolveRef: spec.resolveRef }))
      : [];
  }
  return describe(validateSchema({ value: body, schema, resolveRef: spec.resolveRef }));
}

function describe(issues: readonly { path: string; message: string }[]): string[] {
  return issues.map((issue) =>
    issue.path === "" ? `${issue.message}.` : `For 'properties${issue.path}', ${issue.message}.`,
  );
}

function checkResponse(
  pipeline: RequestPipeline,
  input: { operation: OpenApiOperation; path: string; response: RouteResponse },
): void {
  const { operation, path, response } = input;
  const key = String(response.status);
  const documented = operation.responses.has(key) || operation.responses.has("default");
  const schema = operation.responses.get(key) ?? operation.responses.get("default");
  const report = (messages: string[]): void => {
    pipeline.violate({ kind: "response", method: operation.method, path, route: operation.route, messages });
  };
  if (!documented) {
    // GitHub documents error statuses loosely; an undocumented *success* is the fake's bug.
    if (response.status < 400) report([`status ${key} is not documented for ${operation.route}`]);
    return;
  }
  if (schema === undefined) return;
  const issues = validateSchema({ value: response.body, schema, resolveRef: pipeline.spec.resolveRef });
  if (issues.length > 0) report(issues.map((i) => `${i.path || "(root)"}: ${i.message}`));
}

function errorBody(
  status: number,
  message: string,
  documentationUrl: string | undefined,
  errors?: readonly unknown[],
): RouteResponse {
  return {
    status,
    body: {
      message,
      ...(errors === undefined ? {} : { errors }),
      documentation_url: documentationUrl ?? "https://docs.github.com/rest",
      status: String(status),
    },
  };
}

function render(response: RouteResponse & { text?: string }, requestId: string): OutgoingResponse {
  const reset = Math.floor(Date.now() / 1000) + 3600;
  const headers: Record<string, string> = {
    "x-github-request-id": requestId,
    "x-github-api-version-selected": "2022-11-28",
    "x-github-media-type": "github.v3; format=json",
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-used": "1",
    "x-ratelimit-reset": String(reset),
    "x-ratelimit-resource": "core",
    ...(response.headers ?? {}),
  };
  if (response.text !== undefined) return { status: response.status, headers, text: response.text };
  if (response.body === undefined || response.status === 204)
    return { status: response.status, headers, text: "" };
  headers["content-type"] ??= "application/json; charset=utf-8";
  return { status: response.status, headers, text: JSON.stringify(response.body) };
}
