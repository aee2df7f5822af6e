/** What a route handler receives and returns, and the helpers every handler file shares. */
import type { AuthInfo } from "../auth.js";
import type { ShapeContext } from "../shapes/accounts.js";
import type { FakeRepo } from "../state.js";

export interface FakeWebhook {
  /** `X-GitHub-Delivery` */
  readonly id: string;
  /** `X-GitHub-Event`, e.g. `workflow_run` */
  readonly name: string;
  readonly payload: Record<string, unknown>;
}

export interface FakeBehaviour {
  /** Emulate GitHub Enterprise Server ≤ 3.20, which rejects `return_run_details` with 422. */
  readonly rejectReturnRunDetails: boolean;
}

export interface RouteRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
  readonly auth: AuthInfo;
  readonly ctx: ShapeContext;
  readonly behaviour: FakeBehaviour;
  /** Webhooks GitHub would send because of this request (e.g. a cancelled run). */
  readonly emit: (webhook: FakeWebhook) => void;
}

export interface RouteResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type RouteHandler = (request: RouteRequest) => RouteResponse;

/** Keyed by route, e.g. `POST /repos/{owner}/{repo}/git/refs`. */
export type RouteTable = Readonly<Record<string, RouteHandler>>;

export interface ValidationErrorItem {
  readonly resource: string;
  readonly field?: string;
  readonly code: string;
  readonly message?: string;
}

/** An answer GitHub gives instead of the resource; rendered with the operation's documentation URL. */
export class FakeHttpError extends Error {
  readonly errors: readonly ValidationErrorItem[] | undefined;
  /** True when the request broke one of GitHub's rules (a client bug), not a normal refusal. */
  readonly violation: boolean;

  constructor(
    readonly status: number,
    message: string,
    options: { readonly errors?: readonly ValidationErrorItem[]; readonly violation?: boolean } = {},
  ) {
    super(message);
    this.name = "FakeHttpError";
    this.errors = options.errors;
    this.violation = options.violation ?? false;
  }
}

export function notFound(): FakeHttpError {
  return new FakeHttpError(404, "Not Found");
}

/**
 * The repository named by the path. Like GitHub, a repository the caller's installation cannot
 * see is answered with 404, not 403.
 */
export function repoOf(request: RouteRequest): FakeRepo {
  const { owner, repo: name } = request.params;
  const repo = request.ctx.state.repo(`${owner ?? ""}/${name ?? ""}`);
  if (repo === undefined) throw notFound();
  if (request.auth.kind === "installation" && request.auth.installationId !== repo.installationId)
    throw notFound();
  return repo;
}

export function intParam(request: RouteRequest, name: string): number {
  const value = Number(request.params[name]);
  if (!Number.isInteger(value)) throw notFound();
  return value;
}

/** The acting account: the App's bot for installation tokens, else the repository owner. */
export function actorOf(request: RouteRequest, repo: FakeRepo): RouteRequest["ctx"]["state"]["app"]["bot"] {
  return request.auth.kind === "installation" ? request.ctx.state.app.bot : repo.owner;
}

/**
 * Page-number pagination with a `Link` header, as GitHub does for most lists
 * (`per_page` default 30, at most 100).
 */
export function paginate<T>(input: { items: readonly T[]; request: RouteRequest; path: string }): {
  page: T[];
  headers: Record<string, string>;
} {
  const { items, request } = input;
  const perPage = Math.min(100, Math.max(1, Number(request.query.get("per_page") ?? 30) || 30));
  const pageNumber = Math.max(1, Number(request.query.get("page") ?? 1) || 1);
  const page = items.slice((pageNumber - 1) * perPage, pageNumber * perPage);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (n: number, rel: string): string => {
    const query = new URLSearchParams(request.query);
    query.set("per_page", String(perPage));
    query.set("page", String(n));
    return `<${request.ctx.api}${input.path}?${query.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pageNumber < last) links.push(link(pageNumber + 1, "next"), link(last, "last"));
  if (pageNumber > 1) links.push(link(1, "first"), link(pageNumber - 1, "prev"));
  return { page, headers: links.length > 0 ? { link: links.join(", ") } : {} };
}

export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === "string" ? value : undefined;
}
