import { connect } from "node:net";

/**
 * Where Claude Code sends its model requests, and why that place cannot be reached. The CLI's
 * retry lines carry no error code for a connection that failed, so we name the host from the
 * agent's environment and ask the network ourselves with one bounded TCP connect: refused, host
 * not found, no answer...
 */

const DEFAULT_BASE_URL = "https://api.anthropic.com";
export const PROBE_TIMEOUT_MS = 5_000;

export interface ModelApi {
  /** What a user recognises: the base URL (ANTHROPIC_BASE_URL or the default). */
  baseUrl: string;
  /** Where the TCP connection goes: the API's host, or the proxy the CLI goes through. */
  connectTo?: { host: string; port: number };
  /** The proxy the requests go through, when one applies: `host:port`, never its credentials. */
  proxy?: string;
}

export function modelApiOf(env: NodeJS.ProcessEnv): ModelApi {
  if (isSet(env.CLAUDE_CODE_USE_BEDROCK)) return { baseUrl: "Amazon Bedrock" };
  if (isSet(env.CLAUDE_CODE_USE_VERTEX)) return { baseUrl: "Google Vertex AI" };
  const rawBaseUrl = nonEmpty(env.ANTHROPIC_BASE_URL) ?? DEFAULT_BASE_URL;
  const baseUrl = withoutCredentials(rawBaseUrl);
  const api = hostPort(rawBaseUrl);
  if (api === undefined) return { baseUrl };
  const https = rawBaseUrl.startsWith("https:");
  const proxyUrl = https
    ? (nonEmpty(env.HTTPS_PROXY) ?? nonEmpty(env.https_proxy))
    : (nonEmpty(env.HTTP_PROXY) ?? nonEmpty(env.http_proxy));
  if (proxyUrl === undefined || bypassesProxy(api.host, env)) return { baseUrl, connectTo: api };
  const proxy = hostPort(proxyUrl);
  if (proxy === undefined) return { baseUrl, connectTo: api };
  return { baseUrl, connectTo: proxy, proxy: `${proxy.host}:${proxy.port}` };
}

/** One TCP connect to where the CLI connects; the reason in plain words, "" if it connected. */
export async function probeConnection(api: ModelApi, timeoutMs = PROBE_TIMEOUT_MS): Promise<string> {
  const target = api.connectTo;
  if (target === undefined) return "";
  const via = api.proxy === undefined ? "" : ` (the proxy ${api.proxy})`;
  const reason = await new Promise<string>((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const done = (text: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
    socket.once("connect", () => done(""));
    socket.once("error", (error: NodeJS.ErrnoException) => done(connectError(error)));
  });
  return reason === "" ? "" : `${reason}${via}`;
}

function connectError(error: NodeJS.ErrnoException): string {
  const code = error.code ?? "";
  const words: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ENOTFOUND: "host not found",
    EAI_AGAIN: "host name lookup failed",
    ETIMEDOUT: "connection timed out",
    EHOSTUNREACH: "host unreachable",
    ENETUNREACH: "network unreachable",
    ECONNRESET: "connection reset",
  };
  const said = words[code];
  return said === undefined ? error.message : `${said} (${code})`;
}

/** Messages are shown to users and kept in logs: no user:password@, no query string. */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  } catch {
    return "ANTHROPIC_BASE_URL (not a valid URL)";
  }
}

function hostPort(url: string): { host: string; port: number } | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.hostname === "") return undefined;
    const port = parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port);
    // URL keeps IPv6 hosts in brackets; net.connect wants them bare.
    return { host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port };
  } catch {
    return undefined;
  }
}

/** NO_PROXY as most HTTP clients read it: `*`, exact hosts, and domain suffixes (`.corp`, `corp`). */
function bypassesProxy(host: string, env: NodeJS.ProcessEnv): boolean {
  const list = nonEmpty(env.NO_PROXY) ?? nonEmpty(env.no_proxy);
  if (list === undefined) return false;
  return list
    .split(/[\s,]+/)
    .map((entry) => entry.trim().toLowerCase().replace(/:\d+$/, ""))
    .filter((entry) => entry !== "")
    .some((entry) => {
      if (entry === "*") return true;
      const domain = entry.replace(/^\*?\./, "");
      return host === domain || host.endsWith(`.${domain}`);
    });
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();
const isSet = (value: string | undefined): boolean =>
  value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
