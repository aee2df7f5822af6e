import type { RequestRecord } from "../test/support/fake-github/start-fake-github.js";
import { FULL_NAME, HARNESS_USER_AGENT, ServerHarness } from "../test/github/support/server-harness.js";
import { randomTasks } from "../test/support/random-dag.js";
import { createAppConfig } from "../src/github/sessions/index.js";
import type { Benchmark, BenchTable } from "./benchmark.js";
import { median } from "./stats.js";

/**
 * Turns of the App as users get them (issue 10): the real server (`startServer`, as `npm start`
 * runs it) with Probot's own Octokit — retries and throttling ON, so writes go out a second apart
 * as GitHub asks — against the OpenAPI-checked fake GitHub on loopback. A whole session runs from
 * an `/orchestrate` comment; the bench plays GitHub Actions around it as GitHub would: every
 * dispatch answers with `workflow_run.requested`, a started run with `in_progress`, a finished
 * one with `workflow_job.completed` and then `workflow_run.completed`. The next run is finished as
 * soon as the App has dispatched what the last completion unblocked (events back to back: the
 * worst case for queued writes).
 *
 * Measured: how long each webhook takes to be answered (GitHub gives up at 10 s); from a
 * completion event being sent to the dispatch it unblocked reaching GitHub; and the App's
 * requests per task, reads and writes apart (installation tokens apart), constants included.
 */
const SIZES = (process.env.BENCH_TURNS_SIZES ?? "6,50").split(",").map(Number);
const PARALLEL = 5;

export const appTurns: Benchmark = {
  name: "app-turns",
  description:
    "webhook answer time, event-to-dispatch and requests per task through the real server, throttling on",
  async run(): Promise<BenchTable[]> {
    const results: SessionFigures[] = [];
    for (const size of SIZES) results.push(await runSession(size));
    const answerRows = results.map((r) => [
      String(r.tasks),
      String(r.answers.length),
      ms(median(r.answers)),
      ms(quantile(r.answers, 0.99)),
      ms(Math.max(...r.answers)),
      ms(r.commandAnswer),
    ]);
    const dispatchRows = results.map((r) => [
      String(r.tasks),
      String(r.latencies.length),
      ms(median(r.latencies)),
      ms(quantile(r.latencies, 0.9)),
      ms(Math.max(...r.latencies)),
    ]);
    const requestRows = results.map((r) => [
      String(r.tasks),
      String(r.reads),
      String(r.writes),
      (r.reads / r.tasks).toFixed(2),
      (r.writes / r.tasks).toFixed(2),
      String(r.tokens),
      r.conclusion,
      r.seconds.toFixed(0),
    ]);
    const byRoute = (counts: Record<string, number>): string =>
      Object.entries(counts)
        .sort((a, b) => b[1] - a[1])
        .map(([route, n]) => `${n} ${route}`)
        .join(", ");
    const routeNotes = results.flatMap((r) => [
      `${r.tasks} tasks, writes by route: ${byRoute(r.writesByRoute)}.`,
      `${r.tasks} tasks, reads by route: ${byRoute(r.readsByRoute)}.`,
    ]);
    return [
      {
        title: "Webhook answer time through the real server (ms, throttling on)",
        columns: ["tasks", "webhooks", "median", "p99", "max", "/orchestrate"],
        rows: answerRows,
        notes: [
          "From the POST of a signed delivery to its HTTP answer; /orchestrate is the comment that starts the session.",
        ],
      },
      {
        title: "Completion event to the dispatch it unblocked (ms, throttling on)",
        columns: ["tasks", "events", "median", "p90", "max"],
        rows: dispatchRows,
        notes: [
          "From sending workflow_run.completed to the fake GitHub receiving the dispatch of a task that event made ready; events back to back.",
        ],
      },
      {
        title: `GitHub API requests of the App per session (layered DAG, --parallel ${PARALLEL}, every task succeeds)`,
        columns: ["tasks", "reads", "writes", "reads/task", "writes/task", "tokens", "conclusion", "seconds"],
        rows: requestRows,
        notes: [
          "Everything the App asked of GitHub from the comment to the end of the session, per-session constants included; what the simulated Action does is not counted. Tokens = installation token requests (auth, not writes).",
          ...routeNotes,
        ],
      },
    ];
  },
};

interface SessionFigures {
  tasks: number;
  answers: number[];
  commandAnswer: number;
  latencies: number[];
  reads: number;
  writes: number;
  tokens: number;
  writesByRoute: Record<string, number>;
  readsByRoute: Record<string, number>;
  conclusion: string;
  seconds: number;
}

async function runSession(size: number): Promise<SessionFigures> {
  const tasks = randomTasks({ shape: "layered", size, seed: 10 + size }).map((task) => ({
    id: task.id,
    prompt: `Do ${task.id}`,
    ...(task.dependencies.length > 0 ? { dependencies: task.dependencies } : {}),
  }));
  const h = await ServerHarness.create({ tasks: { tasks } });
  const started = performance.now();
  try {
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const server = await h.startServer({
      Octokit: undefined,
      env: { ORCHESTRATOR_STATUS_COMMENT_SECONDS: "120", LOG_LEVEL: "warn" },
      // The App's own default (the harness reads job runs at once for its tests).
      appConfig: { jobEventGraceMs: createAppConfig().jobEventGraceMs },
    });
    const dispatchedAt = watchDispatches(h);
    const answers: number[] = [];
    const timed = async (webhook: { id: string; name: string; payload: object }): Promise<number> => {
      const sent = performance.now();
      const status = await h.post(server, webhook);
      answers.push(performance.now() - sent);
      // 202: the webhooks middleware answers "still processing" after 9 s and the handler goes on.
      if (status !== 200 && status !== 202) throw new Error(`${webhook.name} answered ${status}`);
      return sent;
    };
    await timed(h.comment({ body: `/orchestrate --parallel ${PARALLEL}` }));
    const commandAnswer = answers.at(-1) as number;
    await server.idle();
    const latencies: number[] = [];
    for (let step = 0; step < size * 4; step++) {
      for (const webhook of h.fake.takeWebhooks()) await timed(webhook);
      await server.idle();
      const run = h.openRuns()[0];
      if (!run) break;
      if (run.status === "queued") {
        h.fake.startRun(run.id);
        for (const webhook of h.fake.takeWebhooks()) await timed(webhook);
      }
      const before = dispatchedAt.size;
      await h.finish(run, "success", async () => {
        for (const webhook of h.fake.takeWebhooks()) await timed(webhook);
        await timed(h.jobCompleted(run));
      });
      const completed = h.fake.takeWebhooks();
      let sent = 0;
      for (const webhook of completed) sent = await timed(webhook);
      await server.idle();
      if (dispatchedAt.size > before) {
        const first = Math.min(...[...dispatchedAt.values()].slice(before));
        latencies.push(first - sent);
      }
    }
    await server.idle();
    const app = h.fake.requests.filter((r) => !(r.userAgent ?? "").startsWith(HARNESS_USER_AGENT));
    const tokens = app.filter((r) => r.route === "POST /app/installations/{installation_id}/access_tokens");
    const counted = app.filter((r) => !tokens.includes(r));
    const writes = counted.filter((r) => r.method !== "GET");
    const writesByRoute: Record<string, number> = {};
    for (const r of writes) writesByRoute[r.route ?? r.path] = (writesByRoute[r.route ?? r.path] ?? 0) + 1;
    const readsByRoute: Record<string, number> = {};
    for (const r of counted.filter((c) => c.method === "GET"))
      readsByRoute[r.route ?? r.path] = (readsByRoute[r.route ?? r.path] ?? 0) + 1;
    const summary = h.summary();
    if (h.violations().length > 0) throw new Error(`OpenAPI violations: ${h.violations().join("; ")}`);
    return {
      tasks: size,
      answers,
      commandAnswer,
      latencies,
      reads: counted.length - writes.length,
      writes: writes.length,
      tokens: tokens.length,
      writesByRoute,
      readsByRoute,
      conclusion: summary.conclusion ?? summary.status,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await h.close();
  }
}

/** When each task's dispatch reached the fake, in order. */
function watchDispatches(h: ServerHarness): Map<string, number> {
  const seen = new Map<string, number>();
  const requests = h.fake.requests as RequestRecord[] & { push: (...items: RequestRecord[]) => number };
  const push = requests.push.bind(requests);
  requests.push = (...items) => {
    for (const item of items) {
      const inputs = (item.requestBody as { inputs?: { task_id?: string; attempt?: string } } | undefined)
        ?.inputs;
      if (item.route?.endsWith("/dispatches") && inputs?.task_id)
        seen.set(`${inputs.task_id}#${inputs.attempt ?? "1"}`, performance.now());
    }
    return push(...items);
  };
  return seen;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(0) : "-";
}
