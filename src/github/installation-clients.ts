import { httpStatus, type GitHubClient, type RepoRef } from "./github-client.js";

/**
 * Clients that act as the App's installation on a given repository, for triggers that do not
 * come with one (the HTTP API, the sweep). The installation of a repository is looked up with
 * the App's JWT (`GET /repos/{owner}/{repo}/installation`) and remembered for a while; tokens
 * are minted and cached by Probot.
 */
export class NotInstalledError extends Error {
  constructor(readonly repo: RepoRef) {
    super(`the App is not installed on ${repo.owner}/${repo.repo} (or the repository does not exist)`);
    this.name = "NotInstalledError";
  }
}

export interface InstallationClients {
  forRepo(repo: RepoRef): Promise<GitHubClient>;
  /** Installation id of a repository, or null when the App is not installed there. */
  installationId(repo: RepoRef): Promise<number | null>;
}

export function createInstallationClients(args: {
  /** The App itself (JWT). */
  appClient: () => Promise<GitHubClient>;
  /** An installation's client (installation token). */
  installationClient: (installationId: number) => Promise<GitHubClient>;
  now: () => number;
  /** How long a repository's installation id is remembered (default 10 minutes). */
  ttlMs?: number;
}): InstallationClients {
  const ttl = args.ttlMs ?? 10 * 60_000;
  const known = new Map<string, { id: number; at: number }>();
  const installationId = async (repo: RepoRef): Promise<number | null> => {
    const key = `${repo.owner}/${repo.repo}`.toLowerCase();
    const cached = known.get(key);
    if (cached && args.now() - cached.at < ttl) return cached.id;
    const app = await args.appClient();
    try {
      const { data } = await app.request("GET /repos/{owner}/{repo}/installation", { ...repo });
      known.set(key, { id: data.id, at: args.now() });
      if (known.size > 1_000) known.delete(known.keys().next().value as string);
      return data.id;
    } catch (error) {
      if (httpStatus(error) === 404) return null;
      throw error;
    }
  };
  return {
    installationId,
    async forRepo(repo) {
      const id = await installationId(repo);
      if (id === null) throw new NotInstalledError(repo);
      return args.installationClient(id);
    },
  };
}
