import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { testPrivateKey } from "../test/github/support/test-probot.js";
import type { Benchmark, BenchTable } from "./benchmark.js";
import { median } from "./stats.js";

/**
 * The App's server cold start (DESIGN §8): `node dist/github/main.js` started as a child process
 * → first `/health` answer, as Cloud Run scales from zero. Turns through the running server (webhook
 * answers, event-to-dispatch, requests per task) are measured by app-turns.bench.ts, with
 * Probot's throttling on as users run it.
 */
const COLD_STARTS = 7;
const root = fileURLToPath(new URL("..", import.meta.url));

export const appServer: Benchmark = {
  name: "app-server",
  description: "server start to first /health (cold start)",
  async run() {
    return [await coldStart()];
  },
};

async function coldStart(): Promise<BenchTable> {
  const entry = fileURLToPath(new URL("../dist/github/main.js", import.meta.url));
  if (!existsSync(entry)) {
    // The benchmark measures the built entry, as the container runs it.
    await promisify(execFile)(
      process.execPath,
      [
        fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url)),
        "-p",
        "tsconfig.build.json",
      ],
      { cwd: root },
    );
  }
  const times: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) times.push(await timeToHealth(entry));
  return {
    title: `Server start to first /health answer (node dist/github/main.js, ${COLD_STARTS} cold starts)`,
    columns: ["measure", "ms"],
    rows: [
      ["median", median(times).toFixed(0)],
      ["min", Math.min(...times).toFixed(0)],
      ["max", Math.max(...times).toFixed(0)],
    ],
    notes: [
      "From spawning node to the first 200 from /health, polled every 5 ms; sweeps off, so no GitHub request is made.",
    ],
  };
}

async function timeToHealth(entry: string): Promise<number> {
  const port = await freePort();
  const start = performance.now();
  const child = spawn(process.execPath, [entry], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      APP_ID: "1",
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: "bench-webhook-secret-0123456789",
      HOST: "127.0.0.1",
      PORT: String(port),
      GHE_HOST: "127.0.0.1:9",
      GHE_PROTOCOL: "http",
      ORCHESTRATOR_SWEEP_MINUTES: "0",
      LOG_LEVEL: "warn",
    },
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${stderr}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/health`);
        if (response.ok) return performance.now() - start;
      } catch {
        // Not listening yet.
      }
      if (performance.now() - start > 30_000) throw new Error(`no /health answer in 30 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
