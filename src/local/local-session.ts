import { mkdir, readdir } from "node:fs/promises";
import {
  step,
  type SessionAction,
  type SessionEvent as MachineEvent,
  type SessionMachine,
} from "../core/session-machine.js";
import { storeSessionState } from "../core/session-state.js";
import type { TaskGraph } from "../core/task-graph.js";
import { allSettledOrThrow } from "../runner/all-settled-or-throw.js";
import { gitValue } from "../runner/git.js";
import { runTask, type TaskRunResult } from "../runner/run-task.js";
import { attemptCapUsd } from "../core/attempt-budget.js";
import { attemptPrompt } from "../core/attempt-prompt.js";
import { limitResumeAt } from "../core/task-attention.js";
import {
  clockTime,
  DEFAULT_MAX_LIMIT_WAIT_MS,
  keepAttentionFacts,
  nextResume,
  sleepUntil,
} from "./limit-wait.js";
import { isTaskFailure } from "../runner/task-failure.js";
import { addWorktree, removeWorktree } from "../runner/worktree.js";
import { hasUncommittedWork, isMergedInto } from "./base-branch-checks.js";
import type { LocalPaths } from "./local-paths.js";
import type { LocalSessionOptions, LocalSessionResult } from "./run-local-session.js";
import type { SessionEvent } from "./session-events.js";
import { keptCommits, settleInterruptedAttempt } from "./settle-interrupted.js";
import { PER_ATTEMPT_RUN_FACTS, writeStateFile, type LocalSessionState } from "./state-file.js";
import { stopOrphanAgents } from "./stop-orphan-agents.js";
import { WorktreeOps } from "./worktree-ops.js";

/**
 * One run of a local session: the adapter between this machine and the session machine. It
 * tells the machine what happened (an agent finished or was interrupted, a branch was merged),
 * stores the new state, writes the state file after every transition, and carries out the
 * machine's actions (start an agent in its worktree, report a skip, stop to wait for merges).
 */

interface Finished {
  id: string;
  attempt: number;
  result: TaskRunResult;
}

export class LocalSession {
  private readonly graph: TaskGraph;
  private readonly machine: SessionMachine;
  private readonly paths: LocalPaths;
  private readonly state: LocalSessionState;
  private readonly inFlight = new Map<string, Promise<Finished>>();
  private readonly stop = new AbortController();
  /** Removes wait while a task is starting: its agent waits for its add, a removal for nobody. */
  private readonly worktreeOps = new WorktreeOps();
  /** Succeeded tasks whose worktrees are removed once their dependents have been started. */
  private readonly toRemove: string[] = [];
  private readonly removals: Array<Promise<unknown>> = [];
  /** State writes, one after another: the last one written is the newest state. */
  private writing: Promise<unknown> = Promise.resolve();
  /** Told once the session has started (what recovery found). */
  private readonly recoveryNotices: string[] = [];
  /** A revised task's branch tip before its revise: what its dependents were built on. */
  private readonly revisedFrom = new Map<string, string>();

  constructor(
    private readonly args: {
      options: LocalSessionOptions;
      state: LocalSessionState;
      paths: LocalPaths;
      author: { name: string; email: string };
    },
  ) {
    this.graph = args.options.graph;
    this.machine = {
      graph: this.graph,
      limits: { maxParallel: args.state.maxParallel, budgetUsd: this.graph.budgetUsd },
    };
    this.paths = args.paths;
    this.state = args.state;
  }

  /**
   * Clears what an earlier run left: agents still running in our worktrees (an executor killed
   * with -9 cannot stop them) and worktrees nobody will use again. A failed task's worktree is
   * kept on resume (the summary pointed the user to it); a fresh session starts clean. On resume,
   * the attempts recorded as running are settled first, once their agents are stopped and before
   * their worktrees go: finished ones from their commit, the rest with their work kept.
   */
  private async recover(resuming: boolean): Promise<void> {
    const stopped = await stopOrphanAgents({ worktreesDir: this.paths.worktreesDir });
    if (stopped.length > 0) {
      this.recoveryNotices.push(
        `Stopped ${stopped.length} agent process group(s) left running by an earlier run.`,
      );
    }
    if (resuming) {
      for (const [id, task] of Object.entries(this.state.tasks)) {
        if (task.status === "running" && this.graph.byId.has(id)) {
          this.recoveryNotices.push(...(await this.settleInterrupted(id, task.attempts)));
        }
      }
    }
    const names = await readdir(this.paths.worktreesDir).catch(() => [] as string[]);
    for (const id of names) {
      const keep = resuming && this.state.runs[id]?.keptWorktree !== undefined;
      if (!keep) await removeWorktree({ repoDir: this.paths.repoRoot, path: this.paths.worktree(id) });
    }
    if (!resuming) {
      for (const id of Object.keys(this.state.runs)) delete this.state.runs[id]?.keptWorktree;
    }
  }

  /**
   * Recovers from an earlier run, applies the events that continue it (a resume, a retry), then
   * runs the graph until it is finished, stopped or waiting.
   */
  async run(start: {
    resumed: boolean;
    events: MachineEvent[];
    changed?: string[];
  }): Promise<LocalSessionResult> {
    const { options } = this.args;
    const onAbort = () => {
      this.stop.abort();
      if (this.inFlight.size > 0) {
        this.report({
          type: "stopping",
          reason: "stopping the agents and saving the state (Ctrl-C again forces exit)",
        });
      }
    };
    if (options.signal?.aborted) this.stop.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      // The checkout is looked at while leftovers are cleared; the notice comes after the start.
      const [uncommitted] = await allSettledOrThrow([
        hasUncommittedWork(this.paths.repoRoot, this.state.baseBranch),
        this.recover(start.resumed),
      ]);
      await mkdir(this.paths.logsDir, { recursive: true });
      for (const event of start.events) this.step(event);
      await this.save({ type: "session_started", resumed: start.resumed });
      for (const message of this.recoveryNotices.splice(0)) this.notice(message);
      if (start.changed !== undefined && start.changed.length > 0) {
        this.notice(`Changed since the last run, and run as now written: ${start.changed.join(", ")}.`);
      }
      if (uncommitted) {
        this.notice(
          `Your checkout has uncommitted changes; tasks start from the last commit of ${this.state.baseBranch}, without them.`,
        );
      }
      for (;;) {
        if (!this.stop.signal.aborted) {
          await this.observeMerges();
          const actions = this.step({ type: "advance", now: Date.now() });
          const ended = await this.carryOut(actions);
          if (ended) return ended;
        }
        if (this.inFlight.size === 0 && !this.stop.signal.aborted) {
          const waited = await this.waitForLimit();
          if (waited === "resumed") continue;
          if (waited !== null) return waited;
        }
        if (this.inFlight.size === 0) break;
        await this.record(await Promise.race(this.inFlight.values()));
      }
      this.removeFinishedWorktrees();
      await this.worktreesRemoved();
      const reason = "stopped by a signal (Ctrl-C or SIGTERM)";
      this.state.interrupted = { at: new Date().toISOString(), reason };
      await this.save({ type: "session_interrupted", reason });
      return this.result("interrupted", 130);
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Steps the machine and stores its state; forgets the facts of attempts it says no longer apply. */
  private step(event: MachineEvent): SessionAction[] {
    const { state, actions } = step(this.machine, this.state, event);
    storeSessionState(this.state, state);
    for (const action of actions) {
      if (action.type === "revised") {
        const tip = this.state.runs[action.id]?.commitSha;
        if (tip !== undefined) this.revisedFrom.set(action.id, tip);
      }
      if (action.type === "restack") this.restackNotice(action.id, action.onto);
      if (action.type !== "forget" && action.type !== "start") continue;
      const run = this.runRecord(action.id);
      for (const field of PER_ATTEMPT_RUN_FACTS) delete run[field];
    }
    return actions;
  }

  /**
   * Carries out an advance: agents start before the state is written (no start waits for the
   * disk; a crash in between leaves nothing the next run would not clear), then skips and starts
   * are saved in order. Returns the result when the session is over or can only wait.
   */
  private async carryOut(actions: readonly SessionAction[]): Promise<LocalSessionResult | null> {
    const now = new Date().toISOString();
    for (const action of actions) {
      if (action.type !== "start") continue;
      this.runRecord(action.id).startedAt = now;
      this.inFlight.set(action.id, this.runOne(action.id, action.attempt, action.feedback));
    }
    for (const action of actions) {
      if (action.type !== "skipped") continue;
      const run = this.runRecord(action.id);
      delete run.startedAt;
      run.endedAt = now;
      await this.save({ type: "task_skipped", id: action.id, reason: action.reason });
    }
    for (const action of actions) {
      if (action.type === "start")
        await this.save({ type: "task_started", id: action.id, attempt: action.attempt });
    }
    this.removeFinishedWorktrees();
    const finished = actions.find((action) => action.type === "finished");
    if (finished) {
      await this.worktreesRemoved();
      this.state.finishedAt = new Date().toISOString();
      await this.save({ type: "session_finished", outcome: finished.outcome });
      return this.result("finished", finished.outcome.conclusion === "success" ? 0 : 1);
    }
    const waiting = actions.filter((action) => action.type === "waiting");
    if (this.inFlight.size === 0 && waiting.length > 0) return this.waitForMerges(waiting);
    return null;
  }

  /** `feedback`: a revise; the attempt goes on from the task's branch, its commits kept. */
  private async runOne(id: string, attempt: number, feedback: string | undefined): Promise<Finished> {
    const task = this.graph.byId.get(id);
    if (task === undefined) throw new Error(`the session machine started unknown task ${id}`);
    const worktree = this.paths.worktree(id);
    const { options } = this.args;
    const repoDir = this.paths.repoRoot;
    const added = this.worktreeOps.addComing();
    try {
      const result = await runTask({
        cwd: worktree,
        // Made at the commit the task starts from, once that is known to exist.
        newCheckout: {
          repoDir,
          create: async ({ branch, startPoint }) => {
            try {
              await this.worktreeOps.run("add", () =>
                addWorktree({ repoDir, path: worktree, branch, startPoint }),
              );
            } finally {
              added();
            }
          },
        },
        // With a session budget, the attempt's grant is its cap (attempt-budget.ts); what a person
        // gave the task (allowed tools, an answer or a revise's feedback) goes with it.
        task: withInput(withCap(task, attemptCapUsd(task, this.state.tasks[id])), {
          allowedTools: this.state.tasks[id]?.allowedTools,
          feedback,
        }),
        ...(feedback === undefined ? {} : { continueExisting: true }),
        attempt,
        sessionId: this.state.sessionId,
        baseBranch: this.state.baseBranch,
        dependencyBranches: task.dependencies.map((dep) => this.graph.byId.get(dep)?.branch ?? dep),
        knownAttemptCommits: keptCommits(this.runRecord(id)),
        // Once the branch is ready and before the agent runs, its start is written down: after
        // a crash, the commits beyond it are this attempt's work.
        agent: async () => {
          await this.recordBase(id, attempt, worktree);
          return options.agent;
        },
        author: this.args.author,
        logFile: this.paths.log(id),
        signal: this.stop.signal,
        // --reset-existing; runTask adds each task's own reset_existing.
        resetExisting: options.resetExisting,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
      });
      return { id, attempt, result };
    } catch (error) {
      const kind = isTaskFailure(error) ? error.kind : "internal_error";
      const message = error instanceof Error ? error.message : String(error);
      const result: TaskRunResult = {
        taskId: id,
        attempt,
        branch: task.branch,
        ok: false,
        failure: { kind, stage: "prepare", message },
        durationMs: 0,
      };
      return { id, attempt, result };
    } finally {
      added(); // when preparing failed before the add
    }
  }

  /** Tells the machine how an agent's attempt ended, and keeps what the runner learned beside it. */
  private async record(finished: Finished): Promise<void> {
    const { id, attempt, result } = finished;
    this.inFlight.delete(id);
    const costUsd = result.costUsd === undefined ? {} : { costUsd: result.costUsd };

    if (!result.ok && result.failure?.kind === "cancelled" && this.stop.signal.aborted) {
      const run = this.runRecord(id);
      if (run.baseSha === undefined && result.baseSha !== undefined) run.baseSha = result.baseSha;
      const notices = await this.settleInterrupted(id, attempt, result.costUsd);
      run.endedAt = new Date().toISOString();
      await this.save({ type: "task_interrupted", id });
      for (const message of notices) this.notice(message);
      return;
    }

    const run = this.runRecord(id);
    run.endedAt = new Date().toISOString();
    const kind = result.failure?.kind;
    const attention = kind === "needs_input" || kind === "limited" ? kind : undefined;
    const resumeAt =
      kind === "limited" ? limitResumeAt({ now: Date.now(), resetsAt: result.limitResetsAt }) : undefined;
    const actions = this.step({
      type: "attempt_ended",
      id,
      attempt,
      succeeded: result.ok,
      ...(result.failure === undefined ? {} : { reason: result.failure.message }),
      ...costUsd,
      ...(attention === undefined ? {} : { outcome: attention, resumeAt }),
    });
    if (attention !== undefined) {
      keepAttentionFacts(run, result);
      run.failureKind = attention;
      run.keptWorktree = this.paths.worktree(id);
      await this.save(
        resumeAt === undefined
          ? { type: "task_needs_input", id, result }
          : { type: "task_limited", id, result, resumeAt },
      );
      return;
    }
    if (result.ok) {
      // The branch holds the work; the checkout is only needed to look at a failure.
      this.toRemove.push(id);
      if (result.commitSha !== undefined) run.commitSha = result.commitSha;
      if (result.changedFiles !== undefined) run.changedFiles = result.changedFiles.length;
      if (result.commits !== undefined) run.commits = result.commits;
      await this.save({ type: "task_succeeded", id, result });
      return;
    }
    run.failureKind = result.failure?.kind ?? "agent_error";
    run.keptWorktree = this.paths.worktree(id);
    const willRetry = actions.some((action) => action.type === "ended" && action.willRetry);
    await this.save({ type: "task_failed", id, result, willRetry });
  }

  /**
   * Queued after the dependents they unblocked were started, so removing a finished checkout
   * never delays the next task's start (the critical path).
   */
  private removeFinishedWorktrees(): void {
    for (const id of this.toRemove.splice(0)) {
      const path = this.paths.worktree(id);
      this.removals.push(
        this.worktreeOps
          .run("remove", () => removeWorktree({ repoDir: this.paths.repoRoot, path }))
          .catch(() => false),
      );
    }
  }

  private async worktreesRemoved(): Promise<void> {
    await Promise.all(this.removals.splice(0));
  }

  /**
   * Tasks with `base: merged` start once their dependencies' work is in the base branch. Locally
   * there are no pull requests: a dependency counts as merged when its branch tip is an ancestor
   * of the base branch (the user merged it, by any means), checked afresh on every pass.
   */
  private async observeMerges(): Promise<void> {
    const needed = new Set<string>();
    for (const task of this.graph.tasks) {
      if (task.base === "merged") for (const dep of task.dependencies) needed.add(dep);
    }
    for (const id of needed) {
      const task = this.state.tasks[id];
      const tip = this.state.runs[id]?.commitSha;
      if (task?.status !== "succeeded" || task.merged === true || tip === undefined) continue;
      if (await isMergedInto(this.paths.repoRoot, tip, this.state.baseBranch))
        this.step({ type: "merged", id });
    }
  }

  /**
   * Nothing runs and a task waits out a model API limit: wait for its reset (Ctrl-C stops the
   * wait; the state keeps the reset time, so `--resume` waits on). A reset further away than the
   * run may wait stops it, resumable. Null: no task waits for a limit.
   */
  private async waitForLimit(): Promise<LocalSessionResult | "resumed" | null> {
    const until = nextResume(this.state.tasks);
    if (until === undefined) return null;
    const maxWait = this.args.options.maxLimitWaitMs ?? DEFAULT_MAX_LIMIT_WAIT_MS;
    if (until - Date.now() > maxWait) {
      await this.worktreesRemoved();
      const reason = `limited until ${clockTime(until)} (the model API's limit resets then); run \`orchestrator run --resume\` after that`;
      this.state.interrupted = { at: new Date().toISOString(), reason };
      await this.save({ type: "session_interrupted", reason });
      return this.result("waiting", 1);
    }
    this.report({ type: "waiting_for_limit", until });
    return (await sleepUntil(until, this.stop.signal)) ? "resumed" : null;
  }

  /** Nothing runs and the rest waits for merges only the user can make: stop, resumable. */
  private async waitForMerges(
    waiting: ReadonlyArray<Extract<SessionAction, { type: "waiting" }>>,
  ): Promise<LocalSessionResult> {
    await this.worktreesRemoved();
    const lines = waiting.map((wait) => {
      const branches = wait.unmerged.map((dep) => this.graph.byId.get(dep)?.branch ?? dep);
      return `${wait.id} waits for ${branches.join(", ")}`;
    });
    const reason =
      `waiting for work to be merged into ${this.state.baseBranch} (base: merged): ${lines.join("; ")}. ` +
      `Merge those branches into ${this.state.baseBranch}, then run \`orchestrator run --resume\``;
    this.state.interrupted = { at: new Date().toISOString(), reason };
    await this.save({ type: "session_interrupted", reason });
    return this.result("waiting", 1);
  }

  private runRecord(id: string) {
    const task = this.graph.byId.get(id);
    const run = (this.state.runs[id] ??= { branch: task?.branch ?? id });
    if (task) run.branch = task.branch;
    return run;
  }

  /**
   * A dependent built on a revised task's earlier work. The local executor does not rebase
   * branches for the user: it says what to run (the old tip is known when the revise was asked
   * for in this run).
   */
  private restackNotice(id: string, onto: string): void {
    const branch = this.graph.byId.get(id)?.branch ?? id;
    const ontoBranch = this.graph.byId.get(onto)?.branch ?? onto;
    const oldTip =
      this.revisedFrom.get(onto) ??
      this.state.runs[onto]?.commitSha ??
      `<the commit of ${ontoBranch} it was built on>`;
    this.notice(
      `${id} was built on the earlier work of ${onto}; to move it onto the new work: ` +
        `git rebase --onto ${ontoBranch} ${oldTip} ${branch}`,
    );
  }

  private notice(message: string): void {
    this.report({ type: "notice", message });
  }

  private async save(event: SessionEvent): Promise<void> {
    await this.persist();
    this.report(event);
  }

  /** Writes the state as it is when its turn comes; writes never overtake each other. */
  private persist(): Promise<void> {
    const write = this.writing.then(() => {
      this.state.updatedAt = new Date().toISOString();
      return writeStateFile(this.paths.stateFile, this.state);
    });
    this.writing = write.catch(() => undefined);
    return write;
  }

  /** The attempt's branch is prepared: its start is saved before its agent may commit anything. */
  private async recordBase(id: string, attempt: number, worktree: string): Promise<void> {
    const baseSha = await gitValue(["rev-parse", "HEAD"], { cwd: worktree });
    const task = this.state.tasks[id];
    if (task?.status !== "running" || task.attempts !== attempt) return;
    this.runRecord(id).baseSha = baseSha;
    await this.persist();
  }

  /** Settles an attempt cut off before its end was recorded (see `settleInterruptedAttempt`). */
  private async settleInterrupted(id: string, attempt: number, reportedCostUsd?: number): Promise<string[]> {
    const task = this.graph.byId.get(id);
    if (task === undefined) return [];
    const run = this.runRecord(id);
    const settled = await settleInterruptedAttempt({
      task,
      attempt,
      run,
      paths: this.paths,
      author: this.args.author,
      reportedCostUsd,
    });
    this.step(settled.event);
    return settled.notices;
  }

  private report(event: SessionEvent): void {
    this.args.options.reporter?.event(event, { state: this.state, graph: this.graph });
  }

  private result(status: LocalSessionResult["status"], exitCode: number): LocalSessionResult {
    return { status, state: this.state, graph: this.graph, paths: this.paths, exitCode };
  }
}

function withInput<T extends { prompt: string; allowedTools?: string[] | undefined }>(
  task: T,
  given: { allowedTools?: string[] | undefined; feedback?: string | undefined } | undefined,
): T {
  const allowed = given?.allowedTools ?? [];
  const tools =
    allowed.length === 0 ? {} : { allowedTools: [...new Set([...(task.allowedTools ?? []), ...allowed])] };
  return { ...task, ...tools, prompt: attemptPrompt(task.prompt, given?.feedback) };
}

function withCap<T extends { maxBudgetUsd?: number }>(task: T, capUsd: number | undefined): T {
  if (capUsd === undefined) return task;
  return { ...task, maxBudgetUsd: capUsd };
}
