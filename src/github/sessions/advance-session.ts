import { formatRunName } from "../../core/dispatch-inputs.js";
import { reconcile, type TaskObservation, type WaitAction } from "../../core/reconcile.js";
import {
  applyDecision,
  recordAttemptResult,
  recordMerged,
  retryTasks,
  type MutableObservations,
} from "../../core/session-state.js";
import type { TaskGraph } from "../../core/task-graph.js";
import { describeApiError, httpStatus, type GitHubClient } from "../github-client.js";
import type { AppConfig } from "./app-config.js";
import { dispatchTask, listDispatchRuns } from "./dispatch-task.js";
import { loadSession, loadSessionGraph, type LoadedSession } from "./load-session.js";
import { readRunResult } from "./read-run-result.js";
import { renderSummaryCheck, saveSession } from "./save-session.js";
import type { SessionRecord, TaskRecord } from "./session-record.js";
import type { SessionRuntime } from "./session-runtime.js";
import { buildSessionStatus, sessionLimits, type SessionStatus } from "./session-status.js";
import { activeRefName } from "./active-sessions.js";
import { syncStatusComment } from "./status-comment.js";
import { projectTaskChecks } from "./task-checks.js";
import { taskRunRequest } from "./task-run-request.js";
import { runKeyFromWorkflowRun, type WorkflowRunLike } from "./workflow-run.js";

/**
 * The one level-triggered use-case: look at a session again and close the gap between its graph
 * and what is observed. Every trigger ends here — a workflow run event, a command, a sweep —
 * and whatever the order or number of calls, the same observations lead to the same actions.
 *
 * One pass: load the record (1 read) → apply what the input says happened → reconcile → carry
 * out skips, cancels and starts → write task check runs → status comment → save the record (one
 * write, none if nothing changed). Callers serialize passes per session (session-queue.ts).
 */

export type SessionCommand = { kind: "retry"; tasks: readonly string[] | "failed" } | { kind: "cancel" };

export interface AdvanceInput {
  /** Workflow runs to take into account (from webhooks or a sweep); others' runs are ignored. */
  runs?: readonly WorkflowRunLike[];
  command?: SessionCommand;
  /** Look up the runs of running tasks on GitHub (missed events), and fail those that never started. */
  sweep?: boolean;
  /** Rewrite the status comment now even if only progress changed. */
  refreshComment?: boolean;
}

export interface AdvanceResult {
  status: SessionStatus;
  /** Tasks a retry command put back to pending. */
  retried: string[];
  /** Problems that did not stop the pass (a check run that could not be written, ...). */
  warnings: string[];
  /** Whether the session had ended before this pass. */
  wasEnded: boolean;
  /** Workflow dispatches this pass sent (for logs and tests). */
  dispatched: Array<{ taskId: string; attempt: number; runId?: number }>;
}

export async function advanceSession(args: {
  client: GitHubClient;
  sessionId: string;
  input: AdvanceInput;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<AdvanceResult | null> {
  const { client, config } = args;
  const session = await loadSession({ client, sessionId: args.sessionId, config });
  if (!session) return null;
  const { record, repo } = session;
  const result: AdvanceResult = {
    status: null as unknown as SessionStatus,
    retried: [],
    warnings: [],
    wasEnded: record.outcome !== undefined || record.error !== undefined,
    dispatched: [],
  };
  const checkRunUrl = session.checkRun.htmlUrl;
  if (record.error) {
    result.status = buildSessionStatus({
      sessionId: session.sessionId,
      repo,
      record,
      graph: null,
      checkRunUrl,
    });
    return result;
  }
  const graph = await loadSessionGraph({ client, session, runtime: args.runtime });
  const now = config.now();
  const pass = new Pass({ client, session, graph, config, runtime: args.runtime, now, result });
  const wasEnded = result.wasEnded;

  if (args.input.command) pass.applyCommand(args.input.command);
  if (record.outcome === undefined) {
    const runs = [...(args.input.runs ?? [])];
    if (args.input.sweep) runs.push(...(await pass.sweepRuns()));
    await pass.applyRuns(runs);
    if (args.input.sweep) pass.failNeverStarted(runs);
    await pass.reconcileAndAct();
  }

  const checks = await projectTaskChecks({
    client,
    repo,
    sessionId: session.sessionId,
    record,
    graph,
    summaryUrl: checkRunUrl,
    now,
    finished: pass.finished,
  });
  result.warnings.push(...checks.warnings);
  pruneRecord(record);
  const comment = await syncStatusComment({
    client,
    repo,
    sessionId: session.sessionId,
    record,
    graph,
    checkRunUrl,
    config,
    now,
    force: args.input.refreshComment === true,
  });
  if (comment.warning) result.warnings.push(comment.warning);
  await saveSession({
    client,
    session,
    content: renderSummaryCheck({ sessionId: session.sessionId, record, graph, checkRunUrl }),
    now,
  });
  const ended = record.outcome !== undefined;
  if (ended !== wasEnded) await pass.updateActiveRef(ended);
  result.status = buildSessionStatus({ sessionId: session.sessionId, repo, record, graph, checkRunUrl });
  return result;
}

/** Fields of a task entry that belong to one attempt (cleared when a new one starts). */
const PER_ATTEMPT: ReadonlyArray<keyof TaskRecord> = [
  "runId",
  "runUrl",
  "runConclusion",
  "prNumber",
  "prUrl",
  "turns",
  "durationMs",
  "startedAt",
  "endedAt",
  "note",
];

class Pass {
  private readonly record: SessionRecord;
  /** Attempt outcomes in the order they were recorded (see projectTaskChecks). */
  readonly finished: Array<{ id: string; entry: TaskRecord }> = [];

  constructor(
    private readonly ctx: {
      client: GitHubClient;
      session: LoadedSession;
      graph: TaskGraph;
      config: AppConfig;
      runtime: SessionRuntime;
      now: Date;
      result: AdvanceResult;
    },
  ) {
    this.record = ctx.session.record;
  }

  private get tasks(): Record<string, TaskRecord> {
    return this.record.tasks;
  }

  /** Takes the core's next observations, keeping per-attempt details where the attempt is the same. */
  private adopt(next: MutableObservations): void {
    for (const [id, observation] of Object.entries(next)) {
      this.tasks[id] = merge(this.tasks[id], observation);
    }
  }

  applyCommand(command: SessionCommand): void {
    if (command.kind === "cancel") {
      if (this.record.outcome === undefined) this.record.cancelRequested = true;
      return;
    }
    const { tasks, retried } = retryTasks(this.ctx.graph, this.tasks, command.tasks);
    this.ctx.result.retried = retried;
    if (retried.length === 0) return;
    this.adopt(tasks);
    // A retry reopens an ended or cancelled session.
    this.record.cancelRequested = false;
    delete this.record.outcome;
  }

  async applyRuns(runs: readonly WorkflowRunLike[]): Promise<void> {
    const { session, graph, client } = this.ctx;
    for (const run of latestPerRun(runs)) {
      const key = runKeyFromWorkflowRun(run);
      if (!key || key.sessionId !== session.sessionId) continue;
      const task = graph.byId.get(key.taskId);
      if (!task) continue;
      let entry = this.tasks[key.taskId];
      // The run proves attempt N was dispatched even if the record lost it (a crash before the
      // save, or another process's save overwriting ours): take it up as running.
      if ((entry === undefined || entry.status === "pending") && (entry?.attempts ?? 0) < key.attempt) {
        entry = { ...(entry?.check ? { check: entry.check } : {}), status: "running", attempts: key.attempt };
        if (this.record.cancelRequested) entry.status = "cancelled";
        entry.startedAt = run.created_at ?? this.ctx.now.toISOString();
        this.tasks[key.taskId] = entry;
      }
      if (!entry || entry.attempts !== key.attempt) continue;
      if (entry.status === "running" || (entry.status === "cancelled" && entry.startedAt !== undefined)) {
        if (entry.runId === undefined) {
          entry.runId = Number(run.id);
          if (run.html_url) entry.runUrl = run.html_url;
          delete entry.note;
        }
      }
      if (run.status !== "completed") {
        // A run we learn about only now, of a task cancelled meanwhile: stop it.
        if (entry.status === "cancelled") await this.cancelRun(Number(run.id));
        continue;
      }
      if (entry.status !== "running") {
        if (entry.status === "cancelled" && entry.endedAt === undefined)
          entry.endedAt = run.updated_at ?? this.ctx.now.toISOString();
        continue;
      }
      const outcome = await readRunResult({
        client,
        repo: session.repo,
        run,
        key,
        branch: task.branch,
        allowNoChanges: task.allowNoChanges,
        timeoutMinutes: task.timeoutMinutes,
      });
      const attemptResult: {
        id: string;
        attempt: number;
        succeeded: boolean;
        reason?: string;
        costUsd?: number;
      } = {
        id: key.taskId,
        attempt: key.attempt,
        succeeded: outcome.succeeded,
      };
      if (outcome.reason !== undefined) attemptResult.reason = outcome.reason;
      if (outcome.costUsd !== undefined) attemptResult.costUsd = outcome.costUsd;
      this.adopt(recordAttemptResult(this.tasks, attemptResult));
      const updated = this.tasks[key.taskId] as TaskRecord;
      updated.runConclusion = outcome.runConclusion;
      updated.endedAt = run.updated_at ?? this.ctx.now.toISOString();
      delete updated.note;
      if (outcome.prNumber !== undefined) updated.prNumber = outcome.prNumber;
      if (outcome.prUrl !== undefined) updated.prUrl = outcome.prUrl;
      if (outcome.turns !== undefined) updated.turns = outcome.turns;
      if (outcome.durationMs !== undefined) updated.durationMs = outcome.durationMs;
      this.finished.push({ id: key.taskId, entry: { ...updated } });
    }
  }

  /** For a sweep: the current state of the runs of running tasks (missed `completed` events). */
  async sweepRuns(): Promise<WorkflowRunLike[]> {
    const { client, session } = this.ctx;
    const found: WorkflowRunLike[] = [];
    const unknown: string[] = [];
    for (const id of this.ctx.graph.order) {
      const entry = this.tasks[id];
      if (entry?.status !== "running") continue;
      if (entry.runId === undefined) {
        unknown.push(id);
        continue;
      }
      try {
        const { data } = await client.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", {
          ...session.repo,
          run_id: entry.runId,
        });
        found.push(data);
      } catch (error) {
        if (httpStatus(error) === 404) {
          // The run was deleted: its attempt can never report.
          found.push({
            id: entry.runId,
            display_title: formatRunName({
              sessionId: session.sessionId,
              taskId: id,
              attempt: entry.attempts,
            }),
            status: "completed",
            conclusion: "deleted",
          });
        } else this.ctx.result.warnings.push(`could not read run ${entry.runId}: ${describeApiError(error)}`);
      }
    }
    if (unknown.length > 0) {
      try {
        const runs = await listDispatchRuns({
          client,
          repo: session.repo,
          workflowFile: this.record.workflowFile,
          dispatchRef: this.record.dispatchRef,
        });
        const wanted = new Set(
          unknown.map((id) =>
            formatRunName({
              sessionId: session.sessionId,
              taskId: id,
              attempt: this.tasks[id]?.attempts ?? 0,
            }),
          ),
        );
        found.push(...runs.filter((run) => wanted.has(run.display_title ?? "")));
      } catch (error) {
        this.ctx.result.warnings.push(`could not list the task workflow's runs: ${describeApiError(error)}`);
      }
    }
    return found;
  }

  /** Running tasks whose run has not appeared long after dispatch fail, so the session can go on. */
  failNeverStarted(seen: readonly WorkflowRunLike[]): void {
    const limit = this.ctx.config.runNeverStartedAfterMs;
    const seenKeys = new Set(seen.map((run) => run.display_title ?? ""));
    for (const id of this.ctx.graph.order) {
      const entry = this.tasks[id];
      if (entry?.status !== "running" || entry.runId !== undefined) continue;
      if (
        seenKeys.has(
          formatRunName({ sessionId: this.ctx.session.sessionId, taskId: id, attempt: entry.attempts }),
        )
      ) {
        continue;
      }
      const started = Date.parse(entry.startedAt ?? "");
      if (Number.isNaN(started) || this.ctx.now.getTime() - started < limit) continue;
      const minutes = Math.round(limit / 60_000);
      this.adopt(
        recordAttemptResult(this.tasks, {
          id,
          attempt: entry.attempts,
          succeeded: false,
          reason:
            `the workflow run of attempt ${entry.attempts} never appeared (${minutes} minutes after dispatch)` +
            (entry.note ? `; ${entry.note}` : "") +
            `; check the task workflow and the Actions settings, then retry`,
        }),
      );
      (this.tasks[id] as TaskRecord).endedAt = this.ctx.now.toISOString();
      this.finished.push({ id, entry: { ...(this.tasks[id] as TaskRecord) } });
    }
  }

  /** Decide, act, and decide again while acting changed the picture (a refused dispatch). */
  async reconcileAndAct(): Promise<void> {
    const { graph, config } = this.ctx;
    const limits = sessionLimits(this.record, graph);
    const tried = new Set<string>();
    let mergesChecked = false;
    for (let round = 0; round < 5; round++) {
      const decision = reconcile({
        graph,
        tasks: this.tasks,
        limits,
        cancelRequested: this.record.cancelRequested,
      });
      // Tasks with `base: "merged"` wait for their dependencies' pull requests: look once per pass.
      if (decision.waiting.length > 0 && !mergesChecked) {
        mergesChecked = true;
        if (await this.observeMerges(decision.waiting)) continue;
      }
      // A task whose claim could not be made this pass waits for the next one.
      decision.start = decision.start.filter((start) => !tried.has(`${start.id}#${start.attempt}`));
      const previous = new Map(decision.start.map((start) => [start.id, this.tasks[start.id]]));
      this.adopt(applyDecision(this.tasks, decision));
      const nowIso = this.ctx.now.toISOString();
      for (const cancel of decision.cancel) {
        const entry = this.tasks[cancel.id] as TaskRecord;
        if (cancel.wasRunning && entry.runId !== undefined) await this.cancelRun(entry.runId);
        if (!cancel.wasRunning) {
          for (const field of PER_ATTEMPT) delete entry[field];
        }
      }
      let changed = false;
      for (const start of decision.start) {
        tried.add(`${start.id}#${start.attempt}`);
        const entry = this.tasks[start.id] as TaskRecord;
        entry.startedAt = nowIso;
        const outcome = await dispatchTask({
          client: this.ctx.client,
          repo: this.ctx.session.repo,
          checkRunId: this.ctx.session.ref.checkRunId,
          sha: this.record.sha,
          dispatchRef: this.record.dispatchRef,
          workflowFile: this.record.workflowFile,
          request: taskRunRequest({
            graph,
            taskId: start.id,
            attempt: start.attempt,
            sessionId: this.ctx.session.sessionId,
            sha: this.record.sha,
            baseBranch: this.record.baseBranch,
            tasksFile: this.record.inlineTasks ? undefined : this.record.file,
          }),
          config,
          runtime: this.ctx.runtime,
        });
        switch (outcome.kind) {
          case "dispatched":
            if (outcome.runId !== undefined) entry.runId = outcome.runId;
            if (outcome.runUrl !== undefined) entry.runUrl = outcome.runUrl;
            this.ctx.result.dispatched.push({
              taskId: start.id,
              attempt: start.attempt,
              ...(outcome.runId !== undefined ? { runId: outcome.runId } : {}),
            });
            break;
          case "claimed-elsewhere":
            break;
          case "uncertain":
            entry.note = outcome.note;
            break;
          case "rejected":
            this.adopt(
              recordAttemptResult(this.tasks, {
                id: start.id,
                attempt: start.attempt,
                succeeded: false,
                reason: outcome.reason,
              }),
            );
            (this.tasks[start.id] as TaskRecord).endedAt = nowIso;
            this.finished.push({ id: start.id, entry: { ...(this.tasks[start.id] as TaskRecord) } });
            changed = true;
            break;
          case "not-claimed": {
            const before = previous.get(start.id);
            if (before) this.tasks[start.id] = before;
            else delete this.tasks[start.id];
            this.ctx.result.warnings.push(`task "${start.id}" was not started: ${outcome.reason}`);
            break;
          }
        }
      }
      if (!changed) {
        const after = reconcile({
          graph,
          tasks: this.tasks,
          limits,
          cancelRequested: this.record.cancelRequested,
        });
        if (decision.finished && after.finished) {
          this.record.outcome = { ...pickOutcome(after.finished), at: nowIso };
        }
        return;
      }
    }
  }

  /**
   * Reads the pull requests of the dependencies waiting tasks need merged. Returns whether any
   * was merged since the last look; waiting tasks get a note saying what they wait for.
   */
  private async observeMerges(waiting: readonly WaitAction[]): Promise<boolean> {
    const { client, session } = this.ctx;
    const unmerged = [...new Set(waiting.flatMap((wait) => wait.unmerged))];
    let changed = false;
    for (const id of unmerged) {
      const prNumber = this.tasks[id]?.prNumber;
      if (prNumber === undefined) continue;
      try {
        const { data } = await client.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
          ...session.repo,
          pull_number: prNumber,
        });
        if (data.merged) {
          this.adopt(recordMerged(this.tasks, id));
          changed = true;
        }
      } catch (error) {
        this.ctx.result.warnings.push(`could not read pull request #${prNumber}: ${describeApiError(error)}`);
      }
    }
    for (const wait of waiting) {
      const entry = (this.tasks[wait.id] ??= { status: "pending", attempts: 0 });
      const still = wait.unmerged.filter((dep) => this.tasks[dep]?.merged !== true);
      if (still.length > 0) {
        entry.note = `waiting for the pull request${still.length > 1 ? "s" : ""} of ${still.join(", ")} to be merged`;
      } else delete entry.note;
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
      if (httpStatus(error) !== 409) {
        this.ctx.result.warnings.push(`could not cancel run ${runId}: ${describeApiError(error)}`);
      }
    }
  }

  async updateActiveRef(ended: boolean): Promise<void> {
    const { client, session } = this.ctx;
    const ref = activeRefName(session.ref.checkRunId);
    try {
      if (ended) {
        await client.request("DELETE /repos/{owner}/{repo}/git/refs/{ref}", {
          ...session.repo,
          ref: ref.replace(/^refs\//, ""),
        });
      } else {
        await client.request("POST /repos/{owner}/{repo}/git/refs", {
          ...session.repo,
          ref,
          sha: this.record.sha,
        });
      }
    } catch (error) {
      const status = httpStatus(error);
      // Already gone / already there: the index is as it should be.
      if (status === 404 || status === 422) return;
      this.ctx.result.warnings.push(`could not update the active-session index: ${describeApiError(error)}`);
    }
  }
}

function pickOutcome(finished: { conclusion: "success" | "failure" | "cancelled"; summary: string }): {
  conclusion: "success" | "failure" | "cancelled";
  summary: string;
} {
  return { conclusion: finished.conclusion, summary: finished.summary };
}

function merge(previous: TaskRecord | undefined, observation: TaskObservation): TaskRecord {
  const next: TaskRecord = { ...(previous ?? { status: "pending", attempts: 0 }) };
  const freshAttempt =
    observation.status === "pending" ||
    (observation.status === "running" &&
      (previous?.status !== "running" || previous.attempts !== observation.attempts));
  if (freshAttempt) for (const field of PER_ATTEMPT) delete next[field];
  next.status = observation.status;
  next.attempts = observation.attempts;
  if (observation.reason !== undefined) next.reason = observation.reason;
  else delete next.reason;
  if (observation.costUsd !== undefined) next.costUsd = observation.costUsd;
  else delete next.costUsd;
  if (observation.merged === true) next.merged = true;
  else delete next.merged;
  return next;
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

/** Pending tasks that never started need no entry (a missing entry means exactly that). */
function pruneRecord(record: SessionRecord): void {
  for (const [id, entry] of Object.entries(record.tasks)) {
    if (
      entry.status === "pending" &&
      entry.attempts === 0 &&
      entry.costUsd === undefined &&
      entry.note === undefined &&
      !entry.check
    ) {
      delete record.tasks[id];
    }
  }
}
