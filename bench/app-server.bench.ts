import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { RequestRecord } from "../test/support/fake-github/start-fake-github.js";
import { FULL_NAME, ServerHarness } from "../test/github/support/server-harness.js";
import { testPrivateKey } from "../test/github/support/test-probot.js";
import type { Benchmark, BenchTable } from "./benchmark.js";
import { median } from "./stats.js";

/**
 * The App's server on loopback (DESIGN §8):
 * - event-to-dispatch latency: a signed `workflow_run.completed` webhook POSTed to the real
 *   server → the next task's dispatch arriving at the fake GitHub, over a 200-task chain (every
 *   completion unblocks exactly one task); Probot's retry and throttling off, so this is the
 *   App's own cost plus the fake's; events/s follows from the same runs;
 * - cold start: `node dist/github/main.js` started as a child process → first `/health` answer.
 */
const EVENTS = 200;
const COLD_STARTS = 7;
const root = fileURLToPath(new URL("..", import.meta.url));

export const appServer: Benchmark = {
  name: "app-server",
  description: "event-to-dispatch latency through the real server on loopback; server start to first /health",
  async run() {
    return [await eventToDispatch(), await coldStart()];
  },
};

async function eventToDispatch(): Promise<BenchTable> {
  const tasks = Array.from({ length: EVENTS + 1 }, (_, i) => ({
    id: `t${i}`,
    prompt: `Step ${i}`,
    ...(i > 0 ? { dependencies: [`t${i - 1}`] } : {}),
  }));
  const h = await ServerHarness.create({ tasks: { tasks } });
  try {
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer({ env: { ORCHESTRATOR_STATUS_COMMENT_SECONDS: "120" } });
    // Note when each dispatch reaches the fake, as it is recorded.
    const seen = new Map<string, number>();
    const requests = h.fake.requests as RequestRecord[] & { push: (...items: RequestRecord[]) => number };
    const push = requests.push.bind(requests);
    requests.push = (...items) => {
      for (const item of items) {
        const inputs = (item.requestBody as { inputs?: { task_id?: string } } | undefined)?.inputs;
        if (item.route?.endsWith("/dispatches") && inputs?.task_id)
          seen.set(inputs.task_id, performance.now());
      }
      return push(...items);
    };
    if ((await h.deliver(server, h.comment({ body: "/orchestrate --parallel 1" }))) !== 200) {
      throw new Error("the session did not start");
    }
    h.fake.takeWebhooks();
    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      const [run] = h.openRuns();
      if (!run) throw new Error(`no open run after ${i} events`);
      await h.finish(run);
      const completed = h.fake
        .takeWebhooks()
        .find((w) => (w.payload as { action?: string }).action === "completed");
      if (!completed) throw new Error("the fake produced no workflow_run.completed");
      const sent = performance.now();
      const status = await h.deliver(server, completed);
      const next = seen.get(`t${i + 1}`);
      if (status !== 200 || next === undefined)
        throw new Error(`event ${i}: answered ${status}, next dispatched: ${next !== undefined}`);
      latencies.push(next - sent);
    }
    const elapsed = (performance.now() - started) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number): number =>
      sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
    return {
      title: `Event-to-dispatch latency, ${EVENTS} workflow_run.completed events (200-task chain, loopback)`,
      columns: ["measure", "ms"],
      rows: [
        ["p50", at(0.5).toFixed(1)],
        ["p90", at(0.9).toFixed(1)],
        ["p99", at(0.99).toFixed(1)],
        ["max", (sorted.at(-1) as number).toFixed(1)],
      ],
      notes: [
        `Events/s, one after another (including playing the Action between events): ${(EVENTS / elapsed).toFixed(1)}.`,
        "Per event the App reads the session record and the run's PR, then claims and dispatches the next task (then writes a task check run and the record).",
        "Includes the fake GitHub's own time (it checks every request and answer against the OpenAPI description); against api.github.com each request costs ~50-300 ms, so a live event-to-dispatch takes ~4 round trips.",
      ],
    };
  } finally {
    await h.close();
  }
}

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
