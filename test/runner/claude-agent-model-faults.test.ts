import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { offlineClaudeEnv } from "../../src/demo/scripted-model-server.js";
import { runClaudeAgent } from "../../src/runner/claude-agent.js";
import { claudePath, useClaudeSandbox } from "./claude-sandbox.js";
import { MARKER_VAR, newMarker, processesWithMarker } from "./process-tree-probe.js";

/**
 * The model API failing under the real Claude Code CLI: unreachable, refusing the key, overloaded.
 * The CLI retries all of these for about three minutes on its own; the agent must stop at once
 * where retrying cannot help, and say what is wrong instead of "raise the timeout".
 */

/** Only a safety net: the fail-fast cases end in seconds; without fail-fast they hit this. */
const AGENT_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 120_000;

const sandbox = useClaudeSandbox("claude-model-faults-");

/** The real CLI against the model at `url`, in this test's sandbox. */
function runAgainst(
  url: string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; logFile?: string } = {},
): ReturnType<typeof runClaudeAgent> {
  return runClaudeAgent({
    cwd: sandbox.cwd,
    prompt: "anything",
    claudePath,
    env: { ...offlineClaudeEnv({ url, home: sandbox.home }), ...options.env },
    timeoutMs: options.timeoutMs ?? AGENT_TIMEOUT_MS,
    killGraceMs: 1_000,
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
  });
}

/** A local port nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, "127.0.0.1", done));
  const address = probe.address();
  await new Promise<void>((done) => probe.close(() => done()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("runClaudeAgent when the model API fails", () => {
  it(
    "stops at once on a closed port and names the host and 'connection refused'",
    async () => {
      const port = await closedPort();
      const marker = newMarker();
      const result = await runAgainst(`http://127.0.0.1:${port}`, { env: { [MARKER_VAR]: marker } });

      expect(result.ok).toBe(false);
      expect(result.failure?.kind).toBe("model_unreachable");
      expect(result.failure?.message).toContain(`http://127.0.0.1:${port}`);
      expect(result.failure?.message).toContain("connection refused (ECONNREFUSED)");
      expect(result.failure?.message).not.toContain("timeout_minutes");
      expect(processesWithMarker(marker)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "stops at once when connections are closed without an answer",
    async () => {
      const model = await sandbox.startModel(() => ({ drop: true }));
      const result = await runAgainst(model.url);

      expect(result.failure?.kind).toBe("model_unreachable");
      expect(result.failure?.message).toContain(model.url);
      expect(result.failure?.message).toContain("no HTTP answer to 5 tries in a row");
      expect(result.failure?.message).toContain("TCP connection does open");
      const tries = model.requests.filter((request) => request.kind === "conversation").length;
      expect(tries).toBeGreaterThanOrEqual(5);
      expect(tries).toBeLessThanOrEqual(6);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "stops on the first 401 and says the key was rejected",
    async () => {
      const model = await sandbox.startModel(() => ({
        error: { status: 401, message: "invalid x-api-key" },
      }));
      const result = await runAgainst(model.url);

      expect(result.failure?.kind).toBe("model_auth");
      expect(result.failure?.message).toContain(`The model API at ${model.url} rejected`);
      expect(result.failure?.message).toContain("HTTP 401");
      expect(result.failure?.message).toContain("ANTHROPIC_API_KEY");
      expect(result.failure?.message).not.toContain("timeout_minutes");
      // Not the CLI's ten retries: at most a try or two sent while it was being stopped.
      const tries = model.requests.filter((request) => request.kind === "conversation").length;
      expect(tries).toBeGreaterThanOrEqual(1);
      expect(tries).toBeLessThanOrEqual(4);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "reports a 403 (which the CLI does not retry) as model_auth",
    async () => {
      const model = await sandbox.startModel(() => ({ error: { status: 403, message: "key not allowed" } }));
      const result = await runAgainst(model.url);

      expect(result.failure?.kind).toBe("model_auth");
      expect(result.failure?.message).toContain("key not allowed");
      expect(result.failure?.message).toContain(model.url);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "leaves an overloaded API (529) to the CLI's retries, and a timeout then says why",
    async () => {
      const model = await sandbox.startModel(() => ({ error: { status: 529, message: "Overloaded" } }));
      const logFile = join(sandbox.root, "agent.log");
      // The timeout must end the run after the CLI reported a retry; a machine too busy for that
      // within the first window gets a longer one (no result depends on how fast it is).
      let result;
      for (const timeoutMs of [8_000, 30_000, 90_000]) {
        result = await runAgainst(model.url, { timeoutMs, logFile });
        if ((await readFile(logFile, "utf8")).includes('"subtype":"api_retry"')) break;
      }

      expect(result?.failure?.kind).toBe("timeout");
      expect(result?.failure?.message).toContain(`the model API at ${model.url} kept failing`);
      expect(result?.failure?.message).toContain("HTTP 529 (overloaded)");
      expect(result?.failure?.message).not.toContain("timeout_minutes");
    },
    4 * TEST_TIMEOUT_MS,
  );
});
