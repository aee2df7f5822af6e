import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseEnv } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadServerConfig } from "../../../src/github/config.js";
import { FULL_NAME, ServerHarness, signature, waitFor } from "../support/server-harness.js";
import { readSetupForm, SetupRun, TASKS, tempDir } from "./setup-harness.js";

const APP_YML = parse(readFileSync(new URL("../../../app.yml", import.meta.url), "utf8")) as {
  default_events: string[];
  default_permissions: Record<string, string>;
};

/** What the user keeps in .env: every byte of it must survive the registration. */
const USER_ENV = [
  "# My orchestrator settings",
  "LOG_FORMAT=pretty",
  "",
  "# filled in by the setup page",
  "APP_ID=",
  "GREETING='hello world' # quoted, with a space",
  "export OTHER_SETTING=keep-me",
  "",
].join("\n");

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function setup(env: Record<string, string> = {}, envFile: string | null = USER_ENV) {
  const harness = await ServerHarness.create({ tasks: TASKS });
  const dir = tempDir();
  if (envFile !== null) writeFileSync(join(dir.path, ".env"), envFile);
  const run = SetupRun.start(harness, dir.path, env);
  cleanups.push(
    () => harness.close(),
    dir.remove,
    async () => {
      if (run.exitCode === undefined) await run.stop();
    },
  );
  return { harness, run, dir: dir.path };
}

async function openPage(url: string): Promise<ReturnType<typeof readSetupForm>> {
  const response = await fetch(`${url}/setup`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/html");
  return readSetupForm(await response.text());
}

/** The browser coming back from GitHub (the redirect is not followed: it leads to GitHub). */
async function callback(
  url: string,
  query: Record<string, string>,
): Promise<{ status: number; location: string | null; body: string }> {
  const response = await fetch(`${url}/setup/callback?${new URLSearchParams(query).toString()}`, {
    redirect: "manual",
  });
  return { status: response.status, location: response.headers.get("location"), body: await response.text() };
}

function sh(cwd: string, variable: string): Promise<string> {
  return promisify(execFile)("sh", ["-c", 'set -a; . ./.env; printenv "$1"', "sh", variable], {
    cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  }).then((result) => result.stdout.replace(/\n$/, ""));
}

describe("registering the App from the setup page (no App configured)", () => {
  it("serves the page, saves the App to .env on GitHub's redirect, and goes on as the App on the same port", async () => {
    const { harness, run, dir } = await setup();
    const url = await run.setupUrl();
    const fake = harness.fake;

    const form = await openPage(url);
    expect(form.action).toBe(`${fake.origin}/settings/apps/new?state=${form.state}`);
    expect(form.state).toMatch(/^[0-9a-f]{32}$/);
    expect(form.manifest).toMatchObject({
      name: "Claude Team Orchestrator",
      hook_attributes: { url: `${url}/api/github/webhooks`, active: true },
      redirect_url: `${url}/setup/callback`,
      public: false,
      default_events: APP_YML.default_events,
      default_permissions: APP_YML.default_permissions,
    });
    expect(JSON.stringify(form.manifest)).not.toContain("your-service.example.com");
    // A second render gets its own state.
    expect((await openPage(url)).state).not.toBe(form.state);

    const code = fake.state.addManifestCode();
    const answer = await callback(url, { code, state: form.state });
    expect(answer.status).toBe(302);
    expect(answer.location).toBe(`${fake.origin}/apps/${fake.state.app.slug}/installations/new`);
    await waitFor(() => run.stderr().includes("running as the GitHub App"), "the App to start");
    expect(run.stderr()).toContain(
      `running as the GitHub App "${fake.state.app.slug}" (id ${fake.state.app.id}) on ${url}`,
    );

    // .env: the user's lines byte for byte, APP_ID replaced where it was, the rest appended.
    const text = readFileSync(join(dir, ".env"), "utf8");
    const lines = text.split("\n");
    expect(lines.slice(0, 4)).toEqual(USER_ENV.split("\n").slice(0, 4));
    expect(lines[4]).toBe(`APP_ID="${fake.state.app.id}"`);
    expect(lines.slice(5, 7)).toEqual(USER_ENV.split("\n").slice(5, 7));
    expect(statSync(join(dir, ".env")).mode & 0o777).toBe(0o600);
    const parsed = parseEnv(text);
    expect(parsed).toMatchObject({
      APP_ID: String(fake.state.app.id),
      GREETING: "hello world",
      OTHER_SETTING: "keep-me",
    });
    const conversion = fake.requests.find((r) => r.route === "POST /app-manifests/{code}/conversions");
    const issued = conversion?.responseBody as { pem: string; webhook_secret: string };
    expect(parsed.PRIVATE_KEY).toBe(issued.pem);
    expect(parsed.WEBHOOK_SECRET).toBe(issued.webhook_secret);
    // The shell reads the same settings (the PEM's line breaks as \n, which the config reads back).
    expect(await sh(dir, "APP_ID")).toBe(parsed.APP_ID);
    expect(await sh(dir, "WEBHOOK_SECRET")).toBe(parsed.WEBHOOK_SECRET);
    expect(await sh(dir, "GREETING")).toBe("hello world");
    const fromShell = loadServerConfig({
      env: {
        APP_ID: await sh(dir, "APP_ID"),
        PRIVATE_KEY: await sh(dir, "PRIVATE_KEY"),
        WEBHOOK_SECRET: await sh(dir, "WEBHOOK_SECRET"),
      },
      readFile: () => "",
    });
    expect(fromShell.privateKey).toBe(issued.pem);
    // No secret reached the log.
    expect(run.stderr()).not.toContain(issued.webhook_secret);
    expect(run.stderr()).not.toContain(issued.pem.split("\n")[1]);

    // The same port is now the App: /health, and a webhook signed with the new secret is taken
    // and acted on with the new key (the fake now accepts only JWTs signed by it).
    expect((await fetch(`${url}/health`)).status).toBe(200);
    fake.state.setPermission(FULL_NAME, "octocat", "write");
    const webhook = harness.comment({ body: "/orchestrate" });
    const body = JSON.stringify(webhook.payload);
    const post = (secret: string) =>
      fetch(`${url}/api/github/webhooks`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": webhook.name,
          "x-github-delivery": webhook.id,
          "x-hub-signature-256": signature(body, secret),
        },
        body,
      }).then((response) => response.status);
    // The gate answers a wrong signature with 400 (bad_signature).
    expect(await post("webhook-secret-for-tests")).toBe(400);
    expect(await post(issued.webhook_secret)).toBe(200);
    await waitFor(
      () =>
        fake.requests.some(
          (r) => r.route === "POST /app/installations/{installation_id}/access_tokens" && r.status === 201,
        ),
      "the App's installation token (a JWT signed with the registered key)",
    );
    await waitFor(() => harness.dispatched().length > 0, "the session's first dispatch");
    expect(harness.dispatched()).toEqual(["a#1"]);
    expect(harness.violations()).toEqual([]);
    expect(await run.stop()).toBe(0);
  });

  it("refuses a callback whose state the page did not hand out, and saves nothing", async () => {
    const { harness, run, dir } = await setup();
    const url = await run.setupUrl();
    await openPage(url);
    const code = harness.fake.state.addManifestCode();
    const forged = await callback(url, { code, state: "f".repeat(32) });
    expect(forged.status).toBe(403);
    expect(forged.body).toContain("This link did not come from this server&#39;s setup page");
    const noState = await callback(url, { code });
    expect(noState.status).toBe(403);
    expect(readFileSync(join(dir, ".env"), "utf8")).toBe(USER_ENV);
    expect(harness.fake.state.manifestCodes.has(code)).toBe(true);
    expect(run.stderr()).toContain("refused a setup callback with an unknown or expired state");
  });

  it("says so when GitHub's redirect has no code, and a state is good once", async () => {
    const { run, dir } = await setup();
    const url = await run.setupUrl();
    const { state } = await openPage(url);
    const missing = await callback(url, { state });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain("GitHub&#39;s redirect carried no registration code");
    const again = await callback(url, { state, code: "abc" });
    expect(again.status).toBe(403);
    expect(readFileSync(join(dir, ".env"), "utf8")).toBe(USER_ENV);
  });

  it("reports GitHub's 404 and 422 for the code, saves nothing, and lets the user register again", async () => {
    const { harness, run, dir } = await setup();
    const url = await run.setupUrl();
    const unknown = await callback(url, { state: (await openPage(url)).state, code: "0123456789abcdef" });
    expect(unknown.status).toBe(502);
    expect(unknown.body).toContain(
      "GitHub does not know this registration code: a code works once and expires after an hour",
    );

    harness.fake.faults.add({ route: "POST /app-manifests/{code}/conversions", kind: "validation-failed" });
    const refused = await callback(url, {
      state: (await openPage(url)).state,
      code: harness.fake.state.addManifestCode(),
    });
    expect(refused.status).toBe(502);
    expect(refused.body).toContain("GitHub refused the registration code (422");
    expect(readFileSync(join(dir, ".env"), "utf8")).toBe(USER_ENV);

    // Still in setup mode: a good code registers.
    const good = await callback(url, {
      state: (await openPage(url)).state,
      code: harness.fake.state.addManifestCode(),
    });
    expect(good.status).toBe(302);
  });

  it("says the App was registered but not saved when .env cannot be written, naming the App and the way out", async () => {
    const { harness, run, dir } = await setup({}, null);
    // A directory where .env should be: unwritable even for root.
    mkdirSync(join(dir, ".env"));
    const url = await run.setupUrl();
    const answer = await callback(url, {
      state: (await openPage(url)).state,
      code: harness.fake.state.addManifestCode(),
    });
    expect(answer.status).toBe(500);
    const app = harness.fake.state.app;
    expect(answer.body).toContain(
      `GitHub registered the App &quot;${app.slug}&quot; (id ${app.id}), but its settings were not saved: could not write ${join(dir, ".env")} (EISDIR)`,
    );
    expect(answer.body).toContain("generate a private key and set a webhook secret");
    expect(run.stderr()).toContain("registration failed: GitHub registered the App");
    expect(run.exitCode).toBeUndefined();
  });

  it("answers only to loopback names, so another site's name resolving to 127.0.0.1 cannot drive it", async () => {
    const { run } = await setup();
    const url = new URL(await run.setupUrl());
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: "/setup", headers: { host: "attacker.example:80" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(421);
  });
});

describe("the addresses in the manifest", () => {
  it("ignore X-Forwarded-* without trusted proxies, and follow ORCHESTRATOR_PUBLIC_URL when it is set", async () => {
    const first = await setup();
    const url = await first.run.setupUrl();
    const forged = await fetch(`${url}/setup`, {
      headers: { "x-forwarded-host": "attacker.example", "x-forwarded-proto": "https" },
    });
    const { manifest } = readSetupForm(await forged.text());
    expect(manifest).toMatchObject({ redirect_url: `${url}/setup/callback` });

    const second = await setup({
      ORCHESTRATOR_PUBLIC_URL: "https://orchestrator.example.org/",
      WEBHOOK_PATH: "/hooks/github",
    });
    const page = await openPage(await second.run.setupUrl());
    expect(page.manifest).toMatchObject({
      hook_attributes: { url: "https://orchestrator.example.org/hooks/github" },
      redirect_url: "https://orchestrator.example.org/setup/callback",
    });
  });
});

describe("when the setup page is not served", () => {
  const expectRefused = async (env: Record<string, string>, hint: string) => {
    const { run } = await setup(env);
    expect(await run.running).toBe(1);
    expect(run.stderr()).toContain(
      "orchestrator serve: 3 settings are missing or invalid:\n  APP_ID: is required",
    );
    expect(run.stderr()).toContain(hint);
    expect(run.stderr()).not.toContain("No GitHub App configured: open");
  };

  it("refuses in production (NODE_ENV=production or Cloud Run) with the ConfigError and a hint", async () => {
    await expectRefused(
      { NODE_ENV: "production" },
      "the setup page is not served in production (NODE_ENV=production)",
    );
    await expectRefused(
      { K_SERVICE: "orchestrator" },
      "the setup page is not served in production (K_SERVICE is set (Cloud Run))",
    );
  });

  it("refuses on a non-loopback address unless allowed explicitly", async () => {
    await expectRefused(
      { HOST: "0.0.0.0" },
      "the setup page is not served on 0.0.0.0: anyone who can reach it could register their own App",
    );
  });

  it("keeps today's error when the App's settings are partly set", async () => {
    const { run } = await setup({ APP_ID: "42" });
    expect(await run.running).toBe(1);
    expect(run.stderr()).toContain(
      "orchestrator serve: 2 settings are missing or invalid:\n  PRIVATE_KEY: is required",
    );
  });
});
