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
  const status = httpStatus(error);
  const message = apiErrorMessage(error);
  return status === undefined ? message : `GitHub answered ${status}: ${message}`;
}

/** The API base URL of a client (to remember per-server facts such as GHES limitations). */
export function clientBaseUrl(client: GitHubClient): string {
  const defaults = (client.request as { endpoint?: { DEFAULTS?: { baseUrl?: unknown } } }).endpoint?.DEFAULTS;
  return typeof defaults?.baseUrl === "string" ? defaults.baseUrl : "https://api.github.com";
}
