/**
 * Setup mode: `orchestrator serve` / `npm start` with no App configured serves a page that
 * registers the App through GitHub's manifest flow, saves its id, private key and webhook secret
 * to `.env`, and goes on as the App in the same process, on the same port.
 *
 * Why not Probot's own setup (checked against probot 14.3.2):
 * - `setupAppFactory` (`probot/lib/apps/setup.js`) and `ManifestCreation`
 *   (`probot/lib/manifest-creation.js`) are not exported: the package's `exports` map has only
 *   ".", and `import("probot/lib/apps/setup.js")` fails with ERR_PACKAGE_PATH_NOT_EXPORTED.
 * - They are reached only through `run()`, which starts Probot's own server, not ours (no
 *   /health, no HTTP API, no webhook gate with its limits), and asks for a restart afterwards.
 * - Its `updateEnv` rewrites the whole `.env` from its parsed values, unquoted and without the
 *   comments, so a value with a space breaks `set -a; . ./.env`.
 * - Outside production it fetches smee-client with npx at start and creates a smee.io channel.
 * - The manifest's webhook URL is `${baseUrl}/` (not the webhook path) unless WEBHOOK_PROXY_URL
 *   (smee) is set, the base URL comes from `X-Forwarded-Proto`/`X-Forwarded-Host` of any
 *   client, and the callback carries no `state`.
 * This module follows the same documented flow (GitHub: "Registering a GitHub App from a
 * manifest"): POST a form with `manifest` (JSON) to `<github>/settings/apps/new?state=…` or
 * `<github>/organizations/<org>/settings/apps/new?state=…`; GitHub sends the browser to the
 * manifest's `redirect_url?code=…&state=…`; the code is exchanged, within an hour and once, with
 * `POST /app-manifests/{code}/conversions` (no authentication).
 *
 * Who may use it: the page is unauthenticated (whoever reaches it can register their own App
 * into this server's `.env`), so it is served only on a loopback address unless
 * ORCHESTRATOR_ALLOW_REMOTE_SETUP=true, never in production (NODE_ENV=production or K_SERVICE),
 * answers only to loopback Host names there (DNS rebinding), and a callback must carry a state
 * the page handed out.
 */
import type { ConfigError } from "../config.js";
import {
  appSettingsPresent,
  isLoopbackHost,
  productionReason,
  type SetupSettings,
} from "./setup-settings.js";

/** Whether a start without a usable App config serves the setup page, and if not, what to add to the error. */
export type SetupDecision = { serve: true } | { serve: false; hint: string | undefined };

/** Before the settings are read: only when no App setting is set at all, and never in production. */
export function decideSetupMode(
  env: Readonly<Record<string, string | undefined>>,
  error: ConfigError,
): SetupDecision {
  if (appSettingsPresent(env).length > 0) return { serve: false, hint: undefined };
  const appOnly = error.problems.every((problem) =>
    ["APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET"].includes(problem.variable),
  );
  if (!appOnly) return { serve: false, hint: undefined };
  const production = productionReason(env);
  if (production !== undefined) {
    return {
      serve: false,
      hint: `No GitHub App is configured, and the setup page is not served in production (${production}): register the App on your machine (\`npm start\`, then open the page it names), then give this deployment APP_ID, PRIVATE_KEY and WEBHOOK_SECRET from that .env.`,
    };
  }
  return { serve: true };
}

/** After the settings are read: a setup page reachable from the network needs an explicit yes. */
export function remoteSetupRefusal(settings: SetupSettings): string | undefined {
  if (isLoopbackHost(settings.server.host) || settings.allowRemote) return undefined;
  return `No GitHub App is configured, and the setup page is not served on ${settings.server.host}: anyone who can reach it could register their own App into this server's .env. Start with HOST=127.0.0.1 (or --host 127.0.0.1) and open the page on this machine, or set ORCHESTRATOR_ALLOW_REMOTE_SETUP=true if only you can reach this address.`;
}
