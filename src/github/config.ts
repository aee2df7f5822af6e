import { createPrivateKey } from "node:crypto";
import { z } from "zod";
import { branchNameProblem } from "../core/branch-name.js";
import { isTaskBranch } from "../core/dispatch-ref.js";
import { LIMITS } from "../core/tasks-schema.js";
import { DEFAULT_WORKFLOW_FILE } from "./sessions/app-config.js";

/**
 * The server's settings, read from the environment once at start. Every problem names the
 * variable and what it expects; secret values never appear in messages or in `describeConfig`.
 */
export interface ServerConfig {
  appId: number;
  /** PEM text of the App's private key (from PRIVATE_KEY or the file at PRIVATE_KEY_PATH). */
  privateKey: string;
  webhookSecret: string;
  /** GitHub's REST API root: https://api.github.com, or https://<GHE_HOST>/api/v3. */
  baseUrl: string | undefined;
  port: number;
  host: string;
  webhookPath: string;
  /** Bearer token of the HTTP API; without it the /api/* routes answer 503 (the API is off). */
  authToken: string | undefined;
  /** "owner/repo" used by the HTTP API when a request names none. */
  defaultRepo: { owner: string; repo: string } | undefined;
  /** Minutes between sweeps of active sessions (and failed-delivery passes); 0 turns them off. */
  sweepMinutes: number;
  /** Sweep only these repositories instead of every repository the App is installed on. */
  sweepRepos: Array<{ owner: string; repo: string }> | undefined;
  /** Look back this far for failed webhook deliveries to redeliver. */
  redeliverHours: number;
  workflowFile: string;
  /** Bots (`name[bot]`) that may command the App like people with write access; none by default. */
  allowedBots: string[];
  /** Branches besides the default one a repository_dispatch may start a session from (`*` ends a pattern). */
  dispatchRefs: string[];
  /** Name (`name:`) of the task workflow, to recognise its `workflow_job` events without API calls. */
  workflowName: string;
  defaultParallel: number;
  statusCommentIntervalMs: number;
  runNeverStartedAfterMs: number;
  rateLimit: { perMinute: number; burst: number };
  /** How many reverse proxies sit in front (Cloud Run: 1): which X-Forwarded-For entry is the client. */
  trustedProxies: number;
  /** Largest HTTP API request body, in bytes (the API's bodies are small JSON objects). */
  maxBodyBytes: number;
  /** Largest webhook body, in bytes; larger ones get 413 and the connection is closed unread. */
  maxWebhookBytes: number;
  /** Open connections at once; more are dropped at accept (bounds sockets and buffered bodies). */
  maxConnections: number;
  /** A request's headers must arrive within this (Node's `headersTimeout`), else 408 and close. */
  headersTimeoutMs: number;
  /** A whole request (headers and body) must arrive within this (Node's `requestTimeout`). */
  requestTimeoutMs: number;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  logFormat: "json" | "pretty";
}

/** One setting at fault: the variable, and what it expects (never a secret's value). */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/**
 * The settings are wrong. Carries every problem found (`problems`), so a user fixes them all in
 * one go; `variable` is the first. One problem reads "VARIABLE: what it expects".
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(
    readonly variable: string,
    message: string,
    others: readonly ConfigProblem[] = [],
  ) {
    super(describeProblems([{ variable, message }, ...others]));
    this.name = "ConfigError";
    this.problems = [{ variable, message }, ...others];
  }

  /** All the problems as one error (at least one). */
  static of(problems: readonly ConfigProblem[]): ConfigError {
    const [first, ...others] = problems;
    if (first === undefined) throw new Error("ConfigError.of needs a problem");
    return new ConfigError(first.variable, first.message, others);
  }
}

function describeProblems(problems: readonly ConfigProblem[]): string {
  if (problems.length === 1) return `${problems[0]?.variable}: ${problems[0]?.message}`;
  return [
    `${problems.length} settings are missing or invalid:`,
    ...problems.map((problem) => `  ${problem.variable}: ${problem.message}`),
  ].join("\n");
}

type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  env: Env;
  /** Reads PRIVATE_KEY_PATH (injected so tests need no files). */
  readFile: (path: string) => string;
}

const REPO = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/;
const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
/** Shorter bearer tokens can be guessed; `openssl rand -hex 32` gives 64 characters. */
const MIN_TOKEN_LENGTH = 24;
/**
 * The webhook secret is all that authenticates a webhook (the URL is public), and one signed
 * delivery (a log, a proxy, a redelivery) lets anyone test guesses offline at GPU speed. Below 16
 * characters it is a word or a default (Probot's is "development"); 16 random hex characters are
 * 64 bits. `openssl rand -hex 32` gives 64.
 */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;
/** The placeholder in .env.example: long enough, and public. */
const EXAMPLE_WEBHOOK_SECRET = "replace-with-a-long-random-string";
const KIB = 1024;
const MIB = 1024 * KIB;
/**
 * The default webhook limit: the events this App subscribes to (app.yml) are well under 1 MiB even
 * with the largest comment and issue bodies GitHub allows (65,536 characters each); GitHub's own
 * cap is 25 MB (`push` events), which this App never receives. With the default connection cap,
 * 100 connections × 2 MiB bounds the bodies held at once to 200 MiB, inside a 512 MiB instance.
 */
export const DEFAULT_MAX_WEBHOOK_BYTES = 2 * MIB;
const GITHUB_MAX_WEBHOOK_BYTES = 25 * 1000 * 1000;
/** Above Cloud Run's concurrency (deploy/cloud-run.sh: 40), with room for idle keep-alive sockets. */
export const DEFAULT_MAX_CONNECTIONS = 100;

/**
 * Reads every setting; throws one ConfigError listing every problem found (not just the first),
 * so a first start shows all that is missing at once.
 */
export function loadServerConfig(options: LoadConfigOptions): ServerConfig {
  const { env } = options;
  const problems: ConfigProblem[] = [];
  /** Reads one setting; its problem is noted (all are reported together) and `fallback` stands in. */
  const setting = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return fallback;
    }
  };
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const required = (name: string, hint: string): string => {
    const value = text(name);
    if (value === undefined) throw new ConfigError(name, `is required: ${hint}`);
    return value;
  };
  const int = (name: string, fallback: number, range: { min: number; max: number }): number =>
    setting(() => {
      const value = text(name);
      if (value === undefined) return fallback;
      const parsed = z.coerce.number().int().min(range.min).max(range.max).safeParse(value);
      if (!parsed.success || !/^[0-9]+$/.test(value)) {
        throw new ConfigError(
          name,
          `expected a whole number from ${range.min} to ${range.max}, got "${value}"`,
        );
      }
      return parsed.data;
    }, fallback);
  const choice = <T extends string>(name: string, allowed: readonly T[], fallback: T): T =>
    setting(() => {
      const value = text(name);
      if (value === undefined) return fallback;
      if (!(allowed as readonly string[]).includes(value)) {
        throw new ConfigError(name, `expected one of ${allowed.join(", ")}, got "${value}"`);
      }
      return value as T;
    }, fallback);

  const appId = setting(() => {
    const appIdText = required("APP_ID", "the App's numeric id from its settings page");
    if (!/^[0-9]+$/.test(appIdText)) throw new ConfigError("APP_ID", `expected a number, got "${appIdText}"`);
    return Number(appIdText);
  }, 0);
  const privateKey = setting(() => readPrivateKey(options, text), "");
  const webhookSecret = setting(
    () => readWebhookSecret(required("WEBHOOK_SECRET", "the webhook secret set in the App's settings")),
    "",
  );
  const baseUrl = setting(() => apiBaseUrl(text), undefined);

  const authToken = setting(() => {
    const token = text("ORCHESTRATOR_AUTH_TOKEN");
    if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
      throw new ConfigError(
        "ORCHESTRATOR_AUTH_TOKEN",
        `must be at least ${MIN_TOKEN_LENGTH} characters (it is ${token.length}); make one with \`openssl rand -hex 32\``,
      );
    }
    return token;
  }, undefined);
  const defaultRepo = setting(() => {
    const value = text("ORCHESTRATOR_DEFAULT_REPO");
    return value === undefined ? undefined : parseRepo("ORCHESTRATOR_DEFAULT_REPO", value);
  }, undefined);
  const sweepRepos = setting(() => {
    const value = text("ORCHESTRATOR_SWEEP_REPOS");
    return value === undefined
      ? undefined
      : list(value).map((item) => parseRepo("ORCHESTRATOR_SWEEP_REPOS", item));
  }, undefined);
  const webhookPath = setting(() => {
    const path = text("WEBHOOK_PATH") ?? "/api/github/webhooks";
    if (!path.startsWith("/")) throw new ConfigError("WEBHOOK_PATH", `must start with "/", got "${path}"`);
    return path;
  }, "/");

  const headersTimeoutMs = int("ORCHESTRATOR_HEADERS_TIMEOUT_SECONDS", 20, { min: 1, max: 600 }) * 1000;
  const requestTimeoutMs = int("ORCHESTRATOR_REQUEST_TIMEOUT_SECONDS", 60, { min: 1, max: 3600 }) * 1000;
  if (requestTimeoutMs < headersTimeoutMs) {
    problems.push({
      variable: "ORCHESTRATOR_REQUEST_TIMEOUT_SECONDS",
      message: `must be at least ORCHESTRATOR_HEADERS_TIMEOUT_SECONDS (${headersTimeoutMs / 1000}): the headers are part of the request`,
    });
  }

  const config: ServerConfig = {
    appId,
    privateKey,
    webhookSecret,
    baseUrl,
    port: int("PORT", 3000, { min: 0, max: 65_535 }),
    // Cloud Run sets K_SERVICE and PORT and sends traffic to the container's address, never to
    // loopback: listening on 127.0.0.1 there would start and answer nothing.
    host: text("HOST") ?? (text("K_SERVICE") === undefined ? "127.0.0.1" : "0.0.0.0"),
    webhookPath,
    authToken,
    defaultRepo,
    sweepMinutes: int("ORCHESTRATOR_SWEEP_MINUTES", 5, { min: 0, max: 1440 }),
    sweepRepos,
    redeliverHours: int("ORCHESTRATOR_REDELIVER_HOURS", 24, { min: 0, max: 72 }),
    workflowFile: text("ORCHESTRATOR_WORKFLOW_FILE") ?? DEFAULT_WORKFLOW_FILE,
    allowedBots: setting(() => list(text("ORCHESTRATOR_ALLOWED_BOTS")).map(allowedBot), []),
    dispatchRefs: setting(() => list(text("ORCHESTRATOR_DISPATCH_REFS")).map(dispatchRef), []),
    workflowName: text("ORCHESTRATOR_WORKFLOW_NAME") ?? "Orchestrator task",
    defaultParallel: int("ORCHESTRATOR_DEFAULT_PARALLEL", 3, { min: 1, max: LIMITS.maxParallelAgents }),
    statusCommentIntervalMs: int("ORCHESTRATOR_STATUS_COMMENT_SECONDS", 120, { min: 0, max: 3600 }) * 1000,
    runNeverStartedAfterMs: int("ORCHESTRATOR_RUN_START_TIMEOUT_MINUTES", 15, { min: 1, max: 1440 }) * 60_000,
    rateLimit: {
      perMinute: int("ORCHESTRATOR_RATE_LIMIT_PER_MINUTE", 30, { min: 1, max: 100_000 }),
      burst: int("ORCHESTRATOR_RATE_LIMIT_BURST", 10, { min: 1, max: 100_000 }),
    },
    trustedProxies: int("ORCHESTRATOR_TRUSTED_PROXIES", 0, { min: 0, max: 10 }),
    maxBodyBytes: int("ORCHESTRATOR_MAX_BODY_BYTES", 512 * KIB, { min: KIB, max: 10 * MIB }),
    maxWebhookBytes: int("ORCHESTRATOR_MAX_WEBHOOK_BYTES", DEFAULT_MAX_WEBHOOK_BYTES, {
      min: 64 * KIB,
      max: GITHUB_MAX_WEBHOOK_BYTES,
    }),
    maxConnections: int("ORCHESTRATOR_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS, { min: 1, max: 100_000 }),
    headersTimeoutMs,
    requestTimeoutMs,
    logLevel: choice("LOG_LEVEL", LOG_LEVELS, "info"),
    logFormat: choice("LOG_FORMAT", ["json", "pretty"] as const, "json"),
  };
  if (problems.length > 0) throw ConfigError.of(problems);
  return config;
}

/** The settings as a log line: which secrets are set, never their values. */
export function describeConfig(config: ServerConfig): Record<string, unknown> {
  return {
    appId: config.appId,
    baseUrl: config.baseUrl ?? "https://api.github.com",
    host: config.host,
    port: config.port,
    webhookPath: config.webhookPath,
    api: config.authToken === undefined ? "off (ORCHESTRATOR_AUTH_TOKEN not set)" : "on",
    defaultRepo: config.defaultRepo ? `${config.defaultRepo.owner}/${config.defaultRepo.repo}` : null,
    sweepMinutes: config.sweepMinutes,
    sweepRepos: config.sweepRepos?.map((r) => `${r.owner}/${r.repo}`) ?? "all installed repositories",
    workflowFile: config.workflowFile,
    allowedBots: config.allowedBots,
    dispatchRefs: config.dispatchRefs,
    rateLimit: config.rateLimit,
    trustedProxies: config.trustedProxies,
    limits: {
      maxBodyBytes: config.maxBodyBytes,
      maxWebhookBytes: config.maxWebhookBytes,
      maxConnections: config.maxConnections,
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
    },
  };
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

function allowedBot(login: string): string {
  if (!/^[A-Za-z0-9-]+\[bot\]$/.test(login)) {
    throw new ConfigError(
      "ORCHESTRATOR_ALLOWED_BOTS",
      `expected bot logins such as "renovate[bot]", got "${login}"`,
    );
  }
  if (login.toLowerCase() === "github-actions[bot]") {
    throw new ConfigError(
      "ORCHESTRATOR_ALLOWED_BOTS",
      "github-actions[bot] cannot be allowed: every workflow run's token acts as it, the agents' own runs included",
    );
  }
  return login;
}

function dispatchRef(pattern: string): string {
  const name = pattern.replace(/\*$/, "");
  const problem = name === "" ? undefined : branchNameProblem(name.replace(/\/$/, "/x"));
  if (problem !== undefined) {
    throw new ConfigError(
      "ORCHESTRATOR_DISPATCH_REFS",
      `"${pattern}" is not a branch name or pattern: ${problem}`,
    );
  }
  if (name !== "" && isTaskBranch(name)) {
    throw new ConfigError(
      "ORCHESTRATOR_DISPATCH_REFS",
      `"${pattern}" names task branches, which are never allowed`,
    );
  }
  return pattern;
}

function parseRepo(variable: string, value: string): { owner: string; repo: string } {
  const match = REPO.exec(value);
  if (!match) throw new ConfigError(variable, `expected "owner/repo", got "${value}"`);
  return { owner: match[1] as string, repo: match[2] as string };
}

function readPrivateKey(options: LoadConfigOptions, text: (name: string) => string | undefined): string {
  const inline = text("PRIVATE_KEY");
  const path = text("PRIVATE_KEY_PATH");
  let key: string;
  if (inline !== undefined) {
    // Secret managers and .env files often hold the PEM with literal "\n", or base64-encoded.
    key = inline.includes("-----BEGIN") ? inline.replace(/\\n/g, "\n") : decodeBase64Pem(inline);
  } else if (path !== undefined) {
    try {
      key = options.readFile(path);
    } catch (error) {
      const reason = error instanceof Error && "code" in error ? String(error.code) : "unreadable";
      throw new ConfigError("PRIVATE_KEY_PATH", `cannot read the key file "${path}" (${reason})`);
    }
  } else {
    throw new ConfigError(
      "PRIVATE_KEY",
      "is required (or PRIVATE_KEY_PATH): the App's private key, generated on its settings page",
    );
  }
  const variable = inline !== undefined ? "PRIVATE_KEY" : "PRIVATE_KEY_PATH";
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(key)) {
    throw new ConfigError(
      variable,
      "does not hold a PEM private key (expected a -----BEGIN RSA PRIVATE KEY----- block)",
    );
  }
  // A key that only looks like PEM would start the server and fail every GitHub call later.
  let type: string | undefined;
  try {
    type = createPrivateKey(key).asymmetricKeyType;
  } catch (error) {
    // The code only (e.g. ERR_OSSL_UNSUPPORTED): OpenSSL's messages say nothing of the key's text.
    const code = error instanceof Error && "code" in error ? ` (${String(error.code)})` : "";
    throw new ConfigError(
      variable,
      `holds a PEM block that is not a readable private key${code}; download a new key from the App's settings page`,
    );
  }
  if (type !== "rsa") {
    throw new ConfigError(variable, `holds a key of type ${type ?? "unknown"}; GitHub App keys are RSA`);
  }
  return key;
}

function readWebhookSecret(secret: string): string {
  if (secret.length < MIN_WEBHOOK_SECRET_LENGTH) {
    throw new ConfigError(
      "WEBHOOK_SECRET",
      `must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters (it is ${secret.length}): it alone authenticates webhooks; make one with \`openssl rand -hex 32\` and set it in the App's settings too`,
    );
  }
  if (secret === EXAMPLE_WEBHOOK_SECRET) {
    throw new ConfigError(
      "WEBHOOK_SECRET",
      "is still the example value from .env.example; make one with `openssl rand -hex 32`",
    );
  }
  return secret;
}

function decodeBase64Pem(value: string): string {
  return Buffer.from(value, "base64").toString("utf8");
}

function apiBaseUrl(text: (name: string) => string | undefined): string | undefined {
  const host = text("GHE_HOST");
  if (host === undefined) return undefined;
  const protocol = text("GHE_PROTOCOL") ?? "https";
  if (protocol !== "https" && protocol !== "http") {
    throw new ConfigError("GHE_PROTOCOL", `expected https or http, got "${protocol}"`);
  }
  if (!/^[A-Za-z0-9.-]+(:[0-9]+)?$/.test(host)) {
    throw new ConfigError("GHE_HOST", `expected a host name such as github.example.com, got "${host}"`);
  }
  return `${protocol}://${host}/api/v3`;
}
