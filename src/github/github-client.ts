import type { Octokit } from "@octokit/rest";

/**
 * The GitHub API as the App's use-cases see it: `request`, and `paginate` for lists longer than
 * a page (it follows GitHub's `Link: rel="next"`, so no use-case counts pages itself; its
 * `iterator` stops early when the rest is not needed). Probot's `context.octokit` satisfies it,
 * and so does `new Octokit({ baseUrl })` pointed at the fake GitHub in tests.
 */
export type GitHubClient = Pick<Octokit, "request" | "paginate">;

export interface RepoRef {
  owner: string;
  repo: string;
}

/** The HTTP status of an Octokit `RequestError`; `undefined` for network errors and the rest. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("status" in error)) return undefined;
  const status = (error as { status: unknown }).status;
  return typeof status === "number" ? status : undefined;
}

/** GitHub's own words for a failed request (`message` and any `errors`). */
export function apiErrorMessage(error: unknown): string {
  if (typeof error === "object" && error !== null && "response" in error) {
    const data = (error as { response?: { data?: unknown } }).response?.data;
    if (typeof data === "object" && data !== null) {
      const record = data as { message?: unknown; errors?: unknown };
      const parts: string[] = [];
      if (typeof record.message === "string") parts.push(record.message);
      if (Array.isArray(record.errors)) {
        for (const item of record.errors) {
          if (typeof item === "string") parts.push(item);
          else if (typeof item === "object" && item !== null && "message" in item)
            parts.push(String((item as { message: unknown }).message));
          // A validation error often says only which field and why: `{ field: "base", code: "invalid" }`.
          else if (typeof item === "object" && item !== null) parts.push(JSON.stringify(item));
        }
      }
      if (parts.length > 0) return parts.join("; ");
    }
  }
  return error instanceof Error ? error.message : String(error);
}

/** "GitHub answered 422: Reference already exists" — for reasons users read. */
export function describeApiError(error: unknown): string {
  const unreachable = describeNoAnswer(error);
  if (unreachable !== undefined) return unreachable;
  const status = httpStatus(error);
  const message = apiErrorMessage(error);
  return status === undefined ? message : `GitHub answered ${status}: ${message}`;
}

/** System and undici codes of a request that got no answer at all. */
const NO_ANSWER_CODES =
  /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|UND_ERR_\w+)$/;

/**
 * "could not reach api.github.com (getaddrinfo ENOTFOUND api.github.com): check the network or
 * GHE_HOST" — for a request GitHub never answered. Octokit reports those as a RequestError with
 * status 500 and no response (its `cause` is fetch's "fetch failed" TypeError, whose own `cause`
 * holds the system error), which would otherwise read as "GitHub answered 500".
 */
function describeNoAnswer(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  if ((error as { response?: unknown }).response !== undefined) return undefined;
  let reason: string | undefined;
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NO_ANSWER_CODES.test(code)) {
      // An AggregateError (every address refused) has no message of its own: say its code.
      reason = current.message.includes(code) ? current.message : `${code} ${current.message}`.trim();
      break;
    }
    if (current.name === "TypeError" && current.message === "fetch failed") reason ??= "fetch failed";
    current = current.cause;
  }
  if (reason === undefined) return undefined;
  return `could not reach ${requestHost(error)} (${reason}): check the network or GHE_HOST`;
}

/** The host a failed request went to (Octokit's RequestError keeps the request), else "GitHub". */
function requestHost(error: object): string {
  const url = (error as { request?: { url?: unknown } }).request?.url;
  if (typeof url !== "string") return "GitHub";
  try {
    return new URL(url).host;
  } catch {
    return "GitHub";
  }
}

/** The API base URL of a client (to remember per-server facts such as GHES limitations). */
export function clientBaseUrl(client: GitHubClient): string {
  const defaults = (client.request as { endpoint?: { DEFAULTS?: { baseUrl?: unknown } } }).endpoint?.DEFAULTS;
  return typeof defaults?.baseUrl === "string" ? defaults.baseUrl : "https://api.github.com";
}

/**
 * GitHub refused the request for a rate limit (a secondary one: 403 or 429 naming it; or 429, or
 * a primary one at 0 remaining). Such a request was not carried out, so sending it again —
 * later — is safe whatever it was.
 */
export function isRateLimited(error: unknown): boolean {
  const status = httpStatus(error);
  if (status === 429) return true;
  if (status !== 403) return false;
  if (/\bsecondary rate\b|\brate limit exceeded\b/i.test(apiErrorMessage(error))) return true;
  const headers = (error as { response?: { headers?: Record<string, unknown> } }).response?.headers;
  return headers?.["x-ratelimit-remaining"] === "0";
}

/**
 * A failure that says nothing about the request itself and may pass: a 5xx, a rate limit, or no
 * answer at all (network). Follows `cause` (a use-case may wrap GitHub's error in its own).
 */
export function isTransient(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth++) {
    const status = httpStatus(current);
    if (status !== undefined) return status >= 500 || isRateLimited(current);
    if (isNetworkError(current)) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    error.name === "HttpError" ||
    (typeof code === "string" && /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|UND_ERR_)/.test(code)) ||
    /fetch failed|socket hang up|other side closed/i.test(error.message)
  );
}
