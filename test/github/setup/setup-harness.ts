/**
 * `runServer` in setup mode against the fake GitHub: a temp working directory (with its own
 * `.env`), the App's three settings absent, stderr recorded, SIGTERM from the test.
 */
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runServer } from "../../../src/github/run-server.js";
import { ServerHarness, waitFor } from "../support/server-harness.js";
import { QuietOctokit } from "../support/test-probot.js";

export const TASKS = { tasks: [{ id: "a", prompt: "Do a" }] };

export class SetupRun {
  exitCode: number | undefined;
  private constructor(
    readonly harness: ServerHarness,
    readonly cwd: string,
    readonly running: Promise<number>,
    readonly lines: string[],
    readonly signals: EventEmitter,
  ) {}

  /** Starts the server with no App configured; `env` adds or overrides settings. */
  static start(harness: ServerHarness, cwd: string, env: Record<string, string> = {}): SetupRun {
    const base = harness.configEnv();
    delete base.APP_ID;
    delete base.PRIVATE_KEY;
    delete base.WEBHOOK_SECRET;
    const lines: string[] = [];
    const signals = new EventEmitter();
    const running = runServer({
      env: { ...base, ...env },
      cwd,
      stderr: (text) => lines.push(text),
      signals: signals as unknown as Pick<NodeJS.Process, "once" | "off">,
      Octokit: QuietOctokit,
    });
    const run = new SetupRun(harness, cwd, running, lines, signals);
    void running.then((code) => (run.exitCode = code));
    return run;
  }

  stderr(): string {
    return this.lines.join("");
  }

  /** The setup page's address from the start line; fails at once if the server exited instead. */
  async setupUrl(): Promise<string> {
    const pattern = /No GitHub App configured: open (http:\/\/\S+)\/setup to register one/;
    await waitFor(
      () => pattern.test(this.stderr()) || this.exitCode !== undefined,
      "the setup page's start line",
    );
    const match = pattern.exec(this.stderr());
    if (match?.[1] === undefined) {
      throw new Error(`no setup page; the server exited ${this.exitCode} with:\n${this.stderr()}`);
    }
    return match[1];
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number> {
    // A signal before the server listens for it would be lost.
    await waitFor(
      () => this.signals.listenerCount("SIGTERM") > 0 || this.exitCode !== undefined,
      "the server to listen for SIGTERM",
    );
    this.signals.emit("SIGTERM");
    return this.running;
  }
}

export function tempDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), "orchestrator-setup-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The page's form: its action, the state and the manifest it posts (HTML entities undone). */
export function readSetupForm(html: string): {
  action: string;
  state: string;
  manifest: Record<string, unknown>;
} {
  const attribute = (pattern: RegExp): string => {
    const value = pattern.exec(html)?.[1];
    if (value === undefined) throw new Error(`not in the page: ${pattern}`);
    return unescapeHtml(value);
  };
  return {
    action: attribute(/<form method="post" action="([^"]*)"/),
    state: attribute(/data-state="([^"]*)"/),
    manifest: JSON.parse(attribute(/name="manifest" value="([^"]*)"/)) as Record<string, unknown>,
  };
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}
