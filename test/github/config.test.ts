import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, describeConfig, loadServerConfig } from "../../src/github/config.js";
import { testPrivateKey } from "./support/test-probot.js";

const BASE = { APP_ID: "123", PRIVATE_KEY: "", WEBHOOK_SECRET: "s3cret-value-for-the-config-tests" };
const noFiles = (path: string): string => {
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
};

function load(env: Record<string, string>, readFile = noFiles) {
  return loadServerConfig({ env: { ...BASE, PRIVATE_KEY: testPrivateKey(), ...env }, readFile });
}

function problem(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("server configuration from the environment", () => {
  it("has working defaults and names nothing secret in its description", () => {
    const config = load({ ORCHESTRATOR_AUTH_TOKEN: "x".repeat(40) });
    expect(config).toMatchObject({
      appId: 123,
      port: 3000,
      host: "127.0.0.1",
      webhookPath: "/api/github/webhooks",
      sweepMinutes: 5,
      workflowFile: "orchestrator-task.yml",
      baseUrl: undefined,
      rateLimit: { perMinute: 30, burst: 10 },
    });
    const described = JSON.stringify(describeConfig(config));
    expect(described).not.toContain("x".repeat(40));
    expect(described).not.toContain("s3cret-value");
    expect(config).toMatchObject({
      maxBodyBytes: 512 * 1024,
      maxWebhookBytes: 2 * 1024 * 1024,
      maxConnections: 100,
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 60_000,
    });
    expect(described).not.toContain("PRIVATE KEY");
  });

  it("names the variable at fault", () => {
    expect(problem({ APP_ID: "" }).variable).toBe("APP_ID");
    expect(problem({ APP_ID: "twelve" }).message).toBe('APP_ID: expected a number, got "twelve"');
    expect(problem({ WEBHOOK_SECRET: " " }).variable).toBe("WEBHOOK_SECRET");
    expect(problem({ PORT: "80a" }).message).toContain("PORT: expected a whole number from 0 to 65535");
    expect(problem({ ORCHESTRATOR_DEFAULT_REPO: "widgets" }).message).toBe(
      'ORCHESTRATOR_DEFAULT_REPO: expected "owner/repo", got "widgets"',
    );
    expect(problem({ ORCHESTRATOR_AUTH_TOKEN: "short" }).message).toContain("at least 24 characters");
    expect(problem({ ORCHESTRATOR_AUTH_TOKEN: "short" }).message).not.toContain('short"');
    expect(problem({ LOG_LEVEL: "loud" }).variable).toBe("LOG_LEVEL");
    expect(problem({ PRIVATE_KEY: "not a key" }).variable).toBe("PRIVATE_KEY");
    expect(problem({ PRIVATE_KEY: "", PRIVATE_KEY_PATH: "/nope.pem" }).message).toBe(
      'PRIVATE_KEY_PATH: cannot read the key file "/nope.pem" (ENOENT)',
    );
  });

  it("reads the key as PEM, with escaped newlines, base64-encoded, or from a file; GHE_HOST gives the API URL", () => {
    const pem = testPrivateKey();
    expect(load({ PRIVATE_KEY: pem.replace(/\n/g, "\\n") }).privateKey).toBe(pem);
    expect(load({ PRIVATE_KEY: Buffer.from(pem).toString("base64") }).privateKey).toBe(pem);
    expect(load({ PRIVATE_KEY: "", PRIVATE_KEY_PATH: "/keys/app.pem" }, () => pem).privateKey).toBe(pem);
    expect(load({ GHE_HOST: "github.example.com" }).baseUrl).toBe("https://github.example.com/api/v3");
    expect(load({ ORCHESTRATOR_SWEEP_REPOS: "acme/a, acme/b" }).sweepRepos).toEqual([
      { owner: "acme", repo: "a" },
      { owner: "acme", repo: "b" },
    ]);
  });

  it("refuses a short WEBHOOK_SECRET and the .env.example placeholder, naming the variable, never the value", () => {
    const short = problem({ WEBHOOK_SECRET: "hunter2-secret" });
    expect(short.variable).toBe("WEBHOOK_SECRET");
    expect(short.message).toContain("WEBHOOK_SECRET: must be at least 16 characters (it is 14)");
    expect(short.message).not.toContain("hunter2");
    const placeholder = problem({ WEBHOOK_SECRET: "replace-with-a-long-random-string" });
    expect(placeholder.message).toBe(
      "WEBHOOK_SECRET: is still the example value from .env.example; make one with `openssl rand -hex 32`",
    );
    expect(load({ WEBHOOK_SECRET: "0123456789abcdef" }).webhookSecret).toBe("0123456789abcdef");
  });

  it("refuses a PEM block that is not a readable RSA key at start, naming the variable, never the key", () => {
    const body = "c2VjcmV0LWtleS1tYXRlcmlhbC10aGF0LWlzLW5vdC1hLWtleQ==";
    const garbled = `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----\n`;
    const inline = problem({ PRIVATE_KEY: garbled });
    expect(inline.variable).toBe("PRIVATE_KEY");
    expect(inline.message).toMatch(/^PRIVATE_KEY: holds a PEM block that is not a readable private key/);
    expect(inline.message).not.toContain(body);
    // A real key cut short (a copy-paste that lost its end) is refused too.
    const pem = testPrivateKey();
    const truncated = `${pem.slice(0, pem.length / 2)}\n-----END RSA PRIVATE KEY-----\n`;
    const fromFile = (() => {
      try {
        load({ PRIVATE_KEY: "", PRIVATE_KEY_PATH: "/keys/app.pem" }, () => truncated);
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error("expected a ConfigError");
    })();
    expect(fromFile.variable).toBe("PRIVATE_KEY_PATH");
    expect(fromFile.message).not.toContain(pem.slice(40, 100));
    // A readable key of another type: GitHub App keys are RSA.
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    expect(problem({ PRIVATE_KEY: ec }).message).toBe(
      "PRIVATE_KEY: holds a key of type ec; GitHub App keys are RSA",
    );
  });

  it("reads the body limits, connection cap and timeouts; the request timeout covers the headers", () => {
    const config = load({
      ORCHESTRATOR_MAX_WEBHOOK_BYTES: "1048576",
      ORCHESTRATOR_MAX_CONNECTIONS: "50",
      ORCHESTRATOR_HEADERS_TIMEOUT_SECONDS: "5",
      ORCHESTRATOR_REQUEST_TIMEOUT_SECONDS: "30",
    });
    expect(config).toMatchObject({
      maxWebhookBytes: 1_048_576,
      maxConnections: 50,
      headersTimeoutMs: 5_000,
      requestTimeoutMs: 30_000,
    });
    expect(describeConfig(config).limits).toMatchObject({ maxWebhookBytes: 1_048_576, maxConnections: 50 });
    expect(problem({ ORCHESTRATOR_MAX_WEBHOOK_BYTES: "30000000" }).message).toContain(
      "ORCHESTRATOR_MAX_WEBHOOK_BYTES: expected a whole number from 65536 to 25000000",
    );
    expect(
      problem({ ORCHESTRATOR_HEADERS_TIMEOUT_SECONDS: "30", ORCHESTRATOR_REQUEST_TIMEOUT_SECONDS: "10" })
        .variable,
    ).toBe("ORCHESTRATOR_REQUEST_TIMEOUT_SECONDS");
  });

  it("who may command the App besides writers, and which branches a repository_dispatch may start from", () => {
    expect(load({})).toMatchObject({ allowedBots: [], dispatchRefs: [] });
    expect(
      load({
        ORCHESTRATOR_ALLOWED_BOTS: "renovate[bot], my-app[bot]",
        ORCHESTRATOR_DISPATCH_REFS: "release/*, develop",
      }),
    ).toMatchObject({
      allowedBots: ["renovate[bot]", "my-app[bot]"],
      dispatchRefs: ["release/*", "develop"],
    });
    expect(problem({ ORCHESTRATOR_ALLOWED_BOTS: "github-actions[bot]" }).message).toBe(
      "ORCHESTRATOR_ALLOWED_BOTS: github-actions[bot] cannot be allowed: every workflow run's token acts as it, the agents' own runs included",
    );
    expect(problem({ ORCHESTRATOR_ALLOWED_BOTS: "octocat" }).message).toBe(
      'ORCHESTRATOR_ALLOWED_BOTS: expected bot logins such as "renovate[bot]", got "octocat"',
    );
    expect(problem({ ORCHESTRATOR_DISPATCH_REFS: "orchestrator/*" }).message).toBe(
      'ORCHESTRATOR_DISPATCH_REFS: "orchestrator/*" names task branches, which are never allowed',
    );
    expect(problem({ ORCHESTRATOR_DISPATCH_REFS: "a..b" }).message).toBe(
      "ORCHESTRATOR_DISPATCH_REFS: \"a..b\" is not a branch name or pattern: it contains '..'",
    );
  });

  it("reports every missing or invalid setting at once, each with what it expects, never a secret", () => {
    const secret = "hunter2-short";
    const error = (() => {
      try {
        loadServerConfig({
          env: {
            APP_ID: "",
            WEBHOOK_SECRET: secret,
            PORT: "eighty",
            ORCHESTRATOR_AUTH_TOKEN: "tiny-token",
            LOG_LEVEL: "loud",
          },
          readFile: noFiles,
        });
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error("expected a ConfigError");
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems.map((p) => p.variable)).toEqual([
      "APP_ID",
      "PRIVATE_KEY",
      "WEBHOOK_SECRET",
      "ORCHESTRATOR_AUTH_TOKEN",
      "PORT",
      "LOG_LEVEL",
    ]);
    expect(error.variable).toBe("APP_ID");
    // The per-variable messages are the ones a single problem gives, one a line.
    expect(error.message.split("\n")).toEqual([
      "6 settings are missing or invalid:",
      "  APP_ID: is required: the App's numeric id from its settings page",
      "  PRIVATE_KEY: is required (or PRIVATE_KEY_PATH): the App's private key, generated on its settings page",
      expect.stringMatching(/^ {2}WEBHOOK_SECRET: must be at least 16 characters \(it is 13\)/),
      expect.stringMatching(/^ {2}ORCHESTRATOR_AUTH_TOKEN: must be at least 24 characters \(it is 10\)/),
      '  PORT: expected a whole number from 0 to 65535, got "eighty"',
      '  LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"',
    ]);
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain("tiny-token");
    // One problem still reads as before.
    expect(problem({ APP_ID: "twelve" }).problems).toEqual([
      { variable: "APP_ID", message: 'expected a number, got "twelve"' },
    ]);
  });

  it("listens on every address under Cloud Run (K_SERVICE set) unless HOST says otherwise", () => {
    expect(load({}).host).toBe("127.0.0.1");
    expect(load({ K_SERVICE: "orchestrator", PORT: "8080" })).toMatchObject({ host: "0.0.0.0", port: 8080 });
    expect(load({ K_SERVICE: "orchestrator", HOST: "127.0.0.1" }).host).toBe("127.0.0.1");
  });
});
