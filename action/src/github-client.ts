import { Octokit } from "@octokit/rest";
import type { GitHubClient, RepoRef } from "../../src/github/github-client.js";

/**
 * The GitHub API as the action uses it: the App's client port (only `request`), so tests and
 * other runtimes can pass any Octokit, and API errors are worded as the App words them.
 */
export type { GitHubClient } from "../../src/github/github-client.js";
export type Repository = RepoRef;

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
