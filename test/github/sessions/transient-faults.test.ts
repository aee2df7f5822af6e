import { afterEach, describe, expect, it } from "vitest";
import type { TasksFile } from "../../../src/core/tasks-schema.js";
import { withRetryPolicy } from "../../../src/github/retry-policy.js";
import { sweepActiveSessions, type SessionStatus } from "../../../src/github/sessions/index.js";
import { TRANSIENT_FAULT_KINDS } from "../../support/fake-github/faults.js";
import { DAG_SHAPES, randomTasks, seededRandom } from "../../support/random-dag.js";
import { OWNER, REPO, SessionHarness } from "../../support/simulated-session.js";

/**
 * GitHub failing now and then — 500, 502, secondary rate limits (403 and 429 with Retry-After) on
 * one answer in ten, at random (seeded) — must change nothing about how a session ends: the same
 * task outcomes, one run per attempt, no completion lost. Each random DAG runs twice, without and
 * with faults, and the ends are compared.
 *
 * The App's client is the one the server gives Probot (retry-policy.ts), with its waits scaled
 * down (a Retry-After second is a millisecond here) and writes not spaced. The test plays GitHub
 * Actions and the task Action (not faulted: they are not the App) and the server's periodic
 * sweep (when no run is open, five virtual minutes pass and the sweep runs).
 */

const FAST = withRetryPolicy(undefined, { msPerSecond: 1, spaceWrites: false });
const DISPATCH = "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";
const CREATE_REF = "POST /repos/{owner}/{repo}/git/refs";

let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

interface SessionEnd {
  conclusion: string | undefined;
  tasks: Record<string, string>;
  /** `task#attempt` → runs dispatched for it. */
  runsPerAttempt: Record<string, number>;
}

function tasksFileOf(seed: number): TasksFile {
  const shape = DAG_SHAPES[seed % DAG_SHAPES.length] ?? "layered";
  const tasks = randomTasks({
    shape,
    size: 10 + (seed % 5),
    seed,
    estimates: { min: 2, max: 20 },
    maxRetries: 1,
  });
  return {
    tasks: tasks.map((task) => ({
      id: task.id,
      prompt: task.prompt,
      dependencies: task.dependencies,
      estimate_minutes: task.estimateMinutes,
      retries: task.retries,
    })),
  };
}

/** Whether a task's attempt succeeds: fixed by the seed, so both runs of a DAG see the same. */
function succeeds(seed: number, taskId: string, attempt: number): boolean {
  let hash = seed;
  for (const char of `${taskId}#${attempt}`) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return seededRandom(hash)() >= 0.25;
}

async function runSession(args: {
  seed: number;
  faults: boolean;
}): Promise<{ end: SessionEnd; faulted: number; failedPasses: number; violations: string[] }> {
  const file = tasksFileOf(args.seed);
  const h = (harness = await SessionHarness.create({
    tasks: file,
    Octokit: FAST,
    config: { statusCommentIntervalMs: 0, passRetries: { attempts: 3, delayMs: 0 } },
  }));
  if (args.faults) {
    h.fake.faults.random({
      seed: args.seed * 7919 + 1,
      rate: 0.1,
      kinds: TRANSIENT_FAULT_KINDS,
      retryAfterSeconds: 1,
      // The dangerous 5xx: the claim or the dispatch was done, its answer lost.
      afterEffectRate: 0.5,
      afterEffectRoutes: (route) => route === DISPATCH || route === CREATE_REF,
    });
  }
  let failedPasses = 0;
  const started = await h.start({ parallel: 3 });
  expect(started.ok).toBe(true);
  let status: SessionStatus | null = started.ok ? started.status : null;
  const ends = new Map<number, number>();
  const estimates = new Map(file.tasks.map((task) => [task.id, task.estimate_minutes ?? 1]));
  for (let guard = 0; guard < 400 && status?.state !== "completed"; guard++) {
    const open = h.openRuns();
    if (open.length === 0) {
      // Nothing is running that could send a webhook: the server's sweep comes round.
      h.clock.advance(5);
      const swept = await sweepActiveSessions({
        client: h.client,
        repo: { owner: OWNER, repo: REPO },
        config: h.config,
        runtime: h.runtime,
      }).catch(() => null);
      if (swept === null) failedPasses++;
      // Read where the session stands (a pass too, under the same faults).
      status = await h.wake().catch(() => status);
      continue;
    }
    for (const { run, request } of open) {
      if (!ends.has(run.id))
        ends.set(run.id, h.clock.now().getTime() + (estimates.get(request.taskId) ?? 1) * 60_000);
    }
    const next = open.reduce((a, b) => ((ends.get(a.run.id) ?? 0) <= (ends.get(b.run.id) ?? 0) ? a : b));
    const wait = (ends.get(next.run.id) ?? 0) - h.clock.now().getTime();
    if (wait > 0) h.clock.advance(wait / 60_000);
    const ok = succeeds(args.seed, next.request.taskId, next.request.attempt);
    const completed = await h.fake.faults.without(() =>
      h.finish(next.run, ok ? { costUsd: 0.1 } : { conclusion: "failure", message: "the tests failed" }),
    );
    // The completion is delivered once; a pass that fails keeps it for the next one.
    try {
      status = await h.wake(completed);
    } catch {
      failedPasses++;
    }
  }
  const runsPerAttempt: Record<string, number> = {};
  for (const run of h.runs()) {
    const request = h.requestOf(run);
    const key = `${request.taskId}#${request.attempt}`;
    runsPerAttempt[key] = (runsPerAttempt[key] ?? 0) + 1;
  }
  const tasks: Record<string, string> = {};
  for (const task of status?.tasks ?? []) tasks[task.id] = `${task.status} after ${task.attempts}`;
  const faulted = h.fake.requests.filter((request) => request.fault !== undefined).length;
  const violations = h.violations();
  await h.close();
  harness = undefined;
  return {
    end: {
      conclusion: status?.state === "completed" ? status.conclusion : "did not end",
      tasks,
      runsPerAttempt,
    },
    faulted,
    failedPasses,
    violations,
  };
}

describe("sessions under transient GitHub faults (seeded, 10 % of answers)", () => {
  for (const seed of [11, 12, 13, 14, 15]) {
    it(`DAG ${seed}: ends exactly as without faults, one run per attempt`, async () => {
      const clean = await runSession({ seed, faults: false });
      expect(clean.faulted).toBe(0);
      expect(clean.end.conclusion).not.toBe("did not end");
      const faulty = await runSession({ seed, faults: true });
      expect(faulty.faulted).toBeGreaterThan(3);
      expect(faulty.end).toEqual(clean.end);
      expect(Object.values(faulty.end.runsPerAttempt).every((count) => count === 1)).toBe(true);
      expect(faulty.violations).toEqual([]);
    }, 180_000);
  }
});
