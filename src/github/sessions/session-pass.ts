import { formatRunName } from "../../core/dispatch-inputs.js";
import { reviseRefusal } from "../../core/revise-task.js";
import {
  step,
  type SessionAction,
  type SessionEvent,
  type SessionMachine,
} from "../../core/session-machine.js";
import { storeSessionState } from "../../core/session-state.js";
import { limitResumeAt } from "../../core/task-attention.js";
import type { TaskGraph } from "../../core/task-graph.js";
import { describeApiError, httpStatus, type GitHubClient } from "../github-client.js";
import type { AppConfig } from "./app-config.js";
import { dispatchTask, listDispatchRunsSince, type DispatchOutcome } from "./dispatch-task.js";
import type { LoadedSession } from "./load-session.js";
import { readPlanResult } from "./read-plan-result.js";
import { readRunResult, type RunResult } from "./read-run-result.js";
import {
  PER_ATTEMPT_FACTS,
  taskFacts,
  taskView,
  type SessionRecord,
  type TaskView,
} from "./session-record.js";
import type { SessionRuntime } from "./session-runtime.js";
import { sessionLimits } from "./session-status.js";
import { taskRunRequest } from "./task-run-request.js";
import { acceptedRuns, judgeRun, sessionRunExpectation, type WorkflowRunLike } from "./workflow-run.js";
import { readMergedTasks } from "./read-merged-tasks.js";
import { dueDispatches, MAX_DISPATCHES, provablyNoRun } from "./unsettled-dispatches.js";

/**
 * One pass of the App over a session: the adapter between GitHub and the session machine. It
 * turns what GitHub shows (runs, their results, merged pull requests, refused dispatches) into
 * machine events, and carries out the machine's actions (dispatch, cancel a run) — deciding
 * nothing itself. Beside the core's state it keeps only the App's facts (`record.runs`).
 */
export class SessionPass {
  readonly machine: SessionMachine;
  private readonly record: SessionRecord;
  /** Attempt outcomes in the order they were recorded (see projectTaskChecks), an unsaved pass's first. */
  readonly finished: Array<{ id: string; entry: TaskView }>;
  /** Tasks a retry (or an answer, or allowed tools) put back to pending. */
  retried: string[] = [];
  readonly warnings: string[] = [];
  readonly dispatched: Array<{ taskId: string; attempt: number; runId?: number }> = [];
  /** Restacks the machine asked for: carried out after the pass's starts (restack-dependents.ts). */
  readonly restacks: Array<Extract<SessionAction, { type: "restack" }>> = [];
  private readonly nowIso: string;

  constructor(
    private readonly ctx: {
      client: GitHubClient;
      session: LoadedSession;
      graph: TaskGraph;
      config: AppConfig;
      runtime: SessionRuntime;
      now: Date;
      /** Where attempt outcomes are collected (kept with an unsaved record). */
      finished: Array<{ id: string; entry: TaskView }>;
    },
  ) {
    this.record = ctx.session.record;
    this.finished = ctx.finished;
    this.machine = { graph: ctx.graph, limits: sessionLimits(this.record, ctx.graph) };
    this.nowIso = ctx.now.toISOString();
  }

  /** Applies an event and carries out what the machine asks; returns the follow-up events. */
  async apply(event: SessionEvent): Promise<SessionAction[]> {
    const actions = this.step(event);
    const followUps: SessionEvent[] = [];
    for (const action of actions) followUps.push(...(await this.carryOut(action)));
    for (const followUp of followUps) await this.apply(followUp);
    return actions;
  }

  /** Takes up what the given workflow runs show: runs adopted as proof of dispatch, attempts ended. */
  async observeRuns(runs: readonly WorkflowRunLike[]): Promise<void> {
    const { session, graph } = this.ctx;
    for (const run of latestPerRun(runs)) {
      // Only runs that are the session's (core/accept-run.ts): a title alone proves nothing. The
      // expectation reads the record live, so a run id linked in this loop rules out other runs
      // claiming that attempt (they come back as duplicates).
      const judged = judgeRun(run, this.runExpectation(), this.warnings);
      if (!judged) continue;
      const { key } = judged;
      const task = graph.byId.get(key.taskId);
      if (!task) continue;
      const runId = Number(run.id);
      const { duplicate } = judged;
      const actions = this.step({
        type: "run_seen",
        id: key.taskId,
        attempt: key.attempt,
        active: run.status !== "completed",
        ...(duplicate ? { duplicate: true } : {}),
      });
      // A stop here is for this very run (one the session will not use).
      if (actions.some((action) => action.type === "stop")) await this.cancelRun(runId);
      const current = this.record.tasks[key.taskId];
      if (duplicate || this.record.outcome !== undefined || !current || current.attempts !== key.attempt)
        continue;
      const facts = taskFacts(this.record, key.taskId);
      if (actions.some((action) => action.type === "forget")) facts.startedAt = run.created_at ?? this.nowIso;
      // Link the run to its attempt: a running one, or one cancelled after it was dispatched.
      const dispatched =
        current.status === "running" || (current.status === "cancelled" && facts.startedAt !== undefined);
      if (facts.runId === undefined && dispatched) {
        facts.runId = runId;
        if (run.html_url) facts.runUrl = run.html_url;
        delete facts.note;
        delete facts.dispatch;
      }
      if (run.status !== "completed") continue;
      if (current.status !== "running") {
        if (current.status === "cancelled" && facts.endedAt === undefined)
          facts.endedAt = run.updated_at ?? this.nowIso;
        continue;
      }
      const read = {
        client: this.ctx.client,
        repo: session.repo,
        run,
        key,
        branch: task.branch,
        allowNoChanges: task.allowNoChanges,
        timeoutMinutes: task.timeoutMinutes,
      };
      let outcome: RunResult;
      if (this.record.planner) {
        const planned = await readPlanResult(read);
        if (planned.proposal !== undefined) this.record.planner.proposal = planned.proposal;
        outcome = planned;
      } else outcome = await readRunResult(read);
      facts.runConclusion = outcome.runConclusion;
      facts.endedAt = run.updated_at ?? this.nowIso;
      delete facts.note;
      if (outcome.prNumber !== undefined) facts.prNumber = outcome.prNumber;
      if (outcome.prUrl !== undefined) facts.prUrl = outcome.prUrl;
      if (outcome.turns !== undefined) facts.turns = outcome.turns;
      if (outcome.durationMs !== undefined) facts.durationMs = outcome.durationMs;
      const { attention } = outcome;
      if (attention?.kind === "needs_input") {
        facts.refusedTools = attention.refusedTools;
        if (attention.question !== undefined) facts.question = attention.question;
      }
      // A limit: the reason stays with the run's facts, as the task is pending again.
      if (attention?.kind === "limited" && outcome.reason !== undefined) facts.note = outcome.reason;
      await this.apply({
        type: "attempt_ended",
        id: key.taskId,
        attempt: key.attempt,
        succeeded: outcome.succeeded,
        ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
        ...(outcome.costUsd === undefined ? {} : { costUsd: outcome.costUsd }),
        ...(attention === undefined ? {} : { outcome: attention.kind }),
        ...(attention?.kind === "limited"
          ? { resumeAt: limitResumeAt({ now: this.ctx.now.getTime(), resetsAt: attention.resetsAt }) }
          : {}),
      });
    }
  }

  /** Running tasks whose run has not appeared long after dispatch fail, so the session can go on. */
  async failNeverStarted(seen: readonly WorkflowRunLike[]): Promise<void> {
    const limit = this.ctx.config.runNeverStartedAfterMs;
    const seenNames = new Set(
      acceptedRuns(seen, this.runExpectation(), []).map(({ run }) => run.display_title ?? ""),
    );
    for (const id of this.ctx.graph.order) {
      const task = this.record.tasks[id];
      const facts = this.record.runs[id];
      // A dispatch not settled yet is settleDispatches' to carry on (bounded by MAX_DISPATCHES).
      if (task?.status !== "running" || facts?.runId !== undefined || facts?.dispatch) continue;
      const runName = formatRunName({
        sessionId: this.ctx.session.sessionId,
        taskId: id,
        attempt: task.attempts,
      });
      if (seenNames.has(runName)) continue;
      const started = Date.parse(facts?.startedAt ?? "");
      if (Number.isNaN(started) || this.ctx.now.getTime() - started < limit) continue;
      const minutes = Math.round(limit / 60_000);
      const reason =
        `the workflow run of attempt ${task.attempts} never appeared (${minutes} minutes after dispatch)` +
        (facts?.note ? `; ${facts.note}` : "") +
        `; check the task workflow and the Actions settings, then retry`;
      taskFacts(this.record, id).endedAt = this.nowIso;
      await this.apply({ type: "attempt_ended", id, attempt: task.attempts, succeeded: false, reason });
    }
  }

  /**
   * Decides and acts until acting no longer changes the picture (a refused dispatch fails its
   * task, which may start a retry or skip dependents; a merge seen lets a waiting task start).
   */
  async advance(): Promise<void> {
    let mergesChecked = false;
    for (let round = 0; round < 5; round++) {
      // The machine is pure: look at what an advance would do before doing it.
      const now = this.ctx.now.getTime();
      const peek = step(this.machine, this.record, { type: "advance", now });
      const waiting = peek.actions.filter((action) => action.type === "waiting");
      if (waiting.length > 0 && !mergesChecked) {
        mergesChecked = true;
        if (await this.observeMerges(waiting)) continue;
      }
      const failedBefore = this.finished.length;
      await this.apply({ type: "advance", now });
      if (this.finished.length === failedBefore) return;
    }
  }

  private runExpectation() {
    const { session } = this.ctx;
    return sessionRunExpectation({ sessionId: session.sessionId, repo: session.repo, record: this.record });
  }

  /** Steps the machine and stores its state in the record; the actions are the caller's. */
  private step(event: SessionEvent): SessionAction[] {
    const { state, actions } = step(this.machine, this.record, event);
    storeSessionState(this.record, state);
    for (const action of actions) {
      if (action.type === "forget" || action.type === "start") this.forget(action.id);
    }
    return actions;
  }

  private async carryOut(action: SessionAction): Promise<SessionEvent[]> {
    switch (action.type) {
      case "start":
        return this.dispatch(action.id, action.attempt);
      case "stop": {
        const runId = this.record.runs[action.id]?.runId;
        if (runId !== undefined) await this.cancelRun(runId);
        return [];
      }
      case "ended":
      case "needs_input":
      case "limited":
        this.finished.push({ id: action.id, entry: taskView(this.record, action.id) });
        // A limited or needs-input attempt runs again: its reviewers wait for the one that ends.
        if (action.type === "ended") await this.askReviewersAgain(action.id, action.succeeded);
        return [];
      case "retried":
        this.retried = action.ids;
        return [];
      case "input_given":
        this.retried = [...this.retried, action.id];
        return [];
      case "finished":
        this.record.endedAt = this.nowIso;
        return [];
      case "restack":
        this.restacks.push(action);
        return [];
      case "forget":
      case "skipped":
      case "waiting":
      case "revised":
        return [];
    }
  }

  /**
   * A review follow-up (revise-task.ts in sessions): the task's pull request must be the one this
   * session's record names for it, on the task's branch; then the machine's rules decide. Returns
   * the refusal in plain words, or the attempt that will run.
   */
  async revise(command: {
    id: string;
    feedback: string;
    pullNumber: number;
    headRef: string;
    reviewer?: string | undefined;
  }): Promise<{ refused: string } | { attempt: number }> {
    const task = this.ctx.graph.byId.get(command.id);
    const facts = this.record.runs[command.id];
    // The task's branch, and the pull request the record names for its last attempt (a running
    // attempt has none recorded yet: the rules below refuse it anyway).
    const notTheTasks = `pull request #${command.pullNumber} is not the pull request of a task of this session`;
    if (task === undefined || task.branch !== command.headRef) return { refused: notTheTasks };
    const refusal = reviseRefusal({
      graph: this.ctx.graph,
      tasks: this.record.tasks,
      id: command.id,
      budgetUsd: this.machine.limits.budgetUsd,
      cancelling: this.record.cancelRequested === true && this.record.outcome === undefined,
    });
    if (refusal !== null) return { refused: refusal };
    if (facts?.prNumber !== command.pullNumber) return { refused: notTheTasks };
    const actions = await this.apply({ type: "revise", id: command.id, feedback: command.feedback });
    const revised = actions.find((action) => action.type === "revised");
    if (revised?.type !== "revised") return { refused: `task "${command.id}" could not be revised` };
    if (command.reviewer !== undefined) {
      const reviewers = new Set([...(facts.reviewers ?? []), command.reviewer]);
      taskFacts(this.record, command.id).reviewers = [...reviewers];
    }
    return { attempt: revised.attempt };
  }

  /**
   * After a revised attempt: the reviewers who asked for changes are asked to review again when it
   * succeeded (best effort: a refusal is a warning, and never retried); either way they are done.
   */
  private async askReviewersAgain(id: string, succeeded: boolean): Promise<void> {
    const facts = this.record.runs[id];
    const reviewers = facts?.reviewers;
    if (reviewers === undefined) return;
    delete facts?.reviewers;
    if (!succeeded || facts?.prNumber === undefined) return;
    try {
      await this.ctx.client.request("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", {
        ...this.ctx.session.repo,
        pull_number: facts.prNumber,
        reviewers,
      });
    } catch (error) {
      this.warnings.push(
        `could not ask ${reviewers.join(", ")} to review pull request #${facts.prNumber} again: ${describeApiError(error)}`,
      );
    }
  }

  /** Drops the facts of the task's last attempt; the check run last written stays known. */
  private forget(id: string): void {
    const facts = this.record.runs[id];
    if (facts) for (const field of PER_ATTEMPT_FACTS) delete facts[field];
  }

  private async dispatch(id: string, attempt: number): Promise<SessionEvent[]> {
    const outcome = await this.sendDispatch(id, attempt);
    return this.recordDispatch(id, attempt, 1, outcome);
  }

  /**
   * Dispatches not settled (see dispatch-task.ts for when a run provably does not exist): an
   * `unsent` one goes out again now; an `uncertain` one, once `dispatchSettleMs` has passed, is
   * looked for in a listing of the runs since it was sent — adopted when there, sent once more
   * when the listing proves it absent. After MAX_DISPATCHES the attempt fails.
   */
  async settleDispatches(): Promise<void> {
    const { config, graph, now, session } = this.ctx;
    const { due, listSince } = dueDispatches({
      record: this.record,
      graph,
      now,
      settleMs: config.dispatchSettleMs,
    });
    let listed: WorkflowRunLike[] | null = null;
    if (listSince !== undefined) {
      try {
        listed = await listDispatchRunsSince({
          client: this.ctx.client,
          repo: session.repo,
          workflowFile: this.record.workflowFile,
          dispatchRef: this.record.dispatchRef,
          since: listSince,
        });
      } catch (error) {
        this.warnings.push(`could not list the task workflow's runs: ${describeApiError(error)}`);
      }
      if (listed) await this.observeRuns(listed);
    }
    for (const item of due) {
      const task = this.record.tasks[item.id];
      const facts = this.record.runs[item.id];
      if (task?.status !== "running" || task.attempts !== item.attempt || facts?.dispatch === undefined)
        continue;
      if (!provablyNoRun({ item, sessionId: session.sessionId, listed })) continue;
      const claim = item.claim + 1;
      if (claim > MAX_DISPATCHES) {
        const reason =
          `the workflow run of attempt ${item.attempt} could not be started in ${MAX_DISPATCHES} dispatches` +
          (facts.note ? ` (${facts.note})` : "") +
          "; check the task workflow and GitHub's status, then retry";
        facts.endedAt = this.nowIso;
        await this.apply({ type: "dispatch_failed", id: item.id, attempt: item.attempt, reason });
        continue;
      }
      const outcome = await this.sendDispatch(item.id, item.attempt);
      for (const event of this.recordDispatch(item.id, item.attempt, claim, outcome)) await this.apply(event);
    }
  }

  private sendDispatch(id: string, attempt: number): Promise<DispatchOutcome> {
    taskFacts(this.record, id).startedAt = this.nowIso;
    const { session, graph } = this.ctx;
    return dispatchTask({
      client: this.ctx.client,
      repo: session.repo,
      dispatchRef: this.record.dispatchRef,
      workflowFile: this.record.workflowFile,
      request: taskRunRequest({
        graph,
        taskId: id,
        attempt,
        sessionId: session.sessionId,
        sha: this.record.sha,
        baseBranch: this.record.baseBranch,
        tasksFile: this.record.inlineTasks ? undefined : this.record.file,
        grantUsd: this.record.tasks[id]?.grantUsd,
        issue: this.record.issueGraph?.tasks[id]?.number,
        mode: this.record.planner ? "plan" : undefined,
        allowedTools: this.record.tasks[id]?.allowedTools,
        feedback: this.record.tasks[id]?.feedback,
      }),
      config: this.ctx.config,
      runtime: this.ctx.runtime,
    });
  }

  /** Keeps what the `claim`-th dispatch of an attempt tells in the task's facts; the event it leads to, if any. */
  private recordDispatch(
    id: string,
    attempt: number,
    claim: number,
    outcome: DispatchOutcome,
  ): SessionEvent[] {
    const facts = taskFacts(this.record, id);
    switch (outcome.kind) {
      case "dispatched":
        if (outcome.runId !== undefined) {
          facts.runId = outcome.runId;
          this.ctx.runtime.linkedRuns.add(outcome.runId);
        }
        if (outcome.runUrl !== undefined) facts.runUrl = outcome.runUrl;
        delete facts.dispatch;
        delete facts.note;
        this.dispatched.push({
          taskId: id,
          attempt,
          ...(outcome.runId !== undefined ? { runId: outcome.runId } : {}),
        });
        return [];
      case "uncertain":
      case "unsent":
        facts.dispatch = { claim, at: this.nowIso, state: outcome.kind };
        facts.note = outcome.note;
        return [];
      case "rejected":
        facts.endedAt = this.nowIso;
        delete facts.dispatch;
        return [{ type: "dispatch_failed", id, attempt, reason: outcome.reason }];
    }
  }

  /**
   * Reads the pull requests of the dependencies waiting tasks need merged and tells the machine
   * of each merge. Returns whether any was merged; waiting tasks get a note saying what they wait for.
   */
  private async observeMerges(
    waiting: ReadonlyArray<Extract<SessionAction, { type: "waiting" }>>,
  ): Promise<boolean> {
    const unmerged = [...new Set(waiting.flatMap((wait) => wait.unmerged))];
    const merged = await readMergedTasks({
      client: this.ctx.client,
      repo: this.ctx.session.repo,
      record: this.record,
      ids: unmerged,
      warnings: this.warnings,
    });
    for (const id of merged) await this.apply({ type: "merged", id });
    const changed = merged.length > 0;
    for (const wait of waiting) {
      const facts = taskFacts(this.record, wait.id);
      const still = wait.unmerged.filter((dep) => this.record.tasks[dep]?.merged !== true);
      if (still.length > 0) {
        facts.note = `waiting for the pull request${still.length > 1 ? "s" : ""} of ${still.join(", ")} to be merged`;
      } else delete facts.note;
    }
    return changed;
  }

  private async cancelRun(runId: number): Promise<void> {
    try {
      await this.ctx.client.request("POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel", {
        ...this.ctx.session.repo,
        run_id: runId,
      });
    } catch (error) {
      // 409: it already finished, which is what we wanted.
      if (httpStatus(error) !== 409)
        this.warnings.push(`could not cancel run ${runId}: ${describeApiError(error)}`);
    }
  }
}

/** Last state of each run id: a `completed` event wins over an older `in_progress` one. */
function latestPerRun(runs: readonly WorkflowRunLike[]): WorkflowRunLike[] {
  const byId = new Map<number, WorkflowRunLike>();
  for (const run of runs) {
    const known = byId.get(Number(run.id));
    if (!known || known.status !== "completed") byId.set(Number(run.id), run);
  }
  return [...byId.values()];
}
