import { execFile } from "node:child_process";
import { CliError } from "./cli-error.js";
import { findOnPath } from "./resolve-agent-program.js";

/**
 * The token `orchestrator run --issue` reads GitHub with: GITHUB_TOKEN (or GH_TOKEN, which the
 * `gh` CLI itself honours), else the `gh` CLI's own login (`gh auth token`). It is used to read
 * the issue graph, nothing else; it is never printed.
 */
export interface GitHubToken {
  token: string;
  /** Where it came from, for the start line ("GITHUB_TOKEN", "gh auth token"). */
  source: string;
}

export async function findGitHubToken(args: { env: NodeJS.ProcessEnv; host: string }): Promise<GitHubToken> {
  for (const name of ["GITHUB_TOKEN", "GH_TOKEN"] as const) {
    const value = args.env[name]?.trim();
    if (value) return { token: value, source: name };
  }
  const gh = await findOnPath("gh", args.env);
  if (gh === null) {
    throw new CliError(
      "--issue reads the issue from GitHub and needs a token: set GITHUB_TOKEN (a token that can read the repository's issues), " +
        "or install the GitHub CLI and run `gh auth login`",
      "failed",
    );
  }
  const token = await new Promise<string>((resolve) => {
    execFile(
      gh,
      ["auth", "token", "--hostname", args.host],
      { env: args.env, encoding: "utf8", timeout: 30_000 },
      (error, stdout) => resolve(error ? "" : stdout.trim()),
    );
  });
  if (token === "") {
    throw new CliError(
      `the GitHub CLI has no login for ${args.host}: run \`gh auth login --hostname ${args.host}\`, or set GITHUB_TOKEN`,
      "failed",
    );
  }
  return { token, source: "gh auth token" };
}
