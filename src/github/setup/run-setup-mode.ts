import { readFileSync } from "node:fs";
import { packageVersion } from "../../package/package-files.js";
import { ConfigError, loadServerConfig } from "../config.js";
import { applyOverrides, startApp, stopSignal, type RunServerArgs } from "../serve-lifecycle.js";
import { PACKAGE_APP_MANIFEST, packageIdentity, readPackageFile } from "../../package/package-files.js";
import { startSetupServer } from "./setup-server.js";
import { loadSetupSettings, type SetupSettings } from "./setup-settings.js";
import { remoteSetupRefusal } from "./setup-mode.js";

/**
 * Serves the setup page until the App is registered, then runs as that App on the same port
 * until SIGTERM or SIGINT. The setup server is closed and the App's own server (`startServer`,
 * with its limits, webhook gate and API) listens on the port it had: the App's server owns its
 * node:http server, and the gap is the few milliseconds between a close and a listen on one
 * machine, while the browser is on GitHub's installation page. Returns the exit code.
 */
export async function runSetupMode(
  args: RunServerArgs & { cwd: string; configError: ConfigError },
): Promise<number> {
  const fail = (message: string): number => {
    args.stderr(`orchestrator serve: ${message}\nSee .env.example for every setting.\n`);
    return 1;
  };
  let settings: SetupSettings;
  try {
    settings = await loadSetupSettings(args.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The other settings are wrong too: say everything, as a start with an App would.
    return fail(ConfigError.of([...args.configError.problems, ...error.problems]).message);
  }
  applyOverrides(settings.server, args.overrides);
  const refusal = remoteSetupRefusal(settings);
  if (refusal !== undefined) return fail(`${args.configError.message}\n${refusal}`);

  const log = (line: string): void => args.stderr(`orchestrator serve: ${line}\n`);
  const setup = await startSetupServer({
    settings,
    cwd: args.cwd,
    appYml: readPackageFile(PACKAGE_APP_MANIFEST),
    homepage: homepage(),
    userAgent: `claude-team-orchestrator/${packageVersion()} (setup)`,
    configFor: (values) =>
      loadServerConfig({ env: { ...args.env, ...values }, readFile: (path) => readFileSync(path, "utf8") }),
    log,
  }).catch((error: unknown) => {
    const code = error instanceof Error && "code" in error ? String(error.code) : "";
    log(
      code === "EADDRINUSE"
        ? `could not start: port ${settings.server.port} on ${settings.server.host} is already in use; set PORT to another port`
        : `could not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  });
  if (setup === undefined) return 1;
  log(`No GitHub App configured: open ${setup.url}/setup to register one`);

  const stop = stopSignal(args.signals ?? process);
  const next = await Promise.race([setup.registered, stop.stopped.then(() => undefined)]);
  await setup.close();
  if (next === undefined) return 0;

  const config = next.config;
  config.host = settings.server.host;
  config.port = setup.port;
  const server = await startApp(config, args);
  if (server === undefined) {
    stop.cancel();
    log(`the App is registered and saved to ${next.envPath}; start the server again to run it`);
    return 1;
  }
  log(
    `running as the GitHub App "${next.app.slug}" (id ${next.app.id}) on ${server.url}; install it: ${next.app.htmlUrl}/installations/new`,
  );
  await stop.stopped;
  await server.close();
  return 0;
}

/** package.json's homepage: the App's `url` when app.yml still holds its placeholder. */
function homepage(): string {
  const identity = packageIdentity() as { homepage?: unknown };
  return typeof identity.homepage === "string" ? identity.homepage : "https://github.com";
}
