import { readFileSync } from "node:fs";
import { ConfigError, loadServerConfig } from "./config.js";
import { startServer } from "./server.js";

/**
 * Runs the App's server until SIGTERM or SIGINT (Cloud Run sends SIGTERM and allows 10 s), then
 * stops gracefully. Returns the exit code: 0 after a clean stop, 1 when it could not start.
 */
export async function runServer(args: {
  env: NodeJS.ProcessEnv;
  /** From the command line; they win over PORT and HOST. */
  overrides?: { port?: number; host?: string };
  stderr: (text: string) => void;
  signals?: Pick<NodeJS.Process, "once" | "off">;
}): Promise<number> {
  let config;
  try {
    config = loadServerConfig({ env: args.env, readFile: (path) => readFileSync(path, "utf8") });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    args.stderr(`orchestrator serve: ${error.message}\nSee .env.example for every setting.\n`);
    return 1;
  }
  if (args.overrides?.port !== undefined) config.port = args.overrides.port;
  if (args.overrides?.host !== undefined) config.host = args.overrides.host;
  let server;
  try {
    server = await startServer({ config });
  } catch (error) {
    args.stderr(
      `orchestrator serve: could not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
  const signals = args.signals ?? process;
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      signals.off("SIGTERM", stop);
      signals.off("SIGINT", stop);
      resolve();
    };
    signals.once("SIGTERM", stop);
    signals.once("SIGINT", stop);
  });
  await server.close();
  return 0;
}
