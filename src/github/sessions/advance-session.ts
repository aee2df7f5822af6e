import type { SessionEvent } from "../../core/session-machine.js";
import type { TaskGraph } from "../../core/task-graph.js";
import { isTransient, type GitHubClient } from "../github-client.js";
import type { AppConfig } from "./app-config.js";
import { loadSession, loadSessionGraph, type LoadedSession } from "./load-session.js";
import { markSessionActive, markSessionEnded } from "./orchestrator-refs.js";
import { renderSummaryCheck, saveSession } from "./save-session.js";
import type { SessionRecord } from "./session-record.js";
import { SessionPass } from "./session-pass.js";
import type { SessionRuntime } from "./session-runtime.js";
import { buildSessionStatus, type SessionStatus } from "./session-status.js";
import { syncStatusComment } from "./status-comment.js";
import { syncSubIssueStates } from "./sub-issue-states.js";
import { refreshIssueGraph } from "./refresh-issue-graph.js";
import type { MergedPull } from "./restack-dependents.js";
import { carryOutRestacks, takeInMerges } from "./restack-pass.js";
import { sweepRuns } from "./sweep-runs.js";
import { projectTaskChecks } from "./task-checks.js";
import type { WorkflowRunLike } from "./workflow-run.js";

/**
 * The one level-triggered use-case: look at a session again and close the gap between its graph
 * and what is observed. Every trigger ends here — a workflow run event, a command, a sweep —
 * and whatever the order or number of calls, the same observations lead to the same actions.
 *
 * One pass: load the record (1 read) → tell the session machine what happened (a command, the
 * runs seen) → advance it, carrying out its starts and stops (session-pass.ts) → write task check
 * runs → status comment → save the record (one write, none if nothing changed). Callers
 * serialize passes per session (session-queue.ts).
 */

export type SessionCommand =
  | { kind: "retry"; tasks: readonly string[] | "failed" }
  | { kind: "cancel" }
  /** A planner session's proposal was made into these sub-issues (task id → issue number). */
  | { kind: "plan_approved"; created: Record<string, number> }
  /** "Allow & retry": the tools the task's needs-input attempt was refused, allowed for it. */
  | { kind: "allow"; taskId: string }
  /** The answer to a needs-input task's question, for its next attempt. */
  | { kind: "answer"; taskId: string; text: string };

/** A review follow-up on a task's pull request (sessions/revise-task.ts). */
export interface ReviseCommand {
  id: string;
  feedback: string;
  pullNumber: number;
  headRef: string;
  reviewer?: string | undefined;
}

export interface AdvanceInput {
  /** Workflow runs to take into account (from webhooks or a sweep); others' runs are ignored. */
  runs?: readonly WorkflowRunLike[];
  command?: SessionCommand;
  revise?: ReviseCommand;
  /** Look up the runs of running tasks on GitHub (missed events), and fail those that never started. */
  sweep?: boolean;
  /** Rewrite the status comment now even if only progress changed. */
  refreshComment?: boolean;
  /** Read an issue session's sub-issue graph again (its links changed); the sweep does too. */
  rereadGraph?: boolean;
  /** Pull requests of tasks that were merged: the machine is told, their dependents restacked. */
  merged?: readonly MergedPull[];
}

export interface AdvanceResult {
  status: SessionStatus;
  /** Tasks a retry command (or an answer, or allowed tools) put back to pending. */
  retried: string[];
  /** What a revise command did: the attempt that will run, or why none will. */
  revise?: { refused: string } | { attempt: number };
  /** Problems that did not stop the pass (a check run that could not be written, ...). */
  warnings: string[];
  /** Whether the session had ended before this pass. */
  wasEnded: boolean;
  /** Workflow dispatches this pass sent (for logs and tests). */
  dispatched: Array<{ taskId: string; attempt: number; runId?: number }>;
}

/** Runs kept per session for its next pass, at most. */
const MAX_CARRIED_RUNS = 500;

/**
 * One pass, run again (up to `config.passRetries`) when GitHub failed it for a passing reason (a
 * 5xx or rate limit past the client's own retries) — at its first read or later: a pass is
 * level-triggered, and a try goes on from the record the one before it changed (`runtime.unsaved`),
 * so what it dispatched is not dispatched again. The runs it was given (webhooks batched into it)
 * are never dropped: when every try failed they are carried to the session's next pass
 * (`runtime.carriedRuns`: the next webhook, command or sweep), and the error is thrown (logged by
 * the webhook's background work).
 */
export async function advanceSession(args: {
  client: GitHubClient;
  sessionId: string;
  input: AdvanceInput;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<AdvanceResult | null> {
  const { config, runtime, sessionId } = args;
  const carried = runtime.carriedRuns.get(sessionId) ?? [];
  runtime.carriedRuns.delete(sessionId);
  const runs = [...carried, ...(args.input.runs ?? [])];
  const input: AdvanceInput = { ...args.input, ...(runs.length > 0 ? { runs } : {}) };
  const { attempts, delayMs } = config.passRetries;
  for (let attempt = 1; ; attempt++) {
    try {
      return await advanceOnce({ ...args, input });
    } catch (error) {
      if (!isTransient(error) || attempt >= Math.max(1, attempts)) {
        if (runs.length > 0) {
          // Bounded: a session that fails pass after pass still has the sweep, which reads its runs.
          // (Nothing else was carried meanwhile: the per-session queue runs one pass at a time.)
          runtime.carriedRuns.set(sessionId, runs.slice(-MAX_CARRIED_RUNS));
        }
        throw error;
      }
      await config.sleep(delayMs * 2 ** (attempt - 1));
    }
  }
}

/**
 * How long a record may stay unsaved while wake-ups keep arriving: past it, a pass saves even
 * with another waiting, so a stream of events cannot keep the record off GitHub.
 */
const MAX_UNSAVED_MS = 10_000;

async function advanceOnce(args: {
  client: GitHubClient;
  sessionId: string;
  input: AdvanceInput;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<AdvanceResult | null> {
  const { client, config, runtime } = args;
  const now = config.now();
  // A record this process changed and has not saved is newer than GitHub's: go on from it.
  const carried = runtime.unsaved.get(args.sessionId);
  const session = carried?.session ?? (await loadSession({ client, sessionId: args.sessionId, config }));
  if (!session) return null;
  const { record, repo, sessionId } = session;
  const result: AdvanceResult = {
    status: null as unknown as SessionStatus,
    retried: [],
    warnings: [],
    wasEnded: record.outcome !== undefined || record.error !== undefined,
    dispatched: [],
  };
  const checkRunUrl = session.checkRun.htmlUrl;
  if (record.error) {
    result.status = buildSessionStatus({ sessionId, repo, record, graph: null, checkRunUrl });
    return result;
  }
  const graphWarnings: string[] = [];
  if ((args.input.rereadGraph === true || args.input.sweep === true) && record.issueGraph)
    await refreshIssueGraph({ client, session, warnings: graphWarnings, appId: config.appId });
  const graph = await loadSessionGraph({ client, session, runtime });
  // From here on the record may change: kept until saved, whatever happens to this pass.
  const unsaved = carried ?? { session, finished: [], since: now.getTime() };
  runtime.unsaved.set(args.sessionId, unsaved);
  const pass = new SessionPass({ client, session, graph, config, runtime, now, finished: unsaved.finished });

  // What can start a task goes first: the dispatches are this pass's first writes.
  const { command } = args.input;
  if (args.input.revise !== undefined) result.revise = await pass.revise(args.input.revise);
  if (command?.kind === "plan_approved") {
    // Not the machine's: what approval made is the planner session's own fact, for its comment.
    if (record.planner) record.planner.created = { ...record.planner.created, ...command.created };
  } else if (command) await pass.apply(commandEvent(command, record));
  // Runs are looked at even after the end: one still going that the session will not use is stopped.
  const runs = [...(args.input.runs ?? [])];
  if (args.input.sweep && record.outcome === undefined) {
    runs.push(...(await sweepRuns({ client, session, graph, warnings: pass.warnings })));
  }
  const finishedBefore = unsaved.finished.length;
  await pass.observeRuns(runs);
  if (record.outcome === undefined) await pass.settleDispatches();
  const mergeRestacks = await takeInMerges({ pass, session, graph, merged: args.input.merged });
  if (record.outcome === undefined) {
    if (args.input.sweep) await pass.failNeverStarted(runs);
    await pass.advance();
  }
  await carryOutRestacks({
    client,
    session,
    graph,
    config,
    runtime,
    now,
    pass,
    runs,
    asks: mergeRestacks,
    sweep: args.input.sweep === true,
    finished: unsaved.finished.slice(finishedBefore),
    summaryUrl: checkRunUrl,
  });
  result.retried = pass.retried;
  result.dispatched = pass.dispatched;
  result.warnings.push(...graphWarnings, ...pass.warnings);

  // Then the bookkeeping, which a wake-up waiting behind this pass may take over: its own
  // dispatches then go out before these writes, and one save covers both passes.
  // (Not a `status` command: it asked for the comment now.)
  const handOver = (): boolean =>
    args.input.refreshComment !== true &&
    runtime.pendingWakes.has(args.sessionId) &&
    now.getTime() - unsaved.since < MAX_UNSAVED_MS;
  const checks = await projectTaskChecks({
    client,
    repo,
    sessionId,
    record,
    graph,
    summaryUrl: checkRunUrl,
    now,
    finished: unsaved.finished,
    stop: handOver,
  });
  result.warnings.push(...checks.warnings);
  pruneRecord(record);
  const subIssues = await syncSubIssueStates({ client, repo, sessionId, record, graph, stop: handOver });
  result.warnings.push(...subIssues.warnings);
  if (!handOver()) {
    const comment = await syncStatusComment({
      client,
      repo,
      sessionId,
      record,
      graph,
      checkRunUrl,
      config,
      now,
      force: args.input.refreshComment === true,
    });
    if (comment.warning) result.warnings.push(comment.warning);
  }
  if (!handOver()) {
    await saveAndIndex({ client, session, graph, now, warnings: result.warnings });
    runtime.unsaved.delete(args.sessionId);
  }
  result.status = buildSessionStatus({ sessionId, repo, record, graph, checkRunUrl });
  return result;
}

/**
 * Saves the record (no write when nothing changed) and keeps the active-session index in step
 * with what was saved: a session that ended leaves it, one a retry reopened comes back.
 */
async function saveAndIndex(args: {
  client: GitHubClient;
  session: LoadedSession;
  graph: TaskGraph;
  now: Date;
  warnings: string[];
}): Promise<void> {
  const { client, session } = args;
  const { record, sessionId } = session;
  const endedBefore = session.checkRun.status === "completed";
  await saveSession({
    client,
    session,
    content: renderSummaryCheck({
      sessionId,
      record,
      graph: args.graph,
      checkRunUrl: session.checkRun.htmlUrl,
    }),
    now: args.now,
  });
  const ended = session.checkRun.status === "completed";
  if (ended === endedBefore) return;
  const target = { client, repo: session.repo, checkRunId: session.ref.checkRunId };
  const warning = ended
    ? await markSessionEnded(target)
    : await markSessionActive({ ...target, sha: record.sha });
  if (warning) args.warnings.push(warning);
}

/** Tasks that never started need no entries (a missing entry means exactly that). */
function pruneRecord(record: SessionRecord): void {
  for (const [id, task] of Object.entries(record.tasks)) {
    if (task.status === "pending" && task.attempts === 0 && task.costUsd === undefined)
      delete record.tasks[id];
  }
  for (const [id, facts] of Object.entries(record.runs)) {
    if (Object.keys(facts).length === 0) delete record.runs[id];
  }
}

/** The machine event of a command; "Allow & retry" allows what the task's last attempt was refused. */
function commandEvent(
  command: Exclude<SessionCommand, { kind: "plan_approved" }>,
  record: SessionRecord,
): SessionEvent {
  switch (command.kind) {
    case "cancel":
      return { type: "cancel" };
    case "retry":
      return { type: "retry", tasks: command.tasks };
    case "allow":
      return {
        type: "allow_and_retry",
        id: command.taskId,
        tools: record.runs[command.taskId]?.refusedTools ?? [],
      };
    case "answer":
      return { type: "answer", id: command.taskId, text: command.text };
  }
}
