import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  observationOf,
  reconcile,
  spentUsd,
  type Decision,
  type ReconcileInput,
  type TaskObservations,
} from "../../src/core/reconcile.js";
import {
  step,
  type SessionAction,
  type SessionEvent,
  type SessionMachine,
  type Step,
} from "../../src/core/session-machine.js";
import { grantBudgets, isBudgetReached } from "../../src/core/attempt-budget.js";
import { reviseRefusal } from "../../src/core/revise-task.js";
import { sessionStateShape, type SessionState } from "../../src/core/session-state.js";
import { descendants, graphFromTasks, type TaskGraph } from "../../src/core/task-graph.js";
import { DAG_SHAPES, randomDag, randomInt, seededRandom, type Random } from "../support/random-dag.js";

/**
 * Drives the session machine the way an executor does — `advance`, carry out the actions, wait
 * for runs to end, report them — while an adversarial world fails tasks and refuses or withdraws
 * dispatches, delivers reports twice, late, early or for old attempts, loses the save of an
 * advance (the run then shows up as `run_seen`), restarts the executor (`resume`), interrupts
 * attempts, merges pull requests, cancels the session and retries tasks by hand. Every change goes
 * through `step`; after every step the invariants of DESIGN §2 and §4 are checked, and after every
 * `advance` the decision it carried out is checked against reconcile's own contract.
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
  /** Review follow-ups asked for (`revise`), on any task: refused ones change nothing. */
  maxRevises: number;
  /** Share of tasks with dependencies that use `base: "merged"`. */
  mergedBaseRate: number;
  /** Share of attempt ends that need input or hit a limit (not failures). */
  attentionRate: number;
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
  maxRevises: fc.integer({ min: 0, max: 4 }),
  mergedBaseRate: fc.constantFrom(0, 0, 0.3),
  attentionRate: fc.constantFrom(0, 0, 0.2),
});

/** A real run (a workflow run, an agent): what the world knows, whether or not the record does. */
interface Run {
  id: string;
  attempt: number;
  /** The record knows this attempt runs; false while the save of its start is lost. */
  recorded: boolean;
  /** The run is over; its report is not recorded yet. */
  result?: { succeeded: boolean; costUsd: number; outcome?: "needs_input" | "limited" };
}

/** What the random worlds actually exercised: a property over paths never taken proves nothing. */
const seen = {
  automaticRetries: 0,
  finalFailures: 0,
  budgetSkips: 0,
  cancels: 0,
  waits: 0,
  merges: 0,
  manualRetries: 0,
  reopenedSessions: 0,
  staleEvents: 0,
  lateEventsAfterCancel: 0,
  /** An advance whose save was lost: its starts ran but the record does not know them. */
  lostSaves: 0,
  /** A lost save of an advance that retried a failed task: the record still says failed. */
  lostRetryStarts: 0,
  /** Starts the reconciler decided but the budget held back (running attempts held the rest). */
  startsHeldForBudget: 0,
  /** run_seen taking up such a lost start. */
  lostStartsTakenUp: 0,
  /** run_seen of a lost start after a cancel: cancelled, and stopped if still active. */
  lostStartsCancelled: 0,
  /** A report of a lost start arriving before its run_seen. */
  earlyReports: 0,
  /** run_seen of a run the record cancelled, still active: stop. */
  stopsOfSeenRuns: 0,
  restarts: 0,
  interruptedWithCost: 0,
  dispatchFailures: 0,
  dispatchWithdrawals: 0,
  willRetryTrue: 0,
  willRetryFalse: 0,
  /** willRetry compared with the advance right after it. */
  willRetryChecked: 0,
  endedSessionEvents: 0,
  revisions: 0,
  revisionsRefused: 0,
  /** A revise that reopened an ended session. */
  revisionsReopening: 0,
  /** A revise of a failed task whose skipped dependents were put back to pending. */
  revisionsUnskipping: 0,
  /** Starts that carried a revise's feedback. */
  feedbackStarts: 0,
  /** Restacks of dependents after a revised task succeeded. */
  restacks: 0,
  /** Attempts that ended needing input, and the answers and allowed tools that restarted them. */
  needsInput: 0,
  answers: 0,
  allowedTools: 0,
  /** Attempts that hit a limit, and advances that left such a task waiting (before its resumeAt). */
  limited: 0,
  limitWaits: 0,
  /** Sessions that ended `action_required`. */
  actionRequired: 0,
};

const recordSchema = z.object(sessionStateShape).strict();

// Thousands of steps, each checked many times over: plain comparisons first, and `expect` (slow
// when called this often, but with a readable failure) only when they disagree.

/** `expect(actual, message).toEqual(expected)`. */
function equal(actual: unknown, expected: unknown, message?: string): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual, message).toEqual(expected);
}

/** `expect(actual, message).toBe(expected)`. */
function same(actual: unknown, expected: unknown, message?: string): void {
  if (!Object.is(actual, expected)) expect(actual, message).toBe(expected);
}

class World {
  readonly machine: SessionMachine;
  state: SessionState = { tasks: {} };
  /** A cancel, even one lifted by a later retry, may leave tasks cancelled for good. */
  everCancelled = false;
  /** Runs that exist (or ended unreported), by task: at most one per task. */
  readonly runs = new Map<string, Run>();
  /** Reports already recorded, or of stopped runs: delivering them again must change nothing. */
  readonly oldEvents: SessionEvent[] = [];
  /** Every (task, attempt) started and not undone: an attempt must never start twice. */
  readonly started = new Set<string>();
  /** Failures the machine called final (`willRetry: false`): they never start again unless retried. */
  readonly finalFailures = new Set<string>();
  /** What each task's attempts cost, as reported. */
  readonly expectedCost = new Map<string, number>();
  /** The `ended` action of the step just before, to compare with the advance that follows. */
  lastEnded: Extract<SessionAction, { type: "ended" }>[] = [];
  dispatchFailures = 0;
  manualRetriesLeft: number;
  revisesLeft: number;
  /** The world's clock (epoch ms): moves on at every step, so limits pass. */
  now = 1_000_000;
  /** Answers and allowed tools a person still gives (bounded, so a session ends). */
  inputsLeft = 6;
  readonly random: Random;

  constructor(
    readonly graph: TaskGraph,
    readonly scenario: Scenario,
  ) {
    this.machine = {
      graph,
      limits: { maxParallel: scenario.maxParallel, budgetUsd: scenario.budgetUsd },
    };
    this.random = seededRandom(scenario.worldSeed);
    this.manualRetriesLeft = scenario.maxManualRetries;
    this.revisesLeft = scenario.maxRevises;
  }

  get ended(): boolean {
    return this.state.outcome !== undefined;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  /** One step through the machine, checked to be pure and deterministic; the state is not kept yet. */
  apply(event: SessionEvent): Step {
    const before = structuredClone(this.state);
    const result = step(this.machine, this.state, event);
    equal(this.state, before, "step changed its input");
    equal(step(this.machine, structuredClone(before), event), result);
    const reopens =
      event.type === "retry" ||
      event.type === "revise" ||
      event.type === "allow_and_retry" ||
      event.type === "answer";
    if (before.outcome !== undefined && !reopens && event.type !== "merged") {
      // An ended session ignores task events.
      seen.endedSessionEvents++;
      equal(result.state, before, `${event.type} changed an ended session`);
      if (event.type === "run_seen") {
        for (const action of result.actions) same(action.type, "stop");
      } else {
        equal(result.actions, []);
      }
    }
    if (event.type !== "advance") this.lastEnded = [];
    return result;
  }

  /** Keeps a step's state and checks the invariants that hold after every step. */
  keep(result: Step): void {
    this.state = result.state;
    this.check();
  }

  /** Collects every broken invariant (cheaper than one `expect` each, thousands of times). */
  check(): void {
    const { tasks } = this.state;
    const problems: string[] = [];
    const fail = (problem: string) => problems.push(problem);
    const parsed = recordSchema.safeParse(this.state);
    if (!parsed.success) fail(`the record does not parse: ${parsed.error.message}`);
    for (const [id, task] of Object.entries(tasks)) {
      if (!this.graph.byId.has(id)) fail(`state for unknown task ${id}`);
      if (task.merged === true && task.status !== "succeeded") fail(`${id} merged but ${task.status}`);
      const final = task.status === "failed" || task.status === "skipped" || task.status === "cancelled";
      const explained = final || task.status === "needs_input";
      if (explained && !task.reason) fail(`${id} ${task.status} without a reason`);
      if (!explained && task.reason !== undefined) fail(`${id} ${task.status} with a reason`);
      if (task.resumeAt !== undefined && task.status !== "pending")
        fail(`${id} ${task.status} with resumeAt`);
      if ((task.uncounted ?? 0) > task.attempts) fail(`${id} has more uncounted attempts than attempts`);
      // Feedback (a revise's, an answer) belongs to the attempt it asked for: pending or running, never after.
      if (task.feedback !== undefined && task.status !== "pending" && task.status !== "running")
        fail(`${id} ${task.status} still holds feedback`);
      if (task.feedback !== undefined && task.attempts + (task.status === "running" ? 0 : 1) < 2)
        fail(`${id} holds feedback for its first attempt`);
    }
    // Money is never lost: every reported cost is in the record, and nothing else.
    for (const id of this.graph.order) {
      const recorded = observationOf(tasks, id).costUsd ?? 0;
      const reported = this.expectedCost.get(id) ?? 0;
      if (Math.abs(recorded - reported) > 1e-9) fail(`${id} records $${recorded}, reports say $${reported}`);
    }
    const running = this.graph.order.filter((id) => observationOf(tasks, id).status === "running");
    if (running.length > this.scenario.maxParallel) fail(`${running.length} running`);
    // The record's running attempts are exactly the world's recorded runs.
    for (const id of running) {
      const run = this.runs.get(id);
      const attempts = observationOf(tasks, id).attempts;
      if (!run?.recorded || run.attempt !== attempts)
        fail(`${id}#${attempts} recorded running without its run`);
    }
    for (const run of this.runs.values()) {
      const task = observationOf(tasks, run.id);
      if (run.recorded && (task.status !== "running" || task.attempts !== run.attempt)) {
        fail(`run ${run.id}#${run.attempt} recorded as ${task.status} · ${task.attempts}`);
      }
      // A lost start: the record has the task before that start.
      if (!run.recorded && task.attempts >= run.attempt)
        fail(`lost run ${run.id}#${run.attempt} is recorded`);
    }
    if (this.ended) {
      if (this.runs.size > 0) fail("the session ended with runs left behind");
      const awaiting = awaitingInput(this.graph, tasks);
      for (const id of this.graph.order) {
        const status = observationOf(tasks, id).status;
        if (status === "running") fail(`the session ended with ${id} running`);
        // Only a task waiting on one that needs input may stay pending in an ended session.
        if (status === "pending" && !awaiting.has(id)) fail(`the session ended with ${id} pending`);
        if (observationOf(tasks, id).resumeAt !== undefined) fail(`the session ended with ${id} limited`);
      }
    }
    equal(problems, []);
  }

  input(): ReconcileInput {
    return {
      graph: this.graph,
      tasks: this.state.tasks,
      limits: this.machine.limits,
      cancelRequested: this.state.cancelRequested === true,
      now: this.now,
    };
  }

  /** The adapter's pass: every run the record does not know is reported before deciding. */
  listRuns(): void {
    for (const run of [...this.runs.values()]) {
      if (!run.recorded) this.runSeen(run);
    }
  }

  runSeen(run: Run): void {
    const before = observationOf(this.state.tasks, run.id);
    const cancelling = this.state.cancelRequested === true;
    const active = run.result === undefined;
    const result = this.apply({ type: "run_seen", id: run.id, attempt: run.attempt, active });
    const after = observationOf(result.state.tasks, run.id);
    same(
      after.attempts,
      run.attempt,
      `the lost start of ${run.id}#${run.attempt} (recorded ${before.status} · ${before.attempts}) was not taken up`,
    );
    equal(after.costUsd, before.costUsd);
    if (cancelling) {
      seen.lostStartsCancelled++;
      same(after.status, "cancelled");
      equal(result.actions, [
        { type: "forget", id: run.id },
        ...(active ? [{ type: "stop", id: run.id, attempt: run.attempt }] : []),
      ]);
      this.runs.delete(run.id);
      if (active) {
        // Listed again before the next advance: stopped again.
        const again = step(this.machine, result.state, {
          type: "run_seen",
          id: run.id,
          attempt: run.attempt,
          active,
        });
        equal(again, { state: result.state, actions: [{ type: "stop", id: run.id, attempt: run.attempt }] });
        seen.stopsOfSeenRuns++;
      }
      // A stopped run may still report, late; an ended one already did.
      this.oldEvents.push({
        type: "attempt_ended",
        id: run.id,
        attempt: run.attempt,
        succeeded: run.result?.succeeded ?? this.random() < 0.5,
        costUsd: 0.1,
      });
    } else {
      seen.lostStartsTakenUp++;
      same(after.status, "running");
      equal(result.actions, [{ type: "forget", id: run.id }]);
      run.recorded = true;
    }
    this.keep(result);
  }

  /** One advance; sometimes its save is lost after its starts were carried out. */
  advance(): void {
    this.listRuns();
    const input = this.input();
    const endedBefore = this.ended;
    const lastEnded = this.lastEnded;
    this.lastEnded = [];
    const decision = reconcile(input);
    // reconcile is pure and deterministic: same input, same answer, input untouched.
    equal(reconcile({ ...input, tasks: structuredClone(input.tasks) }), decision);
    const result = this.apply({ type: "advance", now: this.now });
    if (endedBefore) return;
    seen.limitWaits += this.graph.order.filter((id) => {
      const task = observationOf(input.tasks, id);
      return task.resumeAt !== undefined && task.resumeAt > this.now;
    }).length;
    if (result.state.outcome?.conclusion === "action_required") seen.actionRequired++;

    const granted = grantsFor(this.graph, input, decision);
    checkDecision(this.graph, input, decision, result.state.tasks, granted);
    // The machine carried out exactly that decision (the starts the budget could pay for).
    equal(result.actions, expectedActions(input.tasks, decision, granted));
    equal(
      result.state.outcome,
      decision.finished
        ? { conclusion: decision.finished.conclusion, summary: decision.finished.summary }
        : undefined,
    );
    seen.automaticRetries += decision.start.filter((s) => s.retry).length;
    seen.budgetSkips += decision.skip.filter((s) => s.reason.startsWith("the session budget")).length;
    seen.finalFailures += decision.skip.filter((s) => / failed$/.test(s.reason)).length;
    seen.cancels += decision.cancel.length;
    seen.waits += decision.waiting.length;

    // willRetry (of the report just before) agrees with this advance. The slots the reconciler
    // filled: running before plus what it decided to start (some of which a budget may hold back).
    const slotsTaken =
      this.graph.order.filter((id) => observationOf(input.tasks, id).status === "running").length +
      decision.start.length;
    for (const ended of lastEnded) {
      if (ended.succeeded) continue;
      seen.willRetryChecked++;
      const restarted = decision.start.find((s) => s.id === ended.id);
      if (!ended.willRetry) {
        expect(restarted, `${ended.id} started again after a final failure`).toBeUndefined();
      } else if (!restarted) {
        // Only a full house (of paths at least as long) keeps a retry waiting.
        same(slotsTaken, this.scenario.maxParallel, `${ended.id} was to be retried`);
        const remaining = (id: string) => this.graph.remaining.get(id) ?? 0;
        for (const start of decision.start) {
          expect(remaining(start.id)).toBeGreaterThanOrEqual(remaining(ended.id));
        }
        same(result.state.tasks[ended.id]?.status, "failed");
      }
    }
    for (const start of decision.start) {
      same(this.finalFailures.has(start.id), false, `${start.id}: a final failure started again`);
    }

    const stops = result.actions.filter((a) => a.type === "stop");
    // The starts the machine carried out: the decision's, as far as the budget could pay for them.
    const starts = result.actions.filter((action) => action.type === "start");
    seen.startsHeldForBudget += decision.start.length - starts.length;
    if (starts.length > 0 && stops.length === 0 && this.random() < 0.1) {
      // The starts are carried out, the save is not: the record stays as it was.
      seen.lostSaves++;
      if (starts.some((s) => s.retry)) seen.lostRetryStarts++;
      for (const start of starts) this.startRun(start.id, start.attempt, false);
      this.check();
      return;
    }

    for (const action of result.actions) {
      if (action.type === "stop") {
        const run = this.runs.get(action.id);
        same(run?.attempt, action.attempt, `stop of ${action.id} without its run`);
        this.runs.delete(action.id);
        // The stopped run may still report, late.
        seen.lateEventsAfterCancel++;
        this.oldEvents.push({
          type: "attempt_ended",
          id: action.id,
          attempt: action.attempt,
          succeeded: this.random() < 0.5,
          costUsd: 0.1,
        });
      } else if (action.type === "forget") {
        same(this.runs.has(action.id), false);
      }
    }
    const dispatches: SessionEvent[] = [];
    for (const start of starts) {
      const roll = this.random();
      if (roll < 0.05) {
        dispatches.push({ type: "dispatch_failed", id: start.id, attempt: start.attempt, reason: "refused" });
        this.startRun(start.id, start.attempt, true);
      } else if (roll < 0.1) {
        dispatches.push({ type: "dispatch_withdrawn", id: start.id, attempt: start.attempt });
        this.startRun(start.id, start.attempt, true);
      } else {
        this.startRun(start.id, start.attempt, true);
      }
    }
    this.keep(result);
    for (const event of dispatches) {
      if (event.type === "dispatch_failed") this.dispatchFailed(event.id, event.attempt);
      else if (event.type === "dispatch_withdrawn") this.dispatchWithdrawn(event.id, event.attempt);
    }
  }

  /**
   * Carries out a start. A refused or withdrawn dispatch leaves no run, but the record has the
   * start until its event arrives (right after), so the run stands in until then.
   */
  startRun(id: string, attempt: number, recorded: boolean): void {
    const key = `${id}#${attempt}`;
    same(this.started.has(key), false, `attempt ${key} started twice`);
    same(this.runs.has(id), false, `${key} started while ${id} still runs`);
    this.started.add(key);
    this.runs.set(id, { id, attempt, recorded });
  }

  dispatchFailed(id: string, attempt: number): void {
    seen.dispatchFailures++;
    this.dispatchFailures++;
    const before = observationOf(this.state.tasks, id);
    const result = this.apply({ type: "dispatch_failed", id, attempt, reason: "refused" });
    expect(result.state.tasks[id]).toMatchObject({ status: "failed", attempts: attempt, reason: "refused" });
    equal(result.state.tasks[id]?.costUsd, before.costUsd);
    this.runs.delete(id);
    this.checkEnded(result, id, attempt, false);
    this.oldEvents.push({ type: "dispatch_failed", id, attempt, reason: "refused again" });
    this.keep(result);
  }

  dispatchWithdrawn(id: string, attempt: number): void {
    seen.dispatchWithdrawals++;
    const before = observationOf(this.state.tasks, id);
    const result = this.apply({ type: "dispatch_withdrawn", id, attempt });
    equal(result.state.tasks[id], {
      status: "pending",
      attempts: attempt - 1,
      ...(before.costUsd === undefined ? {} : { costUsd: before.costUsd }),
      ...carried(before, true),
    });
    equal(result.actions, [{ type: "forget", id }]);
    this.runs.delete(id);
    // Undone: the same attempt number starts again.
    this.started.delete(`${id}#${attempt}`);
    this.keep(result);
  }

  /** The `ended` action of a recorded report, checked against an independent reading of the rules. */
  checkEnded(result: Step, id: string, attempt: number, succeeded: boolean): void {
    // Only a revised attempt (it carried feedback) restacks: `this.state` is still the state before.
    const revised = observationOf(this.state.tasks, id).feedback !== undefined;
    const restacks = succeeded && revised ? expectedRestacks(this.graph, this.state, id) : [];
    seen.restacks += restacks.length;
    const task = this.graph.byId.get(id);
    const after = observationOf(result.state.tasks, id);
    const budget = this.machine.limits.budgetUsd;
    const expectRetry =
      !succeeded &&
      task !== undefined &&
      after.attempts - (after.uncounted ?? 0) < 1 + task.retries &&
      !isBudgetReached(spentUsd(result.state.tasks), budget) &&
      this.state.cancelRequested !== true;
    const ended = { type: "ended", id, attempt, succeeded, willRetry: expectRetry } as const;
    equal(result.actions, [ended, ...restacks]);
    if (!succeeded) {
      if (expectRetry) seen.willRetryTrue++;
      else seen.willRetryFalse++;
      if (!expectRetry) this.finalFailures.add(id);
    }
    this.lastEnded = [ended];
  }

  /** A run ends; its report arrives (or arrives early, before the record knows the run). */
  completeOne(): void {
    const run = this.pick([...this.runs.values()]);
    // Sometimes the agent spends all it was granted and is stopped there (--max-budget-usd).
    const grant = run.recorded ? observationOf(this.state.tasks, run.id).grantUsd : undefined;
    const attention = this.random() < this.scenario.attentionRate;
    run.result ??= {
      succeeded: this.random() >= this.scenario.failureRate,
      costUsd: grant !== undefined && this.random() < 0.3 ? grant : Math.round(this.random() * 100) / 100,
      ...(attention ? { outcome: this.random() < 0.5 ? "needs_input" : "limited" } : {}),
    };
    const outcome = run.result.outcome;
    const resumeAt = this.now + randomInt(this.random, 0, 5_000);
    const event = {
      type: "attempt_ended",
      id: run.id,
      attempt: run.attempt,
      succeeded: outcome === undefined && run.result.succeeded,
      costUsd: run.result.costUsd,
      ...(outcome === undefined ? {} : { outcome }),
      ...(outcome === "limited" ? { resumeAt } : {}),
      ...(outcome === "needs_input" ? { reason: "asked a question" } : {}),
    } as const;
    if (!run.recorded) {
      // Early: the record does not know this attempt yet, so the report changes nothing. The
      // run will be listed (not active) and reported again.
      seen.earlyReports++;
      const early = this.apply(event);
      equal(early, { state: this.state, actions: [] });
      this.keep(early);
      return;
    }
    const previousCost = this.expectedCost.get(run.id) ?? 0;
    const result = this.apply(event);
    this.runs.delete(run.id);
    this.expectedCost.set(run.id, previousCost + event.costUsd);
    const recorded = observationOf(result.state.tasks, run.id);
    same(recorded.attempts, run.attempt);
    const before = observationOf(this.state.tasks, run.id);
    if (outcome !== undefined) {
      // Not a failure: the attempt is not counted against the retries, and nothing else changes.
      same(recorded.uncounted, (before.uncounted ?? 0) + 1);
      if (outcome === "needs_input") {
        seen.needsInput++;
        same(recorded.status, "needs_input");
        equal(result.actions, [{ type: "needs_input", id: run.id, attempt: run.attempt }]);
      } else {
        seen.limited++;
        same(recorded.status, "pending");
        same(recorded.resumeAt, resumeAt);
        equal(result.actions, [{ type: "limited", id: run.id, attempt: run.attempt, resumeAt }]);
      }
      this.lastEnded = [];
    } else {
      same(recorded.status, event.succeeded ? "succeeded" : "failed");
      this.checkEnded(result, run.id, run.attempt, event.succeeded);
    }
    if (this.random() < 0.3) {
      this.oldEvents.push(this.random() < 0.5 ? { ...event, succeeded: !event.succeeded } : event);
    }
    this.keep(result);
  }

  /** The executor stops one attempt itself (Ctrl-C): it runs again later as the same attempt. */
  interruptOne(): void {
    const recorded = [...this.runs.values()].filter((run) => run.recorded && run.result === undefined);
    if (recorded.length === 0) return;
    const run = this.pick(recorded);
    const costUsd = Math.round(this.random() * 50) / 100;
    const result = this.apply({ type: "attempt_interrupted", id: run.id, attempt: run.attempt, costUsd });
    if (costUsd > 0) seen.interruptedWithCost++;
    this.expectedCost.set(run.id, (this.expectedCost.get(run.id) ?? 0) + costUsd);
    expect(result.state.tasks[run.id]).toMatchObject({ status: "pending", attempts: run.attempt - 1 });
    equal(result.actions, [{ type: "forget", id: run.id }]);
    this.runs.delete(run.id);
    this.started.delete(`${run.id}#${run.attempt}`);
    this.keep(result);
  }

  /** The executor restarts: every attempt it had running died with it. */
  restart(): void {
    seen.restarts++;
    const before = this.state;
    const result = this.apply({ type: "resume" });
    const running = this.graph.order.filter((id) => observationOf(before.tasks, id).status === "running");
    expect(result.actions).toHaveLength(running.length);
    equal(result.actions, expect.arrayContaining(running.map((id) => ({ type: "forget", id }))));
    for (const id of this.graph.order) {
      const was = observationOf(before.tasks, id);
      const now = observationOf(result.state.tasks, id);
      if (was.status === "running") {
        same(now.status, "pending");
        same(now.attempts, was.attempts - 1);
        equal(now.costUsd, was.costUsd);
      } else {
        equal(now, was);
      }
    }
    for (const run of this.runs.values()) this.started.delete(`${run.id}#${run.attempt}`);
    this.runs.clear();
    this.keep(result);
  }

  /** A duplicate, late or stale report, or a listing of a run the record knows: nothing changes. */
  redeliverOld(): void {
    seen.staleEvents++;
    const listed = [...this.runs.values()].filter((run) => run.recorded);
    const roll = this.random();
    let event: SessionEvent;
    if (roll < 0.15 && listed.length > 0) {
      const run = this.pick(listed);
      event = { type: "run_seen", id: run.id, attempt: run.attempt, active: run.result === undefined };
    } else if (roll < 0.2) {
      event = { type: "run_seen", id: "no-such-task", attempt: 1, active: true };
    } else if (roll < 0.3) {
      // A run of an attempt the record already ended or stopped, listed again; most interesting
      // for a cancelled task (its run may still be active: stop it).
      const cancelled = this.graph.order.filter((id) => this.state.tasks[id]?.status === "cancelled");
      const id = this.pick(cancelled.length > 0 && this.random() < 0.5 ? cancelled : this.graph.order);
      const task = observationOf(this.state.tasks, id);
      if (task.status === "running" || task.attempts === 0) return;
      event = { type: "run_seen", id, attempt: task.attempts, active: this.random() < 0.5 };
    } else if (this.oldEvents.length > 0) {
      event = this.pick(this.oldEvents);
    } else {
      return;
    }
    const result = this.apply(event);
    equal(result.state, this.state, JSON.stringify(event));
    if (event.type === "run_seen" && result.actions.length > 0) {
      // Only a still-active run of a task the record cancelled, or skipped after it ran (a limited
      // task the budget then skipped), is stopped.
      const task = observationOf(this.state.tasks, event.id);
      same(
        task.status === "cancelled" || (task.status === "skipped" && task.attempts > 0),
        true,
        task.status,
      );
      same(task.attempts, event.attempt);
      equal(result.actions, [{ type: "stop", id: event.id, attempt: event.attempt }]);
      seen.stopsOfSeenRuns++;
    } else {
      equal(result.actions, [], JSON.stringify(event));
    }
    this.keep(result);
  }

  /** A succeeded task's pull request is merged (or a merge event for another task arrives). */
  mergeOne(): boolean {
    const unmerged = this.graph.order.filter((id) => {
      const task = observationOf(this.state.tasks, id);
      return task.status === "succeeded" && task.merged !== true;
    });
    const id = unmerged.length > 0 && this.random() < 0.8 ? this.pick(unmerged) : this.pick(this.graph.order);
    if (id === undefined) return false;
    const was = observationOf(this.state.tasks, id);
    const result = this.apply({ type: "merged", id });
    equal(result.actions, []);
    if (was.status === "succeeded") {
      if (was.merged !== true) seen.merges++;
      equal(result.state.tasks[id], { ...was, merged: true });
    } else {
      equal(result.state, this.state);
    }
    this.keep(result);
    return unmerged.length > 0;
  }

  cancel(): void {
    const result = this.apply({ type: "cancel" });
    if (!this.ended) {
      this.everCancelled = true;
      equal(result.state, { ...this.state, cancelRequested: true });
      equal(result.actions, []);
    }
    this.keep(result);
  }

  manualRetry(): void {
    seen.manualRetries++;
    this.manualRetriesLeft--;
    const candidates = this.graph.order.filter((id) => {
      const status = observationOf(this.state.tasks, id).status;
      return status === "failed" || status === "cancelled";
    });
    const ids =
      this.random() < 0.5 || candidates.length === 0
        ? ("failed" as const)
        : candidates.filter(() => this.random() < 0.5);
    const before = this.state;
    const result = this.apply({ type: "retry", tasks: ids });
    // In order, each once, judged by the state the retry found: a named cancelled task that an
    // earlier one already put back to pending as its dependent is still reported as retried.
    const eligible: string[] = [];
    for (const id of ids === "failed" ? this.graph.order : ids) {
      const status = observationOf(before.tasks, id).status;
      if (eligible.includes(id) || !(status === "failed" || (ids !== "failed" && status === "cancelled")))
        continue;
      eligible.push(id);
    }
    if (eligible.length === 0) {
      equal(result, { state: before, actions: [] });
      this.keep(result);
      return;
    }
    const changed = new Set<string>();
    for (const id of eligible) {
      this.finalFailures.delete(id);
      changed.add(id);
      const was = observationOf(before.tasks, id);
      equal(result.state.tasks[id], {
        status: "pending",
        attempts: was.attempts,
        ...(was.costUsd === undefined ? {} : { costUsd: was.costUsd }),
        ...carried(was, true),
      });
      for (const below of descendants(this.graph, id)) {
        const status = observationOf(before.tasks, below).status;
        if (status === "skipped" || status === "cancelled") {
          changed.add(below);
          same(result.state.tasks[below]?.status, "pending");
        }
      }
    }
    for (const id of this.graph.order) {
      if (!changed.has(id)) equal(observationOf(result.state.tasks, id), observationOf(before.tasks, id));
    }
    equal(result.actions.at(-1), { type: "retried", ids: eligible });
    const forgotten = result.actions
      .slice(0, -1)
      .map((a) => (a.type === "forget" ? a.id : `not forget: ${a.type}`));
    equal(new Set(forgotten), changed);
    // A retry is a new command: it reopens the session and lifts an earlier cancel.
    if (before.outcome !== undefined) seen.reopenedSessions++;
    expect(result.state.outcome).toBeUndefined();
    expect(result.state.cancelRequested).toBeUndefined();
    this.keep(result);
  }

  /**
   * A review follow-up on a random task: allowed exactly when an independent reading of the rules
   * says so (ended attempt, not merged, retries and budget left, no cancel under way, no
   * dependent running); refused ones change nothing.
   */
  revise(): void {
    this.revisesLeft--;
    const ended = this.graph.order.filter((id) => {
      const status = observationOf(this.state.tasks, id).status;
      return status === "succeeded" || status === "failed";
    });
    const id = ended.length > 0 && this.random() < 0.8 ? this.pick(ended) : this.pick(this.graph.order);
    const before = this.state;
    const was = observationOf(before.tasks, id);
    const feedback = `change ${id} (${this.revisesLeft})`;
    const result = this.apply({ type: "revise", id, feedback });
    const task = this.graph.byId.get(id);
    const allowed =
      (was.status === "succeeded" || was.status === "failed") &&
      was.merged !== true &&
      task !== undefined &&
      was.attempts - (was.uncounted ?? 0) < 1 + task.retries &&
      !isBudgetReached(spentUsd(before.tasks), this.machine.limits.budgetUsd) &&
      !(before.cancelRequested === true && before.outcome === undefined) &&
      ![...descendants(this.graph, id)].some((below) => {
        const observed = observationOf(before.tasks, below);
        const dependent = this.graph.byId.get(below);
        return (
          observed.status === "running" ||
          observed.status === "needs_input" ||
          (observed.status === "pending" && observed.attempts > 0) ||
          (observed.status === "failed" &&
            dependent !== undefined &&
            observed.attempts - (observed.uncounted ?? 0) < 1 + dependent.retries)
        );
      });
    const refusal = reviseRefusal({
      graph: this.graph,
      tasks: before.tasks,
      id,
      budgetUsd: this.machine.limits.budgetUsd,
      cancelling: before.cancelRequested === true && before.outcome === undefined,
    });
    same(refusal === null, allowed, `revise of ${id} (${was.status} · ${was.attempts}): ${refusal}`);
    if (!allowed) {
      seen.revisionsRefused++;
      equal(result, { state: before, actions: [] });
      this.keep(result);
      return;
    }
    seen.revisions++;
    this.finalFailures.delete(id);
    equal(result.state.tasks[id], {
      status: "pending",
      attempts: was.attempts,
      ...carried(was, false),
      feedback,
      ...(was.costUsd === undefined ? {} : { costUsd: was.costUsd }),
    });
    const changed = new Set([id]);
    for (const below of descendants(this.graph, id)) {
      const status = observationOf(before.tasks, below).status;
      if (status === "skipped" || status === "cancelled") {
        changed.add(below);
        seen.revisionsUnskipping++;
        same(result.state.tasks[below]?.status, "pending");
      }
    }
    for (const other of this.graph.order) {
      if (!changed.has(other))
        equal(observationOf(result.state.tasks, other), observationOf(before.tasks, other));
    }
    equal(result.actions.at(-1), { type: "revised", id, attempt: was.attempts + 1 });
    equal(
      new Set(result.actions.slice(0, -1).map((a) => (a.type === "forget" ? a.id : `not forget: ${a.type}`))),
      new Set([...changed].filter((other) => other !== id)),
    );
    if (before.outcome !== undefined) seen.revisionsReopening++;
    expect(result.state.outcome).toBeUndefined();
    expect(result.state.cancelRequested).toBeUndefined();
    this.keep(result);
  }

  /** A person answers a task that needs input, or allows its refused tools. */
  giveInput(): boolean {
    const waiting = this.graph.order.filter((id) => this.state.tasks[id]?.status === "needs_input");
    if (waiting.length === 0 || this.inputsLeft <= 0) return false;
    this.inputsLeft--;
    const id = this.pick(waiting);
    const before = observationOf(this.state.tasks, id);
    const allow = this.random() < 0.5;
    const event: SessionEvent = allow
      ? { type: "allow_and_retry", id, tools: ["Bash", "WebFetch"] }
      : { type: "answer", id, text: "  Use SQLite.  " };
    const result = this.apply(event);
    const after = observationOf(result.state.tasks, id);
    same(after.status, "pending");
    same(after.attempts, before.attempts);
    same(after.uncounted, before.uncounted);
    if (allow) {
      seen.allowedTools++;
      expect(after.allowedTools).toEqual(expect.arrayContaining(["Bash", "WebFetch"]));
    } else {
      seen.answers++;
      same(after.feedback, "Use SQLite.");
    }
    equal(result.actions, [
      { type: "forget", id },
      { type: "input_given", id, how: allow ? "allow" : "answer" },
    ]);
    expect(result.state.outcome).toBeUndefined();
    // Given once: the same event again changes nothing (the task is no longer waiting).
    equal(step(this.machine, result.state, event).actions, []);
    this.keep(result);
    return true;
  }

  /** Whatever arrives once the session ended: ignored, except a retry or merge. */
  poke(): void {
    const id = this.pick(this.graph.order);
    const attempt = observationOf(this.state.tasks, id).attempts + randomInt(this.random, 0, 1);
    const events: SessionEvent[] = [
      { type: "advance" },
      { type: "cancel" },
      { type: "resume" },
      { type: "run_seen", id, attempt, active: this.random() < 0.5 },
      { type: "attempt_ended", id, attempt, succeeded: this.random() < 0.5, costUsd: 1 },
      { type: "attempt_interrupted", id, attempt, costUsd: 1 },
      { type: "dispatch_failed", id, attempt, reason: "refused" },
      { type: "dispatch_withdrawn", id, attempt },
    ];
    this.keep(this.apply(this.pick(events)));
  }
}

/**
 * The restacks a success of `id` must ask for, read independently of revise-task.ts: every
 * succeeded `base: "dependencies"` task that builds on `id`'s branch, directly or through another
 * such task, in topological order, rebased onto the first of its dependencies that moved.
 */
function expectedRestacks(
  graph: TaskGraph,
  state: SessionState,
  id: string,
): Array<Extract<SessionAction, { type: "restack" }>> {
  const moved = new Set([id]);
  const restacks: Array<Extract<SessionAction, { type: "restack" }>> = [];
  for (const candidate of graph.order) {
    const task = graph.byId.get(candidate);
    if (task === undefined || candidate === id) continue;
    if (task.base !== "dependencies" || observationOf(state.tasks, candidate).status !== "succeeded")
      continue;
    const onto = task.dependencies.find((dep) => moved.has(dep));
    if (onto === undefined) continue;
    moved.add(candidate);
    restacks.push({ type: "restack", id: candidate, onto, why: "revised" });
  }
  return restacks;
}

/**
 * The grants of the decision's starts (attempt-budget.ts, from sums taken afresh), or undefined
 * without a budget (every start is carried out).
 */
function grantsFor(
  graph: TaskGraph,
  input: ReconcileInput,
  decision: Decision,
): Map<string, number> | undefined {
  const budget = input.limits.budgetUsd;
  if (budget === undefined || decision.start.length === 0) return undefined;
  let reservedUsd = 0;
  let running = 0;
  for (const id of graph.order) {
    const observed = observationOf(input.tasks, id);
    reservedUsd += observed.grantUsd ?? 0;
    if (observed.status === "running") running++;
  }
  return grantBudgets({
    starts: decision.start.map((start) => ({ id: start.id, capUsd: graph.byId.get(start.id)?.maxBudgetUsd })),
    budgetUsd: budget,
    spentUsd: spentUsd(input.tasks),
    reservedUsd,
    running,
  });
}

/** The actions an advance must produce for a decision, in order. */
function expectedActions(
  tasks: TaskObservations,
  decision: Decision,
  granted: ReadonlyMap<string, number> | undefined,
): SessionAction[] {
  const actions: SessionAction[] = [];
  for (const cancel of decision.cancel) {
    actions.push(
      cancel.wasRunning
        ? { type: "stop", id: cancel.id, attempt: observationOf(tasks, cancel.id).attempts }
        : { type: "forget", id: cancel.id },
    );
  }
  for (const skip of decision.skip) actions.push({ type: "skipped", id: skip.id, reason: skip.reason });
  for (const wait of decision.waiting)
    actions.push({ type: "waiting", id: wait.id, unmerged: wait.unmerged });
  for (const start of decision.start) {
    if (granted !== undefined && !granted.has(start.id)) break;
    const feedback = observationOf(tasks, start.id).feedback;
    if (feedback !== undefined) seen.feedbackStarts++;
    actions.push({ type: "start", ...start, ...(feedback === undefined ? {} : { feedback }) });
  }
  if (decision.finished) actions.push({ type: "finished", outcome: decision.finished });
  return actions;
}

/**
 * The invariants every single decision must satisfy, given the observation it was made from and
 * the state the machine recorded for it (`after`).
 */
function checkDecision(
  graph: TaskGraph,
  input: ReconcileInput,
  decision: Decision,
  after: TaskObservations,
  granted: ReadonlyMap<string, number> | undefined,
): void {
  const { tasks } = input;
  const maxParallel = input.limits.maxParallel;
  const budget = input.limits.budgetUsd;
  const budgetReached = isBudgetReached(spentUsd(tasks), budget);
  const cancelling = input.cancelRequested === true;
  const runningBefore = graph.order.filter((id) => observationOf(tasks, id).status === "running").length;
  const retryable = (id: string): boolean => {
    const observed = observationOf(tasks, id);
    const task = graph.byId.get(id);
    return (
      observed.status === "failed" &&
      task !== undefined &&
      observed.attempts - (observed.uncounted ?? 0) < 1 + task.retries
    );
  };
  const waitsForLimit = (id: string): boolean => {
    const resumeAt = observationOf(tasks, id).resumeAt;
    return resumeAt !== undefined && (input.now === undefined || input.now < resumeAt);
  };
  const unmergedDeps = (id: string): string[] => {
    const task = graph.byId.get(id);
    if (task?.base !== "merged") return [];
    return task.dependencies.filter((dep) => observationOf(tasks, dep).merged !== true);
  };
  // The checks over every task collect their problems (one `expect` each would be slow).
  const problems: string[] = [];
  const must = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };

  // Starts: only when allowed, only ready tasks, each with the next attempt number, within limits.
  expect(runningBefore + decision.start.length).toBeLessThanOrEqual(Math.max(maxParallel, runningBefore));
  if (budgetReached || cancelling) equal(decision.start, []);
  const startedIds = new Set(decision.start.map((s) => s.id));
  same(startedIds.size, decision.start.length);
  for (const start of decision.start) {
    const observed = observationOf(tasks, start.id);
    same(observed.status === "pending" || retryable(start.id), true);
    same(waitsForLimit(start.id), false, `${start.id} started before its limit reset`);
    same(start.attempt, observed.attempts + 1);
    same(start.retry, observed.attempts > 0);
    for (const dep of graph.byId.get(start.id)?.dependencies ?? []) {
      same(observationOf(tasks, dep).status, "succeeded", `${start.id} started before ${dep} succeeded`);
    }
    equal(unmergedDeps(start.id), [], `${start.id} started before its dependencies were merged`);
    if (granted === undefined || granted.has(start.id)) {
      expect(after[start.id]).toMatchObject({ status: "running", attempts: start.attempt });
      same(after[start.id]?.grantUsd, granted?.get(start.id));
    } else {
      // No grant: the budget left is held by running attempts; the task starts when one ends.
      equal(after[start.id], tasks[start.id]);
    }
  }
  // Grants: never above a task's own cap, together never above what the budget has left, and a
  // session with nothing running always starts something it decided to start.
  if (granted !== undefined && budget !== undefined) {
    let reserved = 0;
    for (const id of graph.order) reserved += observationOf(tasks, id).grantUsd ?? 0;
    let total = 0;
    for (const [id, grant] of granted) {
      const cap = graph.byId.get(id)?.maxBudgetUsd;
      must(grant > 0 && (cap === undefined || grant <= cap + 1e-9), `${id} granted $${grant} (cap ${cap})`);
      total += grant;
    }
    must(
      total <= Math.max(0, budget - spentUsd(tasks) - reserved) + 1e-6,
      `granted $${total} with $${budget} budget`,
    );
    if (runningBefore === 0) must(granted.size > 0, "nothing running, and no start could be paid for");
  }

  // Waiting: exactly the ready `base: merged` tasks whose dependencies' work is not merged yet.
  for (const wait of decision.waiting) {
    same(observationOf(tasks, wait.id).status, "pending");
    for (const dep of graph.byId.get(wait.id)?.dependencies ?? []) {
      same(observationOf(tasks, dep).status, "succeeded");
    }
    equal(wait.unmerged, unmergedDeps(wait.id));
    expect(wait.unmerged.length).toBeGreaterThan(0);
    same(after[wait.id]?.status ?? "pending", "pending");
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
      return (
        (observed.status === "pending" || retryable(id)) &&
        depsOk &&
        unmergedDeps(id).length === 0 &&
        !waitsForLimit(id)
      );
    });
    same(decision.start.length, Math.min(ready.length, Math.max(0, maxParallel - runningBefore)));
    const lowestStarted = Math.min(...decision.start.map((s) => remaining(s.id)));
    for (const id of ready) {
      must(startedIds.has(id) || remaining(id) <= lowestStarted, `${id} outranks a started task`);
    }
  }

  // Cancel: everything running or waiting is cancelled and the session ends as cancelled.
  const cancelled = new Set(decision.cancel.map((c) => c.id));
  if (cancelling) {
    for (const id of graph.order) {
      const status = observationOf(tasks, id).status;
      const cancellable = status === "pending" || status === "running" || status === "needs_input";
      must(cancelled.has(id) === cancellable, `${id} ${status}: cancel?`);
      if (cancelled.has(id)) {
        const now = after[id];
        must(
          now?.status === "cancelled" && now.reason === "the session was cancelled",
          `${id} not recorded cancelled`,
        );
      }
    }
    equal(decision.skip, []);
    same(decision.finished?.conclusion, "cancelled");
  } else {
    equal(decision.cancel, []);
  }

  // Skips: a final failure (or a skip or cancel) skips exactly the waiting tasks downstream of it;
  // with the budget reached, every other waiting task is skipped for the budget.
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
    same(observationOf(tasks, skip.id).status, "pending");
    expect(after[skip.id]).toMatchObject({ status: "skipped", reason: skip.reason });
    if (skip.reason.startsWith("the session budget")) {
      same(budgetReached, true);
    } else {
      same(blocked.has(skip.id), true, `${skip.id} skipped without a failed dependency`);
      const [, cause, what] = /"([^"]+)" (failed|was cancelled|was skipped)$/.exec(skip.reason) ?? [];
      expect(cause, skip.reason).toBeDefined();
      same(descendants(graph, cause as string).has(skip.id), true);
      // The reason tells the truth about the cause.
      const causeStatus = observationOf(after, cause as string).status;
      same(what, causeStatus === "failed" ? "failed" : `was ${causeStatus}`, skip.reason);
    }
  }
  if (!cancelling) {
    for (const failed of finalFailures) {
      // Not through a dependent that succeeded: after a revise of `failed` failed for good, what
      // already succeeded on its earlier work stands, and so may what builds on that.
      for (const below of unfinishedDownstream(graph, tasks, failed)) {
        if (observationOf(tasks, below).status === "pending") {
          must(skipped.has(below), `${below} not skipped after ${failed} failed for good`);
        }
      }
    }
    for (const id of graph.order) {
      if (observationOf(tasks, id).status === "pending" && !skipped.has(id) && !blocked.has(id)) {
        must(!budgetReached, `${id} not skipped with the budget reached`);
      }
    }
  }

  // Nothing else changes: tasks neither started, skipped nor cancelled keep their state.
  for (const id of graph.order) {
    if (!startedIds.has(id) && !skipped.has(id) && !cancelled.has(id)) {
      const [was, now] = [observationOf(tasks, id), observationOf(after, id)];
      must(JSON.stringify(now) === JSON.stringify(was), `${id} changed: ${JSON.stringify([was, now])}`);
    }
  }
  equal(problems, []);

  // Finished exactly when nothing runs and nothing can start but through a person, with every
  // other task final.
  const awaiting = awaitingInput(graph, after);
  const stillActive = graph.order.some((id) => {
    const status = observationOf(after, id).status;
    return (
      status === "running" ||
      (status === "pending" && !awaiting.has(id)) ||
      (status === "failed" && retryable(id) && !budgetReached && !cancelling)
    );
  });
  same(decision.finished !== null, !stillActive);
  if (decision.finished) {
    const counts = decision.finished.counts;
    same(counts.running, 0);
    same(counts.pending, awaiting.size);
    same(
      counts.succeeded +
        counts.failed +
        counts.skipped +
        counts.cancelled +
        counts.needs_input +
        counts.pending,
      graph.tasks.length,
    );
    const allSucceeded = counts.succeeded === graph.tasks.length;
    const waitsForInput = counts.failed === 0 && counts.needs_input > 0;
    const expected = cancelling
      ? "cancelled"
      : allSucceeded
        ? "success"
        : waitsForInput
          ? "action_required"
          : "failure";
    same(decision.finished.conclusion, expected);
    expect(decision.finished.summary).toMatch(
      new RegExp(`^${counts.succeeded} of ${graph.tasks.length} tasks succeeded`),
    );
  }
}

/**
 * What a person gave a task, carried through its transitions: allowed tools and the count of
 * uncounted attempts always, an answer only while the task waits to run (`toPending`).
 */
function carried(
  was: TaskObservations[string] & object,
  toPending: boolean,
): { allowedTools?: string[]; uncounted?: number; feedback?: string } {
  return {
    ...(was.allowedTools === undefined ? {} : { allowedTools: was.allowedTools }),
    ...(was.uncounted === undefined ? {} : { uncounted: was.uncounted }),
    ...(toPending && was.feedback !== undefined ? { feedback: was.feedback } : {}),
  };
}

/** Tasks downstream of `id` through tasks that have not succeeded. */
function unfinishedDownstream(graph: TaskGraph, tasks: TaskObservations, id: string): Set<string> {
  const reached = new Set<string>();
  for (const below of graph.order) {
    const deps = graph.byId.get(below)?.dependencies ?? [];
    const reachable = deps.some(
      (dep) => dep === id || (reached.has(dep) && observationOf(tasks, dep).status !== "succeeded"),
    );
    if (reachable) reached.add(below);
  }
  return reached;
}

/** Pending tasks downstream of a task that needs input (through pending tasks only). */
function awaitingInput(graph: TaskGraph, tasks: TaskObservations): Set<string> {
  const awaiting = new Set<string>();
  for (const id of graph.order) {
    if (observationOf(tasks, id).status !== "pending") continue;
    const deps = graph.byId.get(id)?.dependencies ?? [];
    if (deps.some((dep) => awaiting.has(dep) || observationOf(tasks, dep).status === "needs_input"))
      awaiting.add(id);
  }
  return awaiting;
}

function scenarioGraph(scenario: Scenario): TaskGraph {
  const graph = randomDag({
    shape: scenario.shape,
    size: scenario.size,
    seed: scenario.graphSeed,
    maxRetries: 2,
    estimates: { min: 1, max: 10 },
  });
  if (scenario.mergedBaseRate === 0) return graph;
  const random = seededRandom(scenario.graphSeed ^ 0x5eed);
  return graphFromTasks(
    graph.tasks.map((task) =>
      task.dependencies.length > 0 && random() < scenario.mergedBaseRate ? { ...task, base: "merged" } : task,
    ),
  );
}

function runScenario(scenario: Scenario): void {
  const graph = scenarioGraph(scenario);
  const world = new World(graph, scenario);
  const maxSteps = 60 * graph.tasks.length + 200;
  world.advance();
  for (let round = 0; ; round++) {
    if (round >= maxSteps) expect.unreachable("the session did not end");
    world.now += randomInt(world.random, 0, 2_000);
    if (world.ended) {
      while (world.random() < 0.5) world.poke();
      if (world.random() < 0.7 && world.giveInput()) {
        world.advance();
        continue;
      }
      if (world.manualRetriesLeft > 0 && world.random() < 0.5) {
        world.manualRetry();
        world.advance();
        continue;
      }
      if (world.revisesLeft > 0 && world.random() < 0.5) {
        world.revise();
        world.advance();
        continue;
      }
      break;
    }
    const roll = world.random();
    const lostRuns = [...world.runs.values()].some((run) => !run.recorded);
    // A cancel is likeliest to meet a lost start (a run the record does not know) right away.
    const cancelRate = lostRuns ? Math.max(0.1, 10 * scenario.cancelRate) : scenario.cancelRate;
    if (roll < cancelRate && world.state.cancelRequested !== true) {
      world.cancel();
    } else if (roll < 0.04 && world.manualRetriesLeft > 0) {
      world.manualRetry();
    } else if (roll < 0.05) {
      world.giveInput();
    } else if (roll < 0.06 && world.revisesLeft > 0) {
      world.revise();
    } else if (roll < 0.07 && world.runs.size > 0) {
      world.restart();
    } else if (roll < 0.1) {
      world.interruptOne();
    } else if (roll < 0.22) {
      world.redeliverOld();
    } else if (roll < 0.27) {
      world.listRuns();
    } else if (roll < 0.32 || world.runs.size === 0) {
      // A pull request is merged; when nothing runs, that is all that can happen (something waits).
      if (!world.mergeOne() && world.runs.size > 0) world.completeOne();
    } else {
      world.completeOne();
    }
    // Level-triggered: any event is just a wake-up to decide again.
    world.advance();
  }

  // The end: every task final, no run left behind, the outcome matching the record.
  same(world.ended, true);
  same(world.runs.size, 0);
  const allSucceeded = graph.order.every((id) => observationOf(world.state.tasks, id).status === "succeeded");
  // Without failures (a refused dispatch is one), budget or cancel, everything succeeds.
  if (
    scenario.failureRate === 0 &&
    scenario.budgetUsd === undefined &&
    !world.everCancelled &&
    world.dispatchFailures === 0 &&
    !graph.order.some((id) => world.state.tasks[id]?.status === "needs_input")
  ) {
    same(allSucceeded, true);
  }
  if (allSucceeded) {
    same(world.state.outcome?.conclusion, world.state.cancelRequested ? "cancelled" : "success");
  }
}

describe("the session machine under an adversarial executor", () => {
  it("keeps every invariant across random graphs, failures, duplicates, lost saves, restarts, budgets, merges, cancels and retries", () => {
    fc.assert(fc.property(scenarioArbitrary, runScenario), { numRuns: 300 });
    for (const [what, count] of Object.entries(seen)) {
      expect(count, `never exercised: ${what}`).toBeGreaterThan(0);
    }
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
          const machine: SessionMachine = { graph, limits: { maxParallel } };
          let state: SessionState = { tasks: {} };
          const starts: string[] = [];
          const random = seededRandom(seed);
          for (let round = 0; round < 10 * size + 10; round++) {
            const advanced = step(machine, state, { type: "advance" });
            state = advanced.state;
            const finished = advanced.actions.find((a) => a.type === "finished");
            if (finished) {
              expect(finished.outcome.conclusion).toBe("success");
              expect(finished.outcome.summary).toBe(`${size} of ${size} tasks succeeded`);
              expect(state.outcome?.conclusion).toBe("success");
              expect([...starts].sort()).toEqual([...graph.order].sort());
              return;
            }
            for (const action of advanced.actions) {
              expect(action.type).toBe("start");
              if (action.type === "start") {
                expect(action).toMatchObject({ attempt: 1, retry: false });
                starts.push(action.id);
              }
            }
            const running = graph.order.filter((id) => state.tasks[id]?.status === "running");
            expect(running.length).toBeLessThanOrEqual(maxParallel);
            const id = running[randomInt(random, 0, running.length - 1)] as string;
            state = step(machine, state, { type: "attempt_ended", id, attempt: 1, succeeded: true }).state;
          }
          expect.unreachable("the session did not finish");
        },
      ),
      { numRuns: 200 },
    );
  });
});
