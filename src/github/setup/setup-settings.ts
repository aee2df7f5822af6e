import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import { ConfigError, loadServerConfig, type ServerConfig } from "../config.js";

/** The settings the App is made of; setup mode runs only when none of them is set. */
export const APP_SETTINGS = ["APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET"] as const;
/** .env.example's APP_ID: a copied example file is not a configured App. */
const EXAMPLE_APP_ID = "123456";

type Env = Readonly<Record<string, string | undefined>>;

/** The App settings that are set (a copied .env.example's APP_ID does not count). */
export function appSettingsPresent(env: Env): string[] {
  return APP_SETTINGS.filter((name) => {
    const value = env[name]?.trim();
    return value !== undefined && value !== "" && !(name === "APP_ID" && value === EXAMPLE_APP_ID);
  });
}

/** Why this is a deployment, where an unauthenticated setup page must never be served. */
export function productionReason(env: Env): string | undefined {
  if (env.NODE_ENV?.trim() === "production") return "NODE_ENV=production";
  if (env.K_SERVICE?.trim()) return "K_SERVICE is set (Cloud Run)";
  return undefined;
}

/** The server's settings without an App (listening, limits, GitHub's address) and the setup's own. */
export interface SetupSettings {
  server: Omit<ServerConfig, "appId" | "privateKey" | "webhookSecret">;
  /** GitHub's REST root (https://api.github.com, or GHE's /api/v3). */
  apiUrl: string;
  /** GitHub's web root, where the manifest is posted (https://github.com, or the GHE host). */
  githubUrl: string;
  /** ORCHESTRATOR_PUBLIC_URL: where GitHub and the browser reach this server; else the request's Host. */
  publicUrl: string | undefined;
  /** WEBHOOK_PROXY_URL: a smee.io channel used as the webhook URL as it is. */
  webhookProxyUrl: string | undefined;
  /** ORCHESTRATOR_ALLOW_REMOTE_SETUP=true: serve the setup page on a non-loopback address. */
  allowRemote: boolean;
}

/**
 * Reads every other setting exactly as the App will (one loader, one set of messages): the App's
 * three are stood in for by placeholders that never leave this function. Throws ConfigError.
 */
export async function loadSetupSettings(env: Env): Promise<SetupSettings> {
  const { privateKey: placeholderKey } = await promisify(generateKeyPair)("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const problems: Array<{ variable: string; message: string }> = [];
  const url = (name: string): string | undefined => {
    const value = env[name]?.trim();
    if (!value) return undefined;
    let parsed: URL | undefined;
    try {
      parsed = new URL(value);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || !/^https?:$/.test(parsed.protocol) || parsed.search || parsed.hash) {
      problems.push({ variable: name, message: `expected an http(s) URL without query, got "${value}"` });
      return undefined;
    }
    return parsed.href.replace(/\/+$/, "");
  };
  const publicUrl = url("ORCHESTRATOR_PUBLIC_URL");
  const webhookProxyUrl = url("WEBHOOK_PROXY_URL");
  let server: ServerConfig | undefined;
  try {
    server = loadServerConfig({
      env: {
        ...env,
        APP_ID: "1",
        PRIVATE_KEY: placeholderKey,
        PRIVATE_KEY_PATH: undefined,
        WEBHOOK_SECRET: "x".repeat(32),
      },
      readFile: () => "",
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (server === undefined || problems.length > 0) throw ConfigError.of(problems);
  const { appId: _appId, privateKey: _key, webhookSecret: _secret, ...rest } = server;
  const apiUrl = server.baseUrl ?? "https://api.github.com";
  return {
    server: rest,
    apiUrl,
    githubUrl: server.baseUrl === undefined ? "https://github.com" : server.baseUrl.replace(/\/api\/v3$/, ""),
    publicUrl,
    webhookProxyUrl,
    allowRemote: env.ORCHESTRATOR_ALLOW_REMOTE_SETUP?.trim() === "true",
  };
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}
