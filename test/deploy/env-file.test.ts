import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv, promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { invokeCommand } from "../../src/cli/invoke-command.js";
import { serveCommand } from "../../src/cli/serve-command.js";
import { loadServerConfig } from "../../src/github/config.js";
import { readDotEnv } from "../../src/github/env-file.js";
import { testPrivateKey } from "../github/support/test-probot.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "env-file-"));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe(".env.example and .env", () => {
  it(".env.example can be sourced by a shell, and the shell, the .env reader and the loader agree on every value", async () => {
    const content = readFileSync(join(ROOT, ".env.example"), "utf8");
    const parsed = parseEnv(content);
    // A fixed script, no input in it; a clean environment so only the file's variables are new.
    const { stdout, stderr } = await run(
      "bash",
      ["--norc", "--noprofile", "-c", "set -a; . ./.env.example; env -0"],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      },
    );
    expect(stderr).toBe("");
    const shell = Object.fromEntries(
      stdout
        .split("\0")
        .filter(Boolean)
        .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
    );
    expect(Object.keys(parsed).length).toBeGreaterThan(10);
    for (const [name, value] of Object.entries(parsed))
      expect({ name, value: shell[name] }).toEqual({ name, value });
    expect(parsed.ORCHESTRATOR_WORKFLOW_NAME).toBe("Orchestrator task");

    // The server's .env reader (the file copied as .env) reads the same values ...
    const dir = tempDir();
    copyFileSync(join(ROOT, ".env.example"), join(dir, ".env"));
    const env: NodeJS.ProcessEnv = {};
    expect(readDotEnv({ cwd: dir, env })).toMatchObject({ set: Object.keys(parsed).length, kept: 0 });
    expect(env).toEqual(parsed);
    // ... and the loader accepts them once the secrets (empty in the example) are filled in.
    const config = loadServerConfig({
      env: { ...env, PRIVATE_KEY: testPrivateKey(), WEBHOOK_SECRET: "0123456789abcdef0123" },
      readFile: () => {
        throw new Error("no key file in this test");
      },
    });
    expect(config).toMatchObject({ workflowName: "Orchestrator task", host: "127.0.0.1", port: 3000 });
  });

  it("orchestrator serve reads .env from the working directory, never over the environment, and says which file", async () => {
    const dir = tempDir();
    const fileSecret = "file-secret";
    writeFileSync(
      join(dir, ".env"),
      [
        "# a local .env",
        "APP_ID=not-a-number",
        `WEBHOOK_SECRET='${fileSecret}'`,
        'ORCHESTRATOR_WORKFLOW_NAME="Orchestrator task"',
        "ORCHESTRATOR_SWEEP_MINUTES=often",
        "",
      ].join("\n"),
    );
    const env: NodeJS.ProcessEnv = { APP_ID: "42", ORCHESTRATOR_SWEEP_MINUTES: "" };
    let stderr = "";
    const code = await serveCommand.run([], {
      cwd: dir,
      env,
      stdout: () => {},
      stderr: (text) => void (stderr += text),
    });
    // It stops at the settings (no key anywhere), before listening.
    expect(code).toBe(1);
    expect(stderr).toContain(
      `orchestrator serve: read settings from ${join(dir, ".env")} (2 variables; 2 already set in the environment kept their values)\n`,
    );
    // APP_ID and ORCHESTRATOR_SWEEP_MINUTES came from the environment (even empty), the rest from the file.
    expect(env).toEqual({
      APP_ID: "42",
      ORCHESTRATOR_SWEEP_MINUTES: "",
      WEBHOOK_SECRET: fileSecret,
      ORCHESTRATOR_WORKFLOW_NAME: "Orchestrator task",
    });
    expect(stderr).not.toContain("APP_ID");
    expect(stderr).not.toContain("ORCHESTRATOR_SWEEP_MINUTES");
    expect(stderr).toContain("PRIVATE_KEY: is required");
    expect(stderr).toContain("WEBHOOK_SECRET: must be at least 16 characters (it is 11)");
    expect(stderr).not.toContain(fileSecret);
  });

  it("without .env it says so; an unreadable .env stops the start with its path", async () => {
    const dir = tempDir();
    let stderr = "";
    // APP_ID alone: it stops at the settings (with no App setting at all it would serve the setup page).
    const io = {
      cwd: dir,
      env: { APP_ID: "1" },
      stdout: () => {},
      stderr: (text: string) => void (stderr += text),
    };
    expect(await serveCommand.run([], io)).toBe(1);
    expect(stderr).toContain(
      "orchestrator serve: no .env in the working directory; settings come from the environment\n",
    );
    // A directory named .env cannot be read as a file.
    const other = tempDir();
    mkdirSync(join(other, ".env"));
    stderr = "";
    expect(await invokeCommand(serveCommand, [], { ...io, cwd: other })).toBe(1);
    expect(stderr).toBe(`orchestrator serve: cannot read ${join(other, ".env")} (EISDIR)\n`);
  });
});
