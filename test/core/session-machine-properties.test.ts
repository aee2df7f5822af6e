import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  observationOf,
  reconcile,
  spentUsd,
  type Decision,
  type ReconcileInput,
  type TaskObservations,
} from "../../src/core/reconcile.js";
import {
  applyDecision,
  recordAttemptResult,
  retryTasks,
  type MutableObservations,
} from "../../src/core/session-state.js";
import { descendants, type TaskGraph } from "../../src/core/task-graph.js";
import { DAG_SHAPES, randomDag, randomInt, seededRandom, type Random } from "../support/random-dag.js";

/**
 * Drives the reconciler the way an executor does — reconcile, carry out the decision, wait for
 * runs to end, record results — while an adversarial world fails tasks, delivers completion
 * events twice, late or for old attempts, crashes between deciding and acting (a "restart"
 * decides again from the same observation), cancels the session and retries tasks by hand.
 * After every decision the invariants of DESIGN §2 and §4 are checked.
 */

interface Scenario {
  shape: (typeof DAG_SHAPES)[number];
  size: number;
  graphSeed: number;
  worldSeed: number;
  maxParallel: number;
  budgetUsd: number | undefined;
  failureRate: number;
  cancelRate: number;
  maxManualRetries: number;
}

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  shape: fc.constantFrom(...DAG_SHAPES),
  size: fc.integer({ min: 1, max: 30 }),
  graphSeed: fc.integer(),
  worldSeed: fc.integer(),
  maxParallel: fc.integer({ min: 1, max: 6 }),
  budgetUsd: fc.option(fc.double({ min: 0.1, max: 15, noNaN: true }), { nil: undefined }),
  failureRate: fc.constantFrom(0, 0.1, 0.3, 0.6),
  cancelRate: fc.constantFrom(0, 0, 0.02),
  maxManualRetries: fc.integer({ min: 0, max: 3 }),
});

interface Completion {
  id: string;
  attempt: number;
  succeeded: boolean;
  costUsd: number;
}

/** What the random worlds actually exercised: a property over paths never taken proves nothing. */
const seen = {
  restarts: 0,
  automaticRetries: 0,
  finalFailures: 0,
  budgetSkips: 0,
  cancels: 0,
  manualRetries: 0,
  staleEvents: 0,
  lateEventsAfterCancel: 0,
};

class World {
  tasks: MutableObservations = {};
  cancelRequested = false;
  /** A cancel, even one lifted by a later retry, may leave tasks cancelled for good. */
  everCancelled = false;
  /** Attempts that a real executor would have running right now. */
  readonly inFlight = new Map<string, number>();
  /** Results already delivered, or for runs that were stopped: redelivering them must change nothing. */
  readonly oldEvents: Completion[] = [];
  /** Every (task, attempt) ever started: an attempt must never start twice. */
  readonly started = new Set<string>();
  manualRetriesLeft: number;
  readonly random: Random;

  constructor(
    readonly graph: TaskGraph,
    readonly scenario: Scenario,
  ) {
    this.random = seededRandom(scenario.worldSeed);
    this.manualRetriesLeft = scenario.maxManualRetries;
  }

  input(): ReconcileInput {
    return {
      graph: this.graph,
      tasks: this.tasks,
      limits: { maxParallel: this.scenario.maxParallel, budgetUsd: this.scenario.budgetUsd },
      cancelRequested: this.cancelRequested,
    };
  }

  /** One reconcile-and-act round; returns the decision after checking it. */
  decideAndAct(): Decision {
    const input = this.input();
    const before = structuredClone(this.tasks);
    const decision = reconcile(input);
    // Pure and deterministic: same input, same answer, input untouched.
    expect(reconcile(input)).toEqual(decision);
    expect(reconcile({ ...input, tasks: structuredClone(this.tasks) })).toEqual(decision);
    expect(this.tasks).toEqual(before);
    checkDecision(this.graph, input, decision);

    // A crash between deciding and acting: the restarted executor decides again from the same
    // observation and must reach the same decision.
    if (this.random() < 0.2) {
      seen.restarts++;
      expect(reconcile(this.input())).toEqual(decision);
    }
    seen.automaticRetries += decision.start.filter((s) => s.retry).length;
    seen.budgetSkips += decision.skip.filter((s) => s.reason.startsWith("the session budget")).length;
    seen.finalFailures += decision.skip.filter((s) => / failed$/.test(s.reason)).length;
    seen.cancels += decision.cancel.length;

    for (const start of decision.start) {
      const key = `${start.id}#${start.attempt}`;
      expect(this.started.has(key), `attempt ${key} started twice`).toBe(false);
      this.started.add(key);
      this.inFlight.set(start.id, start.attempt);
    }
    for (const cancel of decision.cancel) {
      const attempt = this.inFlight.get(cancel.id);
      expect(attempt !== undefined).toBe(cancel.wasRunning);
      if (attempt !== undefined) {
        // The stopped run may still report, late.
        this.oldEvents.push({ id: cancel.id, attempt, succeeded: this.random() < 0.5, costUsd: 0.1 });
        seen.lateEventsAfterCancel++;
        this.inFlight.delete(cancel.id);
      }
    }
    this.tasks = applyDecision(this.tasks, decision);

    const running = Object.values(this.tasks).filter((t) => t.status === "running").length;
    expect(running).toBeLessThanOrEqual(this.scenario.maxParallel);
    expect(running).toBe(this.inFlight.size);

    // Idempotent: deciding again right away never restarts what was just started.
    const again = reconcile(this.input());
    for (const start of again.start) expect(this.started.has(`${start.id}#${start.attempt}`)).toBe(false);
    return decision;
  }

  /** A run ends and reports; sometimes the report is delivered twice. */
  completeOne(): void {
    const entries = [...this.inFlight];
    const [id, attempt] = entries[Math.floor(this.random() * entries.length)] as [string, number];
    const event: Completion = {
      id,
      attempt,
      succeeded: this.random() >= this.scenario.failureRate,
      costUsd: Math.round(this.random() * 100) / 100,
    };
    this.inFlight.delete(id);
    const previousCost = observationOf(this.tasks, id).costUsd ?? 0;
    this.tasks = recordAttemptResult(this.tasks, event);
    const recorded = observationOf(this.tasks, id);
    expect(recorded.status).toBe(event.succeeded ? "succeeded" : "failed");
    expect(recorded.attempts).toBe(attempt);
    expect(recorded.costUsd ?? 0).toBeCloseTo(previousCost + event.costUsd, 9);
    if (this.random() < 0.3) this.oldEvents.push(event);
  }

  /** A duplicate or stale report arrives: it must change nothing. */
  redeliverOld(): void {
    seen.staleEvents++;
    const event = this.oldEvents[Math.floor(this.random() * this.oldEvents.length)] as Completion;
    const flipped = this.random() < 0.5 ? { ...event, succeeded: !event.succeeded } : event;
    expect(recordAttemptResult(this.tasks, flipped)).toEqual(this.tasks);
  }

  manualRetry(): void {
    seen.manualRetries++;
    this.manualRetriesLeft--;
    const candidates = this.graph.order.filter((id) => {
      const status = observationOf(this.tasks, id).status;
      return status === "failed" || status === "cancelled";
    });
    const ids =
      this.random() < 0.5 || candidates.length === 0
        ? ("failed" as const)
        : candidates.filter(() => this.random() < 0.5);
    const result = retryTasks(this.graph, this.tasks, ids);
    for (const id of result.retried) {
      expect(result.tasks[id]?.status).toBe("pending");
      expect(result.tasks[id]?.attempts).toBe(observationOf(this.tasks, id).attempts);
      for (const below of descendants(this.graph, id)) {
        const was = observationOf(this.tasks, below).status;
        if (was === "skipped" || was === "cancelled") expect(result.tasks[below]?.status).toBe("pending");
      }
    }
    this.tasks = result.tasks;
    // A retry is a new command: it lifts an earlier cancel, as a user would expect.
    this.cancelRequested = false;
  }
}

/** The invariants every single decision must satisfy, given the observation it was made from. */
function checkDecision(graph: TaskGraph, input: ReconcileInput, decision: Decision): void {
  const { tasks } = input;
  const maxParallel = input.limits.maxParallel;
  const budget = input.limits.budgetUsd;
  const budgetReached = budget !== undefined && spentUsd(tasks) >= budget;
  const cancelling = input.cancelRequested === true;
  const runningBefore = graph.order.filter((id) => observationOf(tasks, id).status === "running").length;
  const retryable = (id: string): boolean => {
    const observed = observationOf(tasks, id);
    const task = graph.byId.get(id);
    return observed.status === "failed" && task !== undefined && observed.attempts < 1 + task.retries;
  };

  // Starts: only when allowed, only ready tasks, each with the next attempt number, within limits.
  expect(runningBefore + decision.start.length).toBeLessThanOrEqual(Math.max(maxParallel, runningBefore));
  if (budgetReached || cancelling) expect(decision.start).toEqual([]);
  const startedIds = new Set(decision.start.map((s) => s.id));
  expect(startedIds.size).toBe(decision.start.length);
  for (const start of decision.start) {
    const observed = observationOf(tasks, start.id);
    expect(observed.status === "pending" || retryable(start.id)).toBe(true);
    expect(start.attempt).toBe(observed.attempts + 1);
    expect(start.retry).toBe(observed.attempts > 0);
    for (const dep of graph.byId.get(start.id)?.dependencies ?? []) {
      expect(observationOf(tasks, dep).status, `${start.id} started before ${dep} succeeded`).toBe(
        "succeeded",
      );
    }
  }

  // Critical path first: starts come in priority order, and a ready task left waiting never
  // outranks one that was started.
  const remaining = (id: string) => graph.remaining.get(id) ?? 0;
  for (let i = 1; i < decision.start.length; i++) {
    expect(remaining((decision.start[i - 1] as (typeof decision.start)[number]).id)).toBeGreaterThanOrEqual(
      remaining((decision.start[i] as (typeof decision.start)[number]).id),
    );
  }
  if (!budgetReached && !cancelling) {
    const ready = graph.order.filter((id) => {
      const observed = observationOf(tasks, id);
      const deps = graph.byId.get(id)?.dependencies ?? [];
      const depsOk = deps.every((dep) => observationOf(tasks, dep).status === "succeeded");
      return (observed.status === "pending" || retryable(id)) && depsOk;
    });
    expect(decision.start.length).toBe(Math.min(ready.length, Math.max(0, maxParallel - runningBefore)));
    const lowestStarted = Math.min(...decision.start.map((s) => remaining(s.id)));
    for (const id of ready) if (!startedIds.has(id)) expect(remaining(id)).toBeLessThanOrEqual(lowestStarted);
  }

  // Cancel: everything running or waiting is cancelled and the session ends as cancelled.
  const cancelled = new Set(decision.cancel.map((c) => c.id));
  if (cancelling) {
    for (const id of graph.order) {
      const status = observationOf(tasks, id).status;
      expect(cancelled.has(id)).toBe(status === "pending" || status === "running");
    }
    expect(decision.skip).toEqual([]);
    expect(decision.finished?.conclusion).toBe("cancelled");
  } else {
    expect(decision.cancel).toEqual([]);
  }

  // Skips: a final failure (or a skip or cancel) skips exactly the waiting tasks downstream of it;
  // with the budget reached, every other waiting task is skipped for the budget.
  const after = applyDecision(tasks, decision);
  const finalFailures = graph.order.filter((id) => {
    const status = observationOf(after, id).status;
    return (status === "failed" && (!retryable(id) || budgetReached || cancelling)) || status === "cancelled";
  });
  const blocked = new Set<string>();
  for (const id of [...finalFailures, ...graph.order.filter((i) => after[i]?.status === "skipped")]) {
    for (const below of descendants(graph, id)) blocked.add(below);
  }
  const skipped = new Set(decision.skip.map((s) => s.id));
  for (const skip of decision.skip) {
    expect(observationOf(tasks, skip.id).status).toBe("pending");
    if (skip.reason.startsWith("the session budget")) {
      expect(budgetReached).toBe(true);
    } else {
      expect(blocked.has(skip.id), `${skip.id} skipped without a failed dependency`).toBe(true);
      const [, cause, what] = /"([^"]+)" (failed|was cancelled|was skipped)$/.exec(skip.reason) ?? [];
      expect(cause, skip.reason).toBeDefined();
      expect(descendants(graph, cause as string).has(skip.id)).toBe(true);
      // The reason tells the truth about the cause.
      const causeStatus = observationOf(after, cause as string).status;
      expect(what, skip.reason).toBe(causeStatus === "failed" ? "failed" : `was ${causeStatus}`);
    }
  }
  if (!cancelling) {
    for (const failed of finalFailures) {
      for (const below of descendants(graph, failed)) {
        if (observationOf(tasks, below).status === "pending") {
          expect(skipped.has(below), `${below} not skipped after ${failed} failed for good`).toBe(true);
        }
      }
    }
    for (const id of graph.order) {
      if (observationOf(tasks, id).status === "pending" && !skipped.has(id) && !blocked.has(id)) {
        expect(budgetReached).toBe(false);
      }
    }
  }

  // Finished exactly when nothing runs and nothing can start, with every task final.
  const stillActive = graph.order.some((id) => {
    const status = observationOf(after, id).status;
    return (
      status === "running" ||
      status === "pending" ||
      (status === "failed" && retryable(id) && !budgetReached && !cancelling)
    );
  });
  expect(decision.finished !== null).toBe(!stillActive);
  if (decision.finished) {
    const counts = decision.finished.counts;
    expect(counts.pending + counts.running).toBe(0);
    expect(counts.succeeded + counts.failed + counts.skipped + counts.cancelled).toBe(graph.tasks.length);
    const allSucceeded = counts.succeeded === graph.tasks.length;
    const expected = cancelling ? "cancelled" : allSucceeded ? "success" : "failure";
    expect(decision.finished.conclusion).toBe(expected);
    expect(decision.finished.summary).toMatch(
      new RegExp(`^${counts.succeeded} of ${graph.tasks.length} tasks succeeded`),
    );
  }
}

function runScenario(scenario: Scenario): void {
  const graph = randomDag({
    shape: scenario.shape,
    size: scenario.size,
    seed: scenario.graphSeed,
    maxRetries: 2,
    estimates: { min: 1, max: 10 },
  });
  const world = new World(graph, scenario);
  const maxSteps = 50 * graph.tasks.length + 200;
  let decision = world.decideAndAct();
  for (let step = 0; ; step++) {
    expect(step, "the session did not end").toBeLessThan(maxSteps);
    if (decision.finished && world.inFlight.size === 0) {
      if (world.manualRetriesLeft > 0 && world.random() < 0.5) {
        world.manualRetry();
        decision = world.decideAndAct();
        continue;
      }
      break;
    }
    const roll = world.random();
    if (roll < scenario.cancelRate && !world.cancelRequested) {
      world.cancelRequested = true;
      world.everCancelled = true;
    } else if (roll < 0.05 && world.manualRetriesLeft > 0) {
      world.manualRetry();
    } else if (roll < 0.2 && world.oldEvents.length > 0) {
      world.redeliverOld();
    } else if (world.inFlight.size > 0) {
      world.completeOne();
    }
    // Level-triggered: any event is just a wake-up to decide again.
    decision = world.decideAndAct();
  }

  // The end: every task final, no run left behind, the outcome matching the observation.
  expect(decision.finished).not.toBeNull();
  for (const id of graph.order) {
    const status = observationOf(world.tasks, id).status;
    expect(["succeeded", "failed", "skipped", "cancelled"]).toContain(status);
  }
  const allSucceeded = graph.order.every((id) => observationOf(world.tasks, id).status === "succeeded");
  if (scenario.failureRate === 0 && scenario.budgetUsd === undefined && !world.everCancelled) {
    expect(allSucceeded).toBe(true);
  }
  if (allSucceeded && !world.cancelRequested) expect(decision.finished?.conclusion).toBe("success");
}

describe("reconcile under an adversarial executor", () => {
  it("keeps every invariant across random graphs, failures, duplicates, restarts, budgets, cancels and retries", () => {
    fc.assert(fc.property(scenarioArbitrary, runScenario), { numRuns: 300 });
    for (const [what, count] of Object.entries(seen))
      expect(count, `never exercised: ${what}`).toBeGreaterThan(0);
  });

  it("runs every task exactly once when nothing fails, whatever the graph", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DAG_SHAPES),
        fc.integer({ min: 1, max: 60 }),
        fc.integer(),
        fc.integer({ min: 1, max: 8 }),
        (shape, size, seed, maxParallel) => {
          const graph = randomDag({ shape, size, seed });
          let tasks: TaskObservations = {};
          const starts: string[] = [];
          const random = seededRandom(seed);
          for (let step = 0; step < 10 * size + 10; step++) {
            const decision = reconcile({ graph, tasks, limits: { maxParallel } });
            if (decision.finished) {
              expect(decision.finished.conclusion).toBe("success");
              expect(decision.finished.summary).toBe(`${size} of ${size} tasks succeeded`);
              expect([...starts].sort()).toEqual([...graph.order].sort());
              return;
            }
            starts.push(...decision.start.map((s) => s.id));
            tasks = applyDecision(tasks, decision);
            const running = graph.order.filter((id) => tasks[id]?.status === "running");
            const id = running[randomInt(random, 0, running.length - 1)] as string;
            tasks = recordAttemptResult(tasks, { id, attempt: 1, succeeded: true });
          }
          expect.unreachable("the session did not finish");
        },
      ),
      { numRuns: 200 },
    );
  });
});
