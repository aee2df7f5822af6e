import type { ProbotOctokit } from "probot";
import type { ServerConfig } from "./config.js";
import { startServer, type OrchestratorServer } from "./server.js";

/** What `runServer` is given; shared by the App's start and setup mode's. */
export interface RunServerArgs {
  env: NodeJS.ProcessEnv;
  /** From the command line; they win over PORT and HOST. */
  overrides?: { port?: number; host?: string };
  stderr: (text: string) => void;
  signals?: Pick<NodeJS.Process, "once" | "off">;
  /** Where setup mode writes `.env` (default: the working directory). */
  cwd?: string;
  /** Probot's Octokit class for the App (tests pass one with retries off). */
  Octokit?: typeof ProbotOctokit;
}

export function applyOverrides(
  config: Pick<ServerConfig, "port" | "host">,
  overrides: RunServerArgs["overrides"],
): void {
  if (overrides?.port !== undefined) config.port = overrides.port;
  if (overrides?.host !== undefined) config.host = overrides.host;
}

/** Starts the App's server, or says why it could not (undefined). */
export async function startApp(
  config: ServerConfig,
  args: Pick<RunServerArgs, "stderr" | "Octokit">,
): Promise<OrchestratorServer | undefined> {
  try {
    return await startServer({ config, ...(args.Octokit === undefined ? {} : { Octokit: args.Octokit }) });
  } catch (error) {
    args.stderr(
      `orchestrator serve: could not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return undefined;
  }
}

/** Resolves on the first SIGTERM or SIGINT; `cancel` removes the listeners without waiting. */
export function stopSignal(signals: Pick<NodeJS.Process, "once" | "off">): {
  stopped: Promise<void>;
  cancel: () => void;
} {
  let cancel = (): void => {};
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      cancel();
      resolve();
    };
    cancel = () => {
      signals.off("SIGTERM", stop);
      signals.off("SIGINT", stop);
    };
    signals.once("SIGTERM", stop);
    signals.once("SIGINT", stop);
  });
  return { stopped, cancel };
}
