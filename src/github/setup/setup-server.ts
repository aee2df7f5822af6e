import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError, type ServerConfig } from "../config.js";
import { buildAppManifest } from "./app-manifest.js";
import { EnvValueError, EnvWriteError, writeEnvValues } from "./env-file-merge.js";
import { ExchangeError, exchangeManifestCode, type RegisteredApp } from "./exchange-code.js";
import { renderMessagePage, renderSetupPage } from "./setup-page.js";
import { isLoopbackHost, type SetupSettings } from "./setup-settings.js";
import { SetupStates } from "./setup-states.js";

/**
 * Setup mode's HTTP server: the page (GET / and /setup), the callback GitHub sends the browser
 * back to (GET /setup/callback), and 503 for everything else (webhooks and the API need an App).
 * On a good callback it saves the App's settings to `.env`, redirects the browser to the App's
 * installation page and resolves `registered`; the caller then closes this server and starts the
 * App on the same port.
 */
export interface SetupServer {
  /** http://host:port, as printed for the user. */
  url: string;
  port: number;
  /** The App registered and its settings saved and loaded: the App can start. */
  registered: Promise<Registration>;
  close(): Promise<void>;
}

export interface Registration {
  app: RegisteredApp;
  config: ServerConfig;
  envPath: string;
}

export async function startSetupServer(args: {
  settings: SetupSettings;
  /** Where `.env` is written (the working directory). */
  cwd: string;
  appYml: string;
  homepage: string;
  userAgent: string;
  /** The App's settings from the values written to `.env`; throws ConfigError. */
  configFor: (values: Readonly<Record<string, string>>) => ServerConfig;
  /** One line for the operator (stderr); never a secret. */
  log: (line: string) => void;
  nowMs?: () => number;
}): Promise<SetupServer> {
  const { settings } = args;
  const states = new SetupStates({ nowMs: args.nowMs ?? (() => Date.now()) });
  const loopbackOnly = isLoopbackHost(settings.server.host);
  const publicHost = settings.publicUrl === undefined ? undefined : new URL(settings.publicUrl).host;
  let phase: "open" | "registering" | "registered" = "open";
  let resolveRegistered: (registration: Registration) => void = () => {};
  const registered = new Promise<Registration>((resolve) => (resolveRegistered = resolve));

  const baseUrl = (req: IncomingMessage): string | undefined => {
    if (settings.publicUrl !== undefined) return settings.publicUrl;
    const forwarded = settings.server.trustedProxies > 0;
    const proto = forwarded ? firstHeader(req, "x-forwarded-proto") : undefined;
    const host = (forwarded ? firstHeader(req, "x-forwarded-host") : undefined) ?? firstHeader(req, "host");
    if (host === undefined || !HOST.test(host)) return undefined;
    return `${proto === "https" ? "https" : "http"}://${host}`;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://setup.invalid");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const isSetupRoute = path === "/" || path === "/setup" || path === "/setup/callback";
    if (!isSetupRoute) {
      sendText(res, 503, "No GitHub App is configured yet: this server is in setup mode (open /setup).\n");
      return;
    }
    // A page on loopback answers only to loopback names: another site's name resolving to
    // 127.0.0.1 (DNS rebinding) could otherwise read a state and finish a registration.
    const hostName = firstHeader(req, "host")?.replace(/:\d+$/, "");
    if (
      loopbackOnly &&
      (hostName === undefined || (!isLoopbackHost(hostName) && hostName !== publicHost?.replace(/:\d+$/, "")))
    ) {
      sendPage(
        res,
        421,
        renderMessagePage("Wrong address", [
          "This setup page answers only at 127.0.0.1, localhost or ORCHESTRATOR_PUBLIC_URL.",
        ]),
      );
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendText(res, 405, "Only GET is served in setup mode.\n", { allow: "GET, HEAD" });
      return;
    }
    if (phase === "registered") {
      sendPage(
        res,
        409,
        renderMessagePage("Already registered", [
          "The App is registered; this server is starting as the App.",
        ]),
      );
      return;
    }
    if (path !== "/setup/callback") {
      servePage(req, res);
      return;
    }
    await callback(url, res);
  };

  const servePage = (req: IncomingMessage, res: ServerResponse): void => {
    const base = baseUrl(req);
    if (base === undefined) {
      sendPage(
        res,
        400,
        renderMessagePage("Unknown address", [
          "The request named no usable Host; open the page at http://127.0.0.1:<port>/setup or set ORCHESTRATOR_PUBLIC_URL.",
        ]),
      );
      return;
    }
    const webhookUrl = settings.webhookProxyUrl ?? `${base}${settings.server.webhookPath}`;
    const manifest = buildAppManifest({
      appYml: args.appYml,
      webhookUrl,
      redirectUrl: `${base}/setup/callback`,
      homepage: args.homepage,
    });
    sendPage(
      res,
      200,
      renderSetupPage({
        manifest,
        state: states.issue(),
        githubUrl: settings.githubUrl,
        webhookUnreachable: isLoopbackHost(new URL(webhookUrl).hostname),
        envPath: `${args.cwd.replace(/\/+$/, "")}/.env`,
      }),
    );
  };

  const callback = async (url: URL, res: ServerResponse): Promise<void> => {
    const state = url.searchParams.get("state") ?? "";
    const code = url.searchParams.get("code") ?? "";
    if (phase === "registering") {
      sendPage(
        res,
        409,
        renderMessagePage("Registration under way", ["Another registration is being finished; wait for it."]),
      );
      return;
    }
    if (!states.take(state)) {
      args.log("refused a setup callback with an unknown or expired state");
      sendPage(
        res,
        403,
        renderMessagePage("Unknown registration", [
          "This link did not come from this server's setup page (its state is unknown, used or expired), so nothing was registered or saved.",
          "Open /setup on this server and register from there.",
        ]),
      );
      return;
    }
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(code)) {
      sendPage(
        res,
        400,
        renderMessagePage("No registration code", [
          "GitHub's redirect carried no registration code (was the registration cancelled?). Nothing was saved.",
          "Open /setup on this server and register again.",
        ]),
      );
      return;
    }
    phase = "registering";
    try {
      const registration = await register(code);
      phase = "registered";
      args.log(
        `registered the GitHub App "${registration.app.slug}" (id ${registration.app.id}); saved its settings to ${registration.envPath}`,
      );
      const install = `${registration.app.htmlUrl}/installations/new`;
      res.writeHead(302, {
        location: install,
        "content-type": "text/plain; charset=utf-8",
        connection: "close",
        "cache-control": "no-store",
      });
      res.end(`Registered. Install the App: ${install}\n`);
      resolveRegistered(registration);
    } catch (error) {
      phase = "open";
      const { status, paragraphs } = describeFailure(error);
      args.log(`registration failed: ${paragraphs[0] ?? ""}`);
      sendPage(res, status, renderMessagePage("Registration failed", paragraphs));
    }
  };

  const register = async (code: string): Promise<Registration> => {
    const app = await exchangeManifestCode({ code, baseUrl: settings.apiUrl, userAgent: args.userAgent });
    const values = {
      APP_ID: String(app.id),
      PRIVATE_KEY: app.pem,
      WEBHOOK_SECRET: app.webhookSecret,
      GITHUB_CLIENT_ID: app.clientId,
      GITHUB_CLIENT_SECRET: app.clientSecret,
    };
    let envPath: string;
    try {
      envPath = writeEnvValues(args.cwd, values);
    } catch (error) {
      throw new NotSavedError(app, error);
    }
    return { app, config: args.configFor(values), envPath };
  };

  const http = createServer(
    { headersTimeout: settings.server.headersTimeoutMs, requestTimeout: settings.server.requestTimeoutMs },
    (req, res) =>
      void handle(req, res).catch((error: unknown) => {
        args.log(`setup request failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) sendText(res, 500, "The setup failed; see the server's log.\n");
        else res.end();
      }),
  );
  http.maxConnections = settings.server.maxConnections;
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(settings.server.port, settings.server.host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const host = settings.server.host.includes(":") ? `[${settings.server.host}]` : settings.server.host;
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    port,
    registered,
    async close() {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      // The callback's answer (the redirect) has been sent with `connection: close`.
      setImmediate(() => http.closeAllConnections());
      await closed;
    },
  };
}

/** A Host header: a name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** GitHub registered the App, but its settings could not be saved (it exists on GitHub now). */
class NotSavedError extends Error {
  constructor(
    readonly app: RegisteredApp,
    readonly reason: unknown,
  ) {
    super("not saved");
  }
}

function describeFailure(error: unknown): { status: number; paragraphs: string[] } {
  if (error instanceof ExchangeError)
    return { status: 502, paragraphs: [error.message, "Nothing was saved."] };
  if (error instanceof NotSavedError) {
    const why =
      error.reason instanceof EnvWriteError || error.reason instanceof EnvValueError
        ? error.reason.message
        : String(error.reason);
    return {
      status: 500,
      paragraphs: [
        `GitHub registered the App "${error.app.slug}" (id ${error.app.id}), but its settings were not saved: ${why}.`,
        `Make .env writable, then on the App's settings page (${error.app.htmlUrl}) generate a private key and set a webhook secret, and put APP_ID=${error.app.id}, PRIVATE_KEY and WEBHOOK_SECRET in .env; or delete that App and register again from /setup.`,
      ],
    };
  }
  if (error instanceof ConfigError) {
    return { status: 500, paragraphs: [`The saved settings do not work: ${error.message}`] };
  }
  throw error;
}

function firstHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = (Array.isArray(value) ? value[0] : value)?.split(",")[0]?.trim();
  return first ? first : undefined;
}

function sendPage(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": String(Buffer.byteLength(html)),
    "cache-control": "no-store",
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
  });
  res.end(html);
}

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}
