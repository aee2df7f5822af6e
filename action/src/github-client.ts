import { Octokit } from "@octokit/rest";

/**
 * The GitHub API as the action uses it: only `request`, so tests and other runtimes can pass any
 * Octokit (the same shape the App's use-cases take).
 */
export type GitHubClient = Pick<Octokit, "request">;

export interface Repository {
  owner: string;
  repo: string;
}

export function createGitHubClient(args: { token: string; baseUrl: string }): GitHubClient {
  return new Octokit({
    auth: args.token,
    baseUrl: args.baseUrl,
    userAgent: "claude-team-orchestrator-action",
  });
}

/** "owner/repo" from GITHUB_REPOSITORY. */
export function parseRepository(value: string | undefined): Repository {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(value?.trim() ?? "");
  if (!match) throw new Error(`GITHUB_REPOSITORY should be "owner/repo", got "${value ?? ""}"`);
  return { owner: match[1] as string, repo: match[2] as string };
}

/** Status and message of an Octokit RequestError (or anything thrown), for plain-words failures. */
export function describeApiError(error: unknown): string {
  if (typeof error === "object" && error !== null && "status" in error) {
    const status = (error as { status: unknown }).status;
    const response = (error as { response?: { data?: unknown } }).response;
    const data = response?.data as { message?: unknown; errors?: unknown } | undefined;
    const details = Array.isArray(data?.errors)
      ? data.errors
          .map((item: unknown) =>
            typeof item === "object" && item !== null && "message" in item
              ? String((item as { message: unknown }).message)
              : JSON.stringify(item),
          )
          .join("; ")
      : "";
    const message =
      typeof data?.message === "string"
        ? data.message
        : String((error as { message?: unknown }).message ?? "");
    return `GitHub answered ${String(status)}: ${message}${details ? ` (${details})` : ""}`;
  }
  return error instanceof Error ? error.message : String(error);
}
