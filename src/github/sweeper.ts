import type { Probot } from "probot";
import type { AppService } from "./app-service.js";
import { describeApiError, type GitHubClient, type RepoRef } from "./github-client.js";
import type { InstallationClients } from "./installation-clients.js";
import {
  logWarnings,
  redeliverFailedDeliveries,
  sweepActiveSessions,
  type Warning,
} from "./sessions/index.js";

/**
 * The safety net for missed events (DESIGN §5): every few minutes, and once at start, (1) ask
 * GitHub to redeliver webhook deliveries that failed (it never does so by itself), and (2) look
 * at every active session of every repository again. Passes never overlap; a failing repository
 * does not stop the others. Warnings of every use-case end in the report, logged once per pass.
 */
export interface SweepReport {
  repositories: number;
  sessions: number;
  woken: number;
  ended: number;
  redelivered: number;
  warnings: Warning[];
}

export interface Sweeper {
  sweep(): Promise<SweepReport>;
  /** Resolves when no pass is running. */
  idle(): Promise<void>;
}

export function createSweeper(args: {
  probot: Probot;
  clients: InstallationClients;
  /** Only these repositories; default every repository of every installation. */
  sweepRepos: RepoRef[] | undefined;
  redeliverHours: number;
  service: AppService;
}): Sweeper {
  const { service } = args;
  let running: Promise<SweepReport> | null = null;

  const pass = async (): Promise<SweepReport> => {
    const report: SweepReport = {
      repositories: 0,
      sessions: 0,
      woken: 0,
      ended: 0,
      redelivered: 0,
      warnings: [],
    };
    const warn = (message: string): void => void report.warnings.push({ message });
    const appClient = (await args.probot.auth()) as GitHubClient;
    if (args.redeliverHours > 0) {
      try {
        const since = new Date(service.config.now().getTime() - args.redeliverHours * 3_600_000);
        const result = await redeliverFailedDeliveries({ appClient, since });
        report.redelivered = result.redelivered.length;
        report.warnings.push(...result.warnings);
        if (result.gaveUp.length > 0) warn(`gave up redelivering ${result.gaveUp.join(", ")}`);
      } catch (error) {
        warn(`could not list failed webhook deliveries: ${describeApiError(error)}`);
      }
    }
    try {
      for await (const { repo, client } of repositories()) {
        report.repositories++;
        try {
          const result = await sweepActiveSessions({
            client,
            repo,
            config: service.config,
            runtime: service.runtime,
          });
          report.sessions += result.sessions;
          report.woken += result.woken;
          report.ended += result.ended;
          report.warnings.push(...result.warnings);
        } catch (error) {
          warn(`${repo.owner}/${repo.repo}: ${describeApiError(error)}`);
        }
      }
    } catch (error) {
      warn(`could not list the App's installations: ${describeApiError(error)}`);
    }
    return report;

    async function* repositories(): AsyncGenerator<{ repo: RepoRef; client: GitHubClient }> {
      if (args.sweepRepos) {
        for (const repo of args.sweepRepos) {
          try {
            yield { repo, client: await args.clients.forRepo(repo) };
          } catch (error) {
            warn(`${repo.owner}/${repo.repo}: ${describeApiError(error)}`);
          }
        }
        return;
      }
      yield* installedRepositories({ appClient, probot: args.probot, warn });
    }
  };

  return {
    sweep() {
      if (running) return running;
      const started = Date.now();
      running = pass()
        .then((report) => {
          const { warnings, ...counts } = report;
          service.log.info({ ...counts, warnings: warnings.length, ms: Date.now() - started }, "sweep done");
          logWarnings(service.log, warnings, { during: "sweep" });
          return report;
        })
        .catch((error: unknown) => {
          service.log.error({ err: error }, "sweep failed");
          throw error;
        })
        .finally(() => {
          running = null;
        });
      return running;
    },
    async idle() {
      await running?.catch(() => undefined);
    },
  };
}

/** Every repository the App is installed on: installations (JWT), then each one's repositories. */
async function* installedRepositories(args: {
  appClient: GitHubClient;
  probot: Probot;
  warn: (warning: string) => void;
}): AsyncGenerator<{ repo: RepoRef; client: GitHubClient }> {
  const installations = await args.appClient.paginate("GET /app/installations", { per_page: 100 });
  for (const installation of installations) {
    if (installation.suspended_at) continue;
    let client: GitHubClient;
    try {
      client = (await args.probot.auth(installation.id)) as GitHubClient;
    } catch (error) {
      args.warn(`installation ${installation.id}: ${describeApiError(error)}`);
      continue;
    }
    let repos: RepoRef[] = [];
    try {
      const items = await client.paginate("GET /installation/repositories", { per_page: 100 });
      repos = items
        .filter((item) => !item.archived)
        .map((item) => ({ owner: item.owner.login, repo: item.name }));
    } catch (error) {
      args.warn(
        `installation ${installation.id}: could not list its repositories: ${describeApiError(error)}`,
      );
    }
    for (const repo of repos) yield { repo, client };
  }
}
