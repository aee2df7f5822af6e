import { describeEnvFile, EnvFileError, readDotEnv } from "../github/env-file.js";
import { runServer } from "../github/run-server.js";
import { EXIT, type Command } from "./command.js";
import { parseCommandArgs } from "./parse-command-args.js";
import { CliError } from "./cli-error.js";

const USAGE = `Usage: orchestrator serve [--port N] [--host H]

Runs the GitHub App: webhooks at /api/github/webhooks, the HTTP API under /api/, and /health.
Settings come from the environment and from .env in the working directory if there is one
(variables already set in the environment win; see .env.example): APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH,
WEBHOOK_SECRET (16 characters or more) are required; ORCHESTRATOR_AUTH_TOKEN turns the HTTP API on.
Limits against bad input: ORCHESTRATOR_MAX_WEBHOOK_BYTES (2 MiB), ORCHESTRATOR_MAX_BODY_BYTES
(512 KiB, the API), ORCHESTRATOR_MAX_CONNECTIONS (100), ORCHESTRATOR_HEADERS_TIMEOUT_SECONDS (20)
and ORCHESTRATOR_REQUEST_TIMEOUT_SECONDS (60).

No App yet? Start without APP_ID, PRIVATE_KEY and WEBHOOK_SECRET and the server serves a setup
page instead (it prints its address, http://127.0.0.1:3000/setup by default): one click registers
the App on GitHub from app.yml, saves its settings to .env (0600, other lines kept) and the server
goes on as the App without a restart. Served only on a loopback HOST (else
ORCHESTRATOR_ALLOW_REMOTE_SETUP=true) and never in production (NODE_ENV=production or K_SERVICE).
ORCHESTRATOR_PUBLIC_URL sets the address GitHub sends webhooks to (default: the page's own), or
WEBHOOK_PROXY_URL a smee.io channel.

Options:
  --port N    port to listen on (default: PORT, else 3000)
  --host H    address to listen on (default: HOST, else 0.0.0.0 under Cloud Run (K_SERVICE set),
              else 127.0.0.1; the container image sets HOST=0.0.0.0)
  -h, --help  show this help

Stops gracefully on SIGTERM or Ctrl-C. Exit codes: 0 stopped, 1 could not start, 2 wrong command line.
`;

export const serveCommand: Command = {
  name: "serve",
  summary: "run the GitHub App server (webhooks, HTTP API, sweeps)",
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      options: { port: { type: "string" }, host: { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
    if (values.help) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`);
    const overrides: { port?: number; host?: string } = {};
    if (values.port !== undefined) {
      if (!/^[0-9]+$/.test(values.port) || Number(values.port) > 65_535) {
        throw new CliError(`--port must be a number from 0 to 65535, got "${values.port}"`);
      }
      overrides.port = Number(values.port);
    }
    if (values.host !== undefined) overrides.host = values.host;
    const env = io.env ?? process.env;
    try {
      io.stderr(`orchestrator serve: ${describeEnvFile(readDotEnv({ cwd: io.cwd, env }))}\n`);
    } catch (error) {
      if (!(error instanceof EnvFileError)) throw error;
      throw new CliError(error.message, "failed");
    }
    return runServer({ env, overrides, stderr: io.stderr, cwd: io.cwd });
  },
};
