/**
 * GitHub's own REST description (npm `@octokit/openapi`), indexed for request matching.
 *
 * The non-dereferenced file is used (13 MB, ~150 ms to parse) rather than the `.deref` one
 * (73 MB): references are resolved lazily by the validator. Each flavor is parsed once per
 * process and shared by every fake server.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isRecord, type JsonSchema } from "./schema-validator.js";

/** Which GitHub the fake pretends to be. GHES descriptions live under `/api/v3`. */
export type OpenApiFlavor = "api.github.com" | "ghes-3.17" | "ghes-3.18" | "ghes-3.19";

export interface OpenApiParameter {
  readonly name: string;
  readonly in: "path" | "query" | "header" | "cookie";
  readonly required: boolean;
  readonly schema: JsonSchema | undefined;
  readonly multiSegment: boolean;
}

export interface OpenApiOperation {
  /** `POST /repos/{owner}/{repo}/check-runs` */
  readonly route: string;
  readonly method: string;
  readonly template: string;
  readonly operationId: string;
  readonly documentationUrl: string | undefined;
  readonly parameters: readonly OpenApiParameter[];
  readonly requestBodySchema: JsonSchema | undefined;
  readonly requestBodyRequired: boolean;
  /** Status code (or `default`) → JSON schema of the body, or `undefined` when the body is empty. */
  readonly responses: ReadonlyMap<string, JsonSchema | undefined>;
}

export interface RouteMatch {
  readonly operation: OpenApiOperation;
  /** Decoded path parameters (`%2F` in a ref becomes `/`). */
  readonly params: Readonly<Record<string, string>>;
}

export interface OpenApiIndex {
  readonly flavor: OpenApiFlavor;
  readonly loadMilliseconds: number;
  match(method: string, path: string): RouteMatch | undefined;
  operation(route: string): OpenApiOperation | undefined;
  resolveRef(ref: string): JsonSchema;
  /** Schema of a webhook payload, e.g. `workflow-run-completed`. */
  webhookSchema(name: string): JsonSchema | undefined;
}

interface CompiledRoute {
  readonly operation: OpenApiOperation;
  readonly regex: RegExp;
  readonly names: readonly string[];
  readonly literalSegments: number;
  readonly multiSegments: number;
}

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"] as const;
const cache = new Map<OpenApiFlavor, OpenApiIndex>();

export function openApiIndex(flavor: OpenApiFlavor = "api.github.com"): OpenApiIndex {
  let index = cache.get(flavor);
  if (index === undefined) {
    index = buildIndex(flavor);
    cache.set(flavor, index);
  }
  return index;
}

function buildIndex(flavor: OpenApiFlavor): OpenApiIndex {
  const started = performance.now();
  const file = createRequire(import.meta.url).resolve(`@octokit/openapi/generated/${flavor}.json`);
  const document: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (!isRecord(document) || !isRecord(document.paths) || !isRecord(document.components)) {
    throw new Error(`${file} is not an OpenAPI description`);
  }
  const root = document;
  const resolveRef = (ref: string): JsonSchema => {
    const target = ref
      .replace(/^#\//, "")
      .split("/")
      .reduce<unknown>(
        (node, key) => (isRecord(node) ? node[key.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined),
        root,
      );
    if (!isRecord(target)) throw new Error(`Unresolvable $ref ${ref} in the ${flavor} description`);
    return target;
  };
  const deref = (node: unknown): Record<string, unknown> | undefined => {
    if (!isRecord(node)) return undefined;
    return typeof node.$ref === "string" ? resolveRef(node.$ref) : node;
  };

  const byMethod = new Map<string, CompiledRoute[]>();
  const byRoute = new Map<string, OpenApiOperation>();
  for (const [template, pathItem] of Object.entries(document.paths)) {
    if (!isRecord(pathItem)) continue;
    for (const method of METHODS) {
      const op = pathItem[method];
      if (!isRecord(op)) continue;
      const operation = toOperation({ method: method.toUpperCase(), template, op, pathItem, deref });
      byRoute.set(operation.route, operation);
      const list = byMethod.get(operation.method) ?? [];
      list.push(compile(operation));
      byMethod.set(operation.method, list);
    }
  }
  // Most specific first: `/commits/{ref}/check-runs` must win over `/commits/{ref}` whose
  // multi-segment `ref` could otherwise swallow `abc/check-runs`.
  for (const list of byMethod.values()) {
    list.sort((a, b) => b.literalSegments - a.literalSegments || a.multiSegments - b.multiSegments);
  }

  const webhooks = isRecord(document["x-webhooks"]) ? document["x-webhooks"] : {};
  const loadMilliseconds = performance.now() - started;
  return {
    flavor,
    loadMilliseconds,
    resolveRef,
    operation: (route) => byRoute.get(route),
    match: (method, path) => matchRoute(byMethod.get(method.toUpperCase()) ?? [], path),
    webhookSchema: (name) => {
      const hook = webhooks[name];
      const body = isRecord(hook) && isRecord(hook.post) ? deref(hook.post.requestBody) : undefined;
      return jsonSchemaOf(body, deref);
    },
  };
}

function toOperation(input: {
  method: string;
  template: string;
  op: Record<string, unknown>;
  pathItem: Record<string, unknown>;
  deref: (node: unknown) => Record<string, unknown> | undefined;
}): OpenApiOperation {
  const { method, template, op, pathItem, deref } = input;
  const rawParameters = [
    ...(Array.isArray(pathItem.parameters) ? pathItem.parameters : []),
    ...(Array.isArray(op.parameters) ? op.parameters : []),
  ];
  const parameters = rawParameters.flatMap((raw): OpenApiParameter[] => {
    const p = deref(raw);
    if (p === undefined || typeof p.name !== "string") return [];
    const location =
      p.in === "path" || p.in === "query" || p.in === "header" || p.in === "cookie" ? p.in : "query";
    return [
      {
        name: p.name,
        in: location,
        required: p.required === true,
        schema: deref(p.schema),
        multiSegment: p["x-multi-segment"] === true,
      },
    ];
  });
  const body = deref(op.requestBody);
  const responses = new Map<string, JsonSchema | undefined>();
  if (isRecord(op.responses)) {
    for (const [status, raw] of Object.entries(op.responses))
      responses.set(status, jsonSchemaOf(deref(raw), deref));
  }
  const docs =
    isRecord(op.externalDocs) && typeof op.externalDocs.url === "string" ? op.externalDocs.url : undefined;
  return {
    route: `${method} ${template}`,
    method,
    template,
    operationId: typeof op.operationId === "string" ? op.operationId : `${method} ${template}`,
    documentationUrl: docs,
    parameters,
    requestBodySchema: jsonSchemaOf(body, deref),
    requestBodyRequired: body?.required === true,
    responses,
  };
}

function jsonSchemaOf(
  holder: Record<string, unknown> | undefined,
  deref: (node: unknown) => Record<string, unknown> | undefined,
): JsonSchema | undefined {
  if (holder === undefined || !isRecord(holder.content)) return undefined;
  const media = holder.content["application/json"] ?? Object.values(holder.content)[0];
  return isRecord(media) ? deref(media.schema) : undefined;
}

function compile(operation: OpenApiOperation): CompiledRoute {
  const names: string[] = [];
  let literalSegments = 0;
  let multiSegments = 0;
  const source = operation.template
    .split("/")
    .map((segment) =>
      segment.replace(/\{([^}]+)\}|[^{]+/g, (part, name: string | undefined) => {
        if (name === undefined) {
          literalSegments += 1;
          return part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
        }
        names.push(name);
        const multi = operation.parameters.some((p) => p.in === "path" && p.name === name && p.multiSegment);
        if (multi) multiSegments += 1;
        return multi ? "(.+)" : "([^/]+)";
      }),
    )
    .join("/");
  return { operation, regex: new RegExp(`^${source}/?$`), names, literalSegments, multiSegments };
}

function matchRoute(routes: readonly CompiledRoute[], path: string): RouteMatch | undefined {
  for (const route of routes) {
    const found = route.regex.exec(path);
    if (found === null) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      params[name] = safeDecode(found[i + 1] ?? "");
    });
    return { operation: route.operation, params };
  }
  return undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
