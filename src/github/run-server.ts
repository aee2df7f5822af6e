import { readFileSync } from "node:fs";
import { ConfigError, loadServerConfig } from "./config.js";
import { applyOverrides, startApp, stopSignal, type RunServerArgs } from "./serve-lifecycle.js";
import { runSetupMode } from "./setup/run-setup-mode.js";
import { decideSetupMode } from "./setup/setup-mode.js";

export type { RunServerArgs } from "./serve-lifecycle.js";

/**
 * Runs the App's server until SIGTERM or SIGINT (Cloud Run sends SIGTERM and allows 10 s), then
 * stops gracefully. With no App configured at all (and not in production) it first serves the
 * setup page (`setup/`), then runs as the App it registered. Returns the exit code: 0 after a
 * clean stop, 1 when it could not start.
 */
export async function runServer(args: RunServerArgs): Promise<number> {
  let config;
  try {
    config = loadServerConfig({ env: args.env, readFile: (path) => readFileSync(path, "utf8") });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const decision = decideSetupMode(args.env, error);
    if (decision.serve) return runSetupMode({ ...args, cwd: args.cwd ?? process.cwd(), configError: error });
    const hint = decision.hint === undefined ? "" : `${decision.hint}\n`;
    args.stderr(`orchestrator serve: ${error.message}\n${hint}See .env.example for every setting.\n`);
    return 1;
  }
  applyOverrides(config, args.overrides);
  const server = await startApp(config, args);
  if (server === undefined) return 1;
  await untilStopped(args.signals ?? process);
  await server.close();
  return 0;
}

function untilStopped(signals: Pick<NodeJS.Process, "once" | "off">): Promise<void> {
  return stopSignal(signals).stopped;
}
