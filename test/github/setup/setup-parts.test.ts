import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { buildAppManifest } from "../../../src/github/setup/app-manifest.js";
import { EnvValueError, mergeEnvText } from "../../../src/github/setup/env-file-merge.js";
import { renderSetupPage } from "../../../src/github/setup/setup-page.js";
import { SetupStates } from "../../../src/github/setup/setup-states.js";
import { runCli } from "../../cli/cli-test-helpers.js";

const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\nabc=\n-----END RSA PRIVATE KEY-----\n";

describe("merging the App's settings into .env", () => {
  it("replaces a key's line in place, drops its repeats, appends new keys and keeps every other byte", () => {
    const existing = "# c\r\nA=1\r\nAPP_ID=old\nexport APP_ID=older\n\nZ='x y'";
    const merged = mergeEnvText(existing, { APP_ID: "42", PRIVATE_KEY: PEM });
    expect(merged).toBe(`# c\r\nA=1\r\nAPP_ID="42"\n\nZ='x y'\nPRIVATE_KEY="${PEM.replace(/\n/g, "\\n")}"\n`);
    expect(parseEnv(merged)).toMatchObject({ A: "1", APP_ID: "42", PRIVATE_KEY: PEM, Z: "x y" });
    expect(mergeEnvText("", { APP_ID: "1" })).toBe('APP_ID="1"\n');
  });

  it("refuses a value the shell and parseEnv would read differently, naming the key only", () => {
    for (const value of ['a"b', "a\\b", "a\\nb", "a$HOME", "a`id`", "a\u0007"]) {
      expect(() => mergeEnvText("", { WEBHOOK_SECRET: value })).toThrow(EnvValueError);
    }
    expect(() => mergeEnvText("", { WEBHOOK_SECRET: "x$y" })).toThrow(
      "WEBHOOK_SECRET holds characters that cannot be written to .env safely",
    );
  });
});

describe("the setup page", () => {
  const manifest = (appYml: string) =>
    buildAppManifest({
      appYml,
      webhookUrl: "http://127.0.0.1:3000/api/github/webhooks",
      redirectUrl: "http://127.0.0.1:3000/setup/callback",
      homepage: "https://example.org/home",
    });

  it("renders text from app.yml and the URLs inert", () => {
    const html = renderSetupPage({
      manifest: manifest(
        'name: "<script>alert(1)</script>"\nurl: https://x.example/"onmouseover=1\ndefault_events: [issue_comment]\ndefault_permissions: { issues: "<b>write</b>" }\n',
      ),
      state: "s",
      githubUrl: "https://github.com",
      webhookUnreachable: true,
      envPath: "/tmp/<x>/.env",
    });
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<b>write");
    expect(html).not.toContain('"onmouseover');
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("/tmp/&lt;x&gt;/.env");
    expect(html).toContain("GitHub cannot deliver webhooks to");
  });

  it("uses package.json's homepage in place of app.yml's placeholder URL", () => {
    const built = manifest(
      "url: https://github.com/your-org/claude-team-orchestrator\nhook_attributes: { url: https://your-service.example.com/api/github/webhooks }\ndefault_events: []\ndefault_permissions: {}\n",
    );
    expect(built.url).toBe("https://example.org/home");
    expect(built.hook_attributes.url).toBe("http://127.0.0.1:3000/api/github/webhooks");
  });
});

describe("setup states", () => {
  it("are good once, expire, and only the newest are remembered", () => {
    let now = 0;
    const states = new SetupStates({ nowMs: () => now, ttlMs: 1000, limit: 2 });
    const first = states.issue();
    expect(states.take(first)).toBe(true);
    expect(states.take(first)).toBe(false);
    const late = states.issue();
    now = 1001;
    expect(states.take(late)).toBe(false);
    const [a, b, c] = [states.issue(), states.issue(), states.issue()];
    expect(states.take(a)).toBe(false);
    expect(states.take(b)).toBe(true);
    expect(states.take(c)).toBe(true);
    expect(states.take("")).toBe(false);
  });
});

describe("orchestrator serve --help", () => {
  it("mentions the setup page", async () => {
    const run = await runCli(["serve", "--help"], { cwd: process.cwd() });
    expect(run.stdout).toContain("the server serves a setup\npage instead");
    expect(run.stdout).toContain("ORCHESTRATOR_ALLOW_REMOTE_SETUP=true");
  });
});
