import {
  canRetry,
  observationOf,
  type Decision,
  type SessionOutcome,
  type TaskObservation,
  type TaskStatus,
} from "./reconcile.js";
import { grantBudgets } from "./attempt-budget.js";
import { boundedFeedback, dependentsToRestack, reviseRefusal } from "./revise-task.js";
import { copySessionState, type SessionState } from "./session-state.js";
import { TaskFrontier } from "./task-frontier.js";
import { descendants, type TaskGraph } from "./task-graph.js";
import { MAX_ANSWER_CHARS, refusedToolList } from "./task-attention.js";

/**
 * The session machine: every rule that turns what happened into session state lives here, once,
 * for both runtimes. An adapter (the App's pass, the local executor) turns its I/O into events,
 * calls `step`, stores the new state and carries out the actions. `reconcile` decides what
 * starts; this file says what every decision and every result does to the state.
 *
 * Transitions of one task (status · attempts), by event:
 *
 * | event                       | from                                  | to                           | actions                     |
 * |-----------------------------|---------------------------------------|------------------------------|-----------------------------|
 * | advance (reconcile)         | pending, ready, a slot free           | running · n+1                | start                       |
 * |                             | failed, retries and budget left       | running · n+1                | start (retry)               |
 * |                             | pending, a dependency did not succeed | skipped (why)                | skipped                     |
 * |                             | pending, the budget is spent          | skipped (why)                | skipped                     |
 * |                             | pending, dependencies not merged      | pending                      | waiting                     |
 * |                             | pending or running, cancel requested  | cancelled                    | stop (if it ran), forget    |
 * |                             | nothing runs, nothing can start       | session ended                | finished                    |
 * | run_seen n (proof of a run) | pending · < n                         | running · n (or cancelled)   | forget (+ stop if cancelled) |
 * |                             | cancelled · n, run still active       | cancelled · n                | stop                        |
 * |                             | another run of n known, still active  | unchanged                    | stop (that run)             |
 * | attempt_ended n             | running · n                           | succeeded / failed, cost +=  | ended                       |
 * |                             | running · n, succeeded, dependents that succeeded on its old work | succeeded | ended, restack (each) |
 * |   outcome needs_input       | running · n                           | needs_input (not counted)    | needs_input                 |
 * |   outcome limited           | running · n                           | pending · n, resumeAt, (not counted) | limited             |
 * | advance, now < resumeAt     | pending, waiting out a limit          | pending (decision.resumeAt)  | —                           |
 * | allow_and_retry (tools)     | needs_input                           | pending, tools allowed; session reopened | forget, input_given |
 * | answer (text)               | needs_input                           | pending, feedback = text; session reopened | forget, input_given |
 * | dispatch_failed n           | running · n                           | failed (why)                 | ended                       |
 * | dispatch_withdrawn n        | running · n                           | pending · n-1                | forget                      |
 * | attempt_interrupted n       | running · n                           | pending · n-1, cost +=       | forget                      |
 * | resume                      | running · n                           | pending · n-1                | forget                      |
 * | merged                      | succeeded                             | succeeded, merged            | —                           |
 * | retry (ids or "failed")     | failed (or named cancelled)           | pending; skipped/cancelled dependents pending; session reopened | forget, retried |
 * | revise id, feedback         | succeeded or failed, retries and budget left, not merged, no dependent running | pending · n (feedback kept for attempt n+1); skipped/cancelled dependents pending; session reopened | revised (+ forget of dependents) |
 * | cancel                      | session not ended                     | cancel requested             | — (next advance cancels)    |
 *
 * Needs input is not a failure: dependents wait (they are not skipped) and the task's next
 * attempt does not use up a retry. When nothing runs and nothing can start except through a
 * person, the session ends with conclusion `action_required` (`failure` if a task also failed);
 * `allow_and_retry` or `answer` reopens it, as `retry` does. A limited task is pending with a
 * `resumeAt`: the session stays open (not ended) and the adapter wakes it at `decision.resumeAt`
 * (`SessionInPlace.decide`), passing `now` with `advance` (the core has no clock).
 *
 * An event for another attempt than the task's current one changes nothing (a duplicate, late or
 * stale report). Once the session has ended only `retry`, `revise` (which reopen it) and `merged`
 * apply.
 *
 * A revise (revise-task.ts has its rules) keeps the task's feedback in its state (`feedback`) while
 * it is pending and running, so the `start` action carries it to the attempt, and an interrupted
 * attempt starts again with it; the attempt's end drops it. The revised attempt's success restacks
 * the dependents built on the old work (`restack`, carried out by the adapter that can).
 *
 * Adapters call `step` (pure: it works on a copy). `SessionInPlace` is the same machine on a state
 * it owns, for whoever runs a whole session at once (the `plan` simulation): no copy per event,
 * and the reconciler's frontier kept between events, so a session costs O(n log n), not O(n²).
 */

export interface SessionLimits {
  maxParallel: number;
  budgetUsd?: number | undefined;
}

export interface SessionMachine {
  graph: TaskGraph;
  limits: SessionLimits;
}

export type SessionEvent =
  /**
   * Decide what to do next (reconcile) and record the decision. `now` (epoch ms): tasks waiting out
   * a limit start once it has passed their `resumeAt`; without it they keep waiting.
   */
  | { type: "advance"; now?: number | undefined }
  /**
   * A run of attempt `attempt` exists (proof of dispatch, even if the record lost the start).
   * `duplicate`: the attempt already has another run (a dispatch sent again that raced a late run).
   */
  | { type: "run_seen"; id: string; attempt: number; active: boolean; duplicate?: boolean | undefined }
  | {
      type: "attempt_ended";
      id: string;
      attempt: number;
      succeeded: boolean;
      reason?: string;
      costUsd?: number;
      /**
       * Neither success nor failure (core/task-attention.ts): the agent needs input, or the model
       * API answered with a limit and the task waits until `resumeAt` (epoch ms, required then).
       */
      outcome?: "needs_input" | "limited" | undefined;
      resumeAt?: number | undefined;
    }
  /** A person allowed these tools for a task that needs input: it starts again with them. */
  | { type: "allow_and_retry"; id: string; tools: readonly string[] }
  /** A person answered a task that needs input: it starts again with the answer as feedback. */
  | { type: "answer"; id: string; text: string }
  /** The attempt could not be started at all (the dispatch was refused): it fails with the reason. */
  | { type: "dispatch_failed"; id: string; attempt: number; reason: string }
  /** The start was not carried out and left no trace (nothing was sent): undone. */
  | { type: "dispatch_withdrawn"; id: string; attempt: number }
  /** Stopped by the executor itself (Ctrl-C): the attempt runs again later under the same number. */
  | { type: "attempt_interrupted"; id: string; attempt: number; costUsd?: number }
  /** The executor restarted: every attempt recorded as running was interrupted. */
  | { type: "resume" }
  /** A succeeded task's work reached the base branch. */
  | { type: "merged"; id: string }
  | { type: "retry"; tasks: readonly string[] | "failed" }
  /**
   * A follow-up on an ended attempt (a review asking for changes, `revise` by hand): the task runs
   * again on its existing branch with `feedback` added to its prompt. Ignored when
   * `reviseRefusal` (revise-task.ts) refuses it; adapters ask that first to answer in words.
   */
  | { type: "revise"; id: string; feedback: string }
  | { type: "cancel" };

export type SessionAction =
  /**
   * Start attempt `attempt` of the task (dispatch a run, spawn an agent). `feedback` (a revise) is
   * added to its prompt, and the attempt goes on from the task's existing branch.
   */
  | { type: "start"; id: string; attempt: number; retry: boolean; feedback?: string | undefined }
  /** Stop the running attempt (cancel its run, kill its agent). */
  | { type: "stop"; id: string; attempt: number }
  /** The adapter's facts about the task's last attempt (run id, PR, worktree) no longer apply. */
  | { type: "forget"; id: string }
  | { type: "skipped"; id: string; reason: string }
  /** A `base: merged` task waits for these dependencies' work to reach the base branch. */
  | { type: "waiting"; id: string; unmerged: string[] }
  /** An attempt's end was recorded; `willRetry`: the task gets another attempt (once a slot is free). */
  | { type: "ended"; id: string; attempt: number; succeeded: boolean; willRetry: boolean }
  | { type: "retried"; ids: string[] }
  /** Task `id` was revised: its attempt `attempt` will run with the feedback. */
  | { type: "revised"; id: string; attempt: number }
  /** A dependent built on `onto`'s branch must be rebased: `onto`'s work changed (revised) or merged. */
  | { type: "restack"; id: string; onto: string; why: "revised" | "merged" }
  /** The attempt ended needing input (refused tools, a question): the task waits for a person. */
  | { type: "needs_input"; id: string; attempt: number }
  /** The attempt hit a rate or usage limit: the task starts again at `resumeAt` (epoch ms). */
  | { type: "limited"; id: string; attempt: number; resumeAt: number }
  /** A person answered or allowed tools: the task waits to start again. */
  | { type: "input_given"; id: string; how: "answer" | "allow" }
  | { type: "finished"; outcome: SessionOutcome };

export interface Step {
  state: SessionState;
  actions: SessionAction[];
}

/** Applies one event. Pure: the input state is never changed. */
export function step(machine: SessionMachine, state: SessionState, event: SessionEvent): Step {
  const session = new SessionInPlace(machine, copySessionState(state));
  const actions = session.apply(event);
  return { state: session.state, actions };
}

/** Applies events in order; the actions of all of them, in order. Pure, like `step`. */
export function stepAll(machine: SessionMachine, state: SessionState, events: readonly SessionEvent[]): Step {
  if (events.length === 0) return { state, actions: [] };
  const session = new SessionInPlace(machine, copySessionState(state));
  const actions: SessionAction[] = [];
  for (const event of events) actions.push(...session.apply(event));
  return { state: session.state, actions };
}

/**
 * The machine on a state it owns and changes in place: the same transitions as `step`, without
 * copying the whole state on every event, and with the reconciler's frontier (task-frontier.ts)
 * kept up to date between events instead of rebuilt. `step` runs one event on a copy; a
 * simulation (`orchestrator plan`) runs a whole session on one, in time linear in its events.
 */
export class SessionInPlace {
  private frontier: TaskFrontier | undefined;
  /** Money and running attempts, summed once and then kept up to date by `set` (budgets only). */
  private totals: { spentUsd: number; reservedUsd: number; running: number } | undefined;

  /**
   * `state` is changed by `apply` and must not be changed by anyone else meanwhile.
   * `reportWaiting: false` leaves out the `waiting` actions (a simulation never merges, so its
   * waiting tasks would be reported again on every `advance` and nobody reads them).
   */
  constructor(
    readonly machine: SessionMachine,
    readonly state: SessionState,
    private readonly options: { reportWaiting?: boolean | undefined } = {},
  ) {}

  apply(event: SessionEvent): SessionAction[] {
    const actions: SessionAction[] = [];
    if (this.state.outcome !== undefined && !AFTER_THE_END.has(event.type)) return actions;
    const apply = TRANSITIONS[event.type] as (context: Context, event: SessionEvent) => void;
    apply({ machine: this.machine, state: this.state, actions, session: this }, event);
    return actions;
  }

  /** The reconciler's decision for the state as it is now (`now`: epoch ms, for limited tasks). */
  decide(now?: number): Decision {
    this.frontier ??= new TaskFrontier(this.machine.graph, this.state.tasks);
    return this.frontier.decide(
      { limits: this.machine.limits, cancelRequested: this.state.cancelRequested === true, now },
      { reportWaiting: this.options.reportWaiting },
    );
  }

  /**
   * Sets a task's state, carrying over what every attempt spent (plus `addedCostUsd`). For the
   * transitions below; callers send events to `apply`.
   */
  set(id: string, next: TaskObservation, previous: TaskObservation, addedCostUsd = 0): void {
    const cost = (previous.costUsd ?? 0) + addedCostUsd;
    if (cost > 0 || previous.costUsd !== undefined) next.costUsd = cost;
    // What a person gave the task outlives its attempts; an answer lasts until an attempt ends.
    if (next.allowedTools === undefined && previous.allowedTools !== undefined)
      next.allowedTools = previous.allowedTools;
    if (next.uncounted === undefined && previous.uncounted !== undefined) next.uncounted = previous.uncounted;
    const waitsToRun = next.status === "pending" || next.status === "running";
    if (next.feedback === undefined && previous.feedback !== undefined && waitsToRun)
      next.feedback = previous.feedback;
    if (next.status === "succeeded" && previous.merged === true && previous.status === "succeeded")
      next.merged = true;
    this.state.tasks[id] = next;
    this.frontier?.changed(id, previous, next);
    if (this.totals !== undefined) {
      this.totals.spentUsd += (next.costUsd ?? 0) - (previous.costUsd ?? 0);
      this.totals.reservedUsd += (next.grantUsd ?? 0) - (previous.grantUsd ?? 0);
      this.totals.running += Number(next.status === "running") - Number(previous.status === "running");
    }
  }

  /** What finished attempts spent, what running ones were granted, and how many run. */
  budgetTotals(): { spentUsd: number; reservedUsd: number; running: number } {
    if (this.totals === undefined) {
      this.totals = { spentUsd: 0, reservedUsd: 0, running: 0 };
      for (const task of Object.values(this.state.tasks)) {
        this.totals.spentUsd += task.costUsd ?? 0;
        this.totals.reservedUsd += task.grantUsd ?? 0;
        if (task.status === "running") this.totals.running++;
      }
    }
    return this.totals;
  }

  /** A succeeded task's work reached the base branch. For the `merged` transition. */
  setMerged(id: string): void {
    const task = this.state.tasks[id];
    if (task?.status !== "succeeded") return;
    task.merged = true;
    this.frontier?.merged(id);
  }
}

/** The feedback of a revise asked without words (`/orchestrate revise` alone). */
export const REVISE_WITHOUT_TEXT = "Revise the earlier work: look at it again and improve it.";

/** Events that still apply once the session has ended. */
const AFTER_THE_END: ReadonlySet<SessionEvent["type"]> = new Set([
  "retry",
  "revise",
  "merged",
  "run_seen",
  "allow_and_retry",
  "answer",
]);

interface Context {
  machine: SessionMachine;
  /** The state being changed (a copy, for `step`). */
  state: SessionState;
  actions: SessionAction[];
  /** Every change of a task's state goes through it, so the frontier follows. */
  session: SessionInPlace;
}

type Transitions = {
  [K in SessionEvent["type"]]: (context: Context, event: Extract<SessionEvent, { type: K }>) => void;
};

const TRANSITIONS: Transitions = {
  advance({ machine, state, actions, session }, event) {
    const decision = session.decide(event.now);
    for (const cancel of decision.cancel) {
      const previous = observationOf(state.tasks, cancel.id);
      session.set(
        cancel.id,
        { status: "cancelled", attempts: previous.attempts, reason: "the session was cancelled" },
        previous,
      );
      if (cancel.wasRunning) actions.push({ type: "stop", id: cancel.id, attempt: previous.attempts });
      else actions.push({ type: "forget", id: cancel.id });
    }
    for (const skip of decision.skip) {
      const previous = observationOf(state.tasks, skip.id);
      session.set(skip.id, { status: "skipped", attempts: previous.attempts, reason: skip.reason }, previous);
      actions.push({ type: "skipped", id: skip.id, reason: skip.reason });
    }
    for (const wait of decision.waiting)
      actions.push({ type: "waiting", id: wait.id, unmerged: wait.unmerged });
    // With a budget, each attempt gets its grant; one that gets none waits for a running one.
    const budget = machine.limits.budgetUsd;
    const grants =
      budget === undefined || decision.start.length === 0
        ? undefined
        : grantBudgets({
            starts: decision.start.map((start) => ({
              id: start.id,
              capUsd: machine.graph.byId.get(start.id)?.maxBudgetUsd,
            })),
            budgetUsd: budget,
            ...session.budgetTotals(),
          });
    for (const start of decision.start) {
      const grantUsd = grants?.get(start.id);
      if (grants !== undefined && grantUsd === undefined) break;
      const previous = observationOf(state.tasks, start.id);
      const next: TaskObservation = { status: "running", attempts: start.attempt };
      if (grantUsd !== undefined) next.grantUsd = grantUsd;
      // `set` carries the feedback over to the running attempt.
      session.set(start.id, next, previous);
      actions.push({
        type: "start",
        id: start.id,
        attempt: start.attempt,
        retry: start.retry,
        ...(previous.feedback === undefined ? {} : { feedback: previous.feedback }),
      });
    }
    if (decision.finished) {
      state.outcome = { conclusion: decision.finished.conclusion, summary: decision.finished.summary };
      actions.push({ type: "finished", outcome: decision.finished });
    }
  },

  run_seen({ machine, state, actions, session }, event) {
    if (!machine.graph.byId.has(event.id)) return;
    // An attempt has one run: a second one still going is stopped, and tells nothing else.
    if (event.duplicate === true) {
      if (event.active) actions.push({ type: "stop", id: event.id, attempt: event.attempt });
      return;
    }
    const previous = observationOf(state.tasks, event.id);
    const startable = previous.status === "pending" || previous.status === "failed";
    if (startable && previous.attempts < event.attempt && state.outcome === undefined) {
      // The run proves attempt n was dispatched even if the record lost the start (a crash before
      // the save, or another process's save overwriting ours): take it up.
      const cancelling = state.cancelRequested === true;
      const status: TaskStatus = cancelling ? "cancelled" : "running";
      const next: TaskObservation = { status, attempts: event.attempt };
      if (cancelling) next.reason = "the session was cancelled";
      session.set(event.id, next, previous);
      actions.push({ type: "forget", id: event.id });
      if (cancelling && event.active) actions.push({ type: "stop", id: event.id, attempt: event.attempt });
      return;
    }
    // A run still going that the session will never use: of a task cancelled or skipped before
    // the run was seen, or seen only after the session ended. Stop it: it would only spend money
    // nobody counts. (A run of the attempt a pending or failed task already had is a late report
    // of a run that has ended, and left alone.)
    const unwanted =
      previous.status === "cancelled" || previous.status === "skipped"
        ? previous.attempts <= event.attempt
        : startable && previous.attempts < event.attempt;
    if (event.active && unwanted) actions.push({ type: "stop", id: event.id, attempt: event.attempt });
  },

  attempt_ended(context, event) {
    if (event.outcome === "needs_input") return needsInput(context, event);
    if (event.outcome === "limited" && event.resumeAt !== undefined)
      return limited(context, { ...event, resumeAt: event.resumeAt });
    const reason = event.succeeded ? undefined : (event.reason ?? "the task failed");
    endAttempt(context, { ...event, reason });
  },

  allow_and_retry(context, event) {
    const previous = observationOf(context.state.tasks, event.id);
    const tools = refusedToolList([...(previous.allowedTools ?? []), ...event.tools]);
    inputGiven(context, event.id, { allowedTools: tools }, "allow");
  },

  answer(context, event) {
    const text = event.text.trim().slice(0, MAX_ANSWER_CHARS);
    if (text === "") return;
    inputGiven(context, event.id, { feedback: text }, "answer");
  },

  dispatch_failed(context, event) {
    endAttempt(context, { id: event.id, attempt: event.attempt, succeeded: false, reason: event.reason });
  },

  dispatch_withdrawn({ state, actions, session }, event) {
    if (!isCurrent(state, event)) return;
    backToPending(session, event.id, 0);
    actions.push({ type: "forget", id: event.id });
  },

  attempt_interrupted({ state, actions, session }, event) {
    if (!isCurrent(state, event)) return;
    backToPending(session, event.id, event.costUsd ?? 0);
    actions.push({ type: "forget", id: event.id });
  },

  resume({ state, actions, session }) {
    for (const [id, task] of Object.entries(state.tasks)) {
      if (task.status !== "running") continue;
      backToPending(session, id, 0);
      actions.push({ type: "forget", id });
    }
  },

  merged({ session }, event) {
    session.setMerged(event.id);
  },

  retry({ machine, state, actions, session }, event) {
    const { graph } = machine;
    const candidates = event.tasks === "failed" ? graph.order : event.tasks;
    // Eligibility as the retry found it: a named task reset as another's dependent still counts.
    const before = new Map(candidates.map((id) => [id, observationOf(state.tasks, id).status]));
    const retried: string[] = [];
    for (const id of candidates) {
      const previous = observationOf(state.tasks, id);
      const status = before.get(id);
      const eligible = status === "failed" || (event.tasks !== "failed" && status === "cancelled");
      if (!eligible || !graph.byId.has(id) || retried.includes(id)) continue;
      retried.push(id);
      // The attempt count is kept, so the next start is a new attempt (a new run-name).
      session.set(id, { status: "pending", attempts: previous.attempts }, previous);
      actions.push({ type: "forget", id });
      for (const downstream of descendants(graph, id)) {
        const below = observationOf(state.tasks, downstream);
        if (below.status !== "skipped" && below.status !== "cancelled") continue;
        session.set(downstream, { status: "pending", attempts: below.attempts }, below);
        actions.push({ type: "forget", id: downstream });
      }
    }
    if (retried.length === 0) return;
    // A retry reopens an ended or cancelled session.
    delete state.cancelRequested;
    delete state.outcome;
    actions.push({ type: "retried", ids: retried });
  },

  revise({ machine, state, actions, session }, event) {
    const { graph } = machine;
    const refusal = reviseRefusal({
      graph,
      tasks: state.tasks,
      id: event.id,
      budgetUsd: machine.limits.budgetUsd,
      cancelling: state.cancelRequested === true && state.outcome === undefined,
    });
    if (refusal !== null) return;
    const previous = observationOf(state.tasks, event.id);
    // The attempt count is kept: the next start is attempt n+1, on the task's existing branch.
    const next: TaskObservation = { status: "pending", attempts: previous.attempts };
    // Always some feedback: it is what marks the attempt as a revise (its success restacks).
    next.feedback = boundedFeedback(event.feedback) || REVISE_WITHOUT_TEXT;
    session.set(event.id, next, previous);
    // A failed task's skipped or cancelled dependents may run after all, as after a retry.
    for (const downstream of descendants(graph, event.id)) {
      const below = observationOf(state.tasks, downstream);
      if (below.status !== "skipped" && below.status !== "cancelled") continue;
      session.set(downstream, { status: "pending", attempts: below.attempts }, below);
      actions.push({ type: "forget", id: downstream });
    }
    delete state.cancelRequested;
    delete state.outcome;
    actions.push({ type: "revised", id: event.id, attempt: previous.attempts + 1 });
  },

  cancel({ state }) {
    state.cancelRequested = true;
  },
};

function isCurrent(state: SessionState, event: { id: string; attempt: number }): boolean {
  const task = state.tasks[event.id];
  return task?.status === "running" && task.attempts === event.attempt;
}

function endAttempt(
  { machine, state, actions, session }: Context,
  result: {
    id: string;
    attempt: number;
    succeeded: boolean;
    reason: string | undefined;
    costUsd?: number | undefined;
  },
): void {
  if (!isCurrent(state, result)) return;
  const previous = observationOf(state.tasks, result.id);
  const ended: TaskObservation = {
    status: result.succeeded ? "succeeded" : "failed",
    attempts: previous.attempts,
  };
  if (result.reason !== undefined) ended.reason = result.reason;
  session.set(result.id, ended, previous, result.costUsd ?? 0);
  const willRetry =
    !result.succeeded &&
    canRetry({
      graph: machine.graph,
      tasks: state.tasks,
      id: result.id,
      budgetUsd: machine.limits.budgetUsd,
      cancelRequested: state.cancelRequested === true,
    });
  actions.push({
    type: "ended",
    id: result.id,
    attempt: result.attempt,
    succeeded: result.succeeded,
    willRetry,
  });
  // Only a revised attempt (it carried feedback) changes work dependents already built on; a
  // first success learnt late (a record saved stale, then healed) changes nothing under them.
  if (!result.succeeded || previous.feedback === undefined) return;
  for (const restack of dependentsToRestack(machine.graph, state.tasks, result.id))
    actions.push({ type: "restack", id: restack.id, onto: restack.onto, why: "revised" });
}

/** The agent stopped for a person: the task waits for an answer; the attempt does not count. */
function needsInput(
  { state, actions, session }: Context,
  event: { id: string; attempt: number; reason?: string | undefined; costUsd?: number | undefined },
): void {
  if (!isCurrent(state, event)) return;
  const previous = observationOf(state.tasks, event.id);
  const next: TaskObservation = {
    status: "needs_input",
    attempts: previous.attempts,
    uncounted: (previous.uncounted ?? 0) + 1,
    reason: event.reason ?? "the agent needs input",
  };
  session.set(event.id, next, previous, event.costUsd ?? 0);
  actions.push({ type: "needs_input", id: event.id, attempt: event.attempt });
}

/**
 * The model API answered with a limit: the task waits until `resumeAt` and starts again as a new
 * attempt (a new run) that does not use up a retry. What the attempt cost still counts.
 */
function limited(
  { state, actions, session }: Context,
  event: { id: string; attempt: number; resumeAt: number; costUsd?: number | undefined },
): void {
  if (!isCurrent(state, event)) return;
  const previous = observationOf(state.tasks, event.id);
  const next: TaskObservation = {
    status: "pending",
    attempts: previous.attempts,
    uncounted: (previous.uncounted ?? 0) + 1,
    resumeAt: event.resumeAt,
  };
  // No reason: a pending task has none. What the limit said is the adapter's fact of the attempt.
  session.set(event.id, next, previous, event.costUsd ?? 0);
  actions.push({ type: "limited", id: event.id, attempt: event.attempt, resumeAt: event.resumeAt });
}

/** A person answered or allowed tools: the task goes back to pending and the session reopens. */
function inputGiven(
  { machine, state, actions, session }: Context,
  id: string,
  given: Pick<TaskObservation, "allowedTools" | "feedback">,
  how: "answer" | "allow",
): void {
  const previous = observationOf(state.tasks, id);
  if (!machine.graph.byId.has(id) || previous.status !== "needs_input") return;
  session.set(id, { status: "pending", attempts: previous.attempts, ...given }, previous);
  actions.push({ type: "forget", id }, { type: "input_given", id, how });
  delete state.outcome;
}

/**
 * The attempt did not finish: back to pending without counting it, so it starts again as the same
 * attempt instead of using up a retry. What it cost still counts.
 */
function backToPending(session: SessionInPlace, id: string, costUsd: number): void {
  const previous = observationOf(session.state.tasks, id);
  const next: TaskObservation = { status: "pending", attempts: Math.max(0, previous.attempts - 1) };
  // A revised attempt that starts again still has its feedback to address (`set` keeps it).
  session.set(id, next, previous, costUsd);
}
