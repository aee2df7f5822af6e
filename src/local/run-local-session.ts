import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { reconcile, type Decision, type WaitAction } from "../core/reconcile.js";
import { applyDecision, recordAttemptResult, recordMerged } from "../core/session-state.js";
import type { TaskGraph } from "../core/task-graph.js";
import { allSettledOrThrow } from "../runner/all-settled-or-throw.js";
import { git } from "../runner/git.js";
import { runTask, type AgentSpec, type TaskRunResult } from "../runner/run-task.js";
import { isTaskFailure } from "../runner/task-failure.js";
import { addWorktree, removeWorktree } from "../runner/worktree.js";
import { localPaths, type LocalPaths } from "./local-paths.js";
import { planSessionStart, restartInterrupted } from "./plan-session-start.js";
import {
  RepoError,
  branchExists,
  commitAuthor,
  currentBranch,
  ensureOrchestratorDirIgnored,
  repoRootOf,
} from "./repo-info.js";
import type { SessionEvent, SessionReporter } from "./session-events.js";
import { acquireSessionLock } from "./session-lock.js";
import { STATE_VERSION, readStateFile, writeStateFile, type LocalSessionState } from "./state-file.js";
import { stopOrphanAgents } from "./stop-orphan-agents.js";

/**
 * The local executor: runs a task graph on this machine, one git worktree and one branch per
 * task. It decides nothing itself: `reconcile` says what starts, what is skipped and when the
 * session is over; the executor carries that out and records what happened with the core's
 * transitions, writing the state file after every one.
 */

export interface LocalSessionOptions {
  /** Any directory inside the repository. */
  cwd: string;
  /** The tasks file as the user named it (stored relative to the repository). */
  tasksFile: string;
  /** Its exact text: hashed, so `--resume` can refuse a file that changed. */
  tasksFileText: string;
  graph: TaskGraph;
  agent: AgentSpec;
  resume?: boolean;
  /** Agents at once; default: the state's value on resume, else the file's `max_parallel_agents`. */
  parallel?: number;
  /** `--base`; default: the file's `base_branch`, else the current branch. */
  baseBranch?: string;
  /** Commit identity; default from `commitAuthor`. */
  author?: { name: string; email: string };
  /** Read for the author default (ORCHESTRATOR_AUTHOR_NAME/EMAIL). */
  env?: NodeJS.ProcessEnv;
  reporter?: SessionReporter;
  /** Aborting stops every agent, records the running tasks as interrupted and returns. */
  signal?: AbortSignal;
  /** Overrides each task's `timeout_minutes` (tests). */
  timeoutMs?: number;
  killGraceMs?: number;
}

export interface LocalSessionResult {
  /** `waiting`: tasks with `base: merged` wait for their dependencies to be merged by the user. */
  status: "finished" | "interrupted" | "waiting" | "already_finished";
  state: LocalSessionState;
  graph: TaskGraph;
  paths: LocalPaths;
  /** 0 only when the session finished and every task succeeded. */
  exitCode: number;
}

/** A reason the session cannot start; nothing was run. */
export class SessionStartError extends Error {
  override readonly name = "SessionStartError";
}

export async function runLocalSession(options: LocalSessionOptions): Promise<LocalSessionResult> {
  const repoRoot = await repoRootOf(options.cwd);
  const paths = localPaths(repoRoot);
  const { graph } = options;
  await ensureOrchestratorDirIgnored(repoRoot);
  const lock = await acquireSessionLock(paths.lockFile);
  try {
    const existing = await readStateFile(paths.stateFile);
    const tasksFile = shownPath(repoRoot, resolve(options.cwd, options.tasksFile));
    const start = planSessionStart({
      existing,
      resume: options.resume === true,
      tasksFileSha256: sha256(options.tasksFileText),
      tasksFile,
      stateFile: relative(options.cwd, paths.stateFile) || paths.stateFile,
      ...(options.baseBranch === undefined ? {} : { baseBranch: options.baseBranch }),
    });
    if (start.kind === "refuse") throw new SessionStartError(start.message);
    if (start.kind === "finished") {
      const exitCode = start.state.finished?.conclusion === "success" ? 0 : 1;
      return { status: "already_finished", state: start.state, graph, paths, exitCode };
    }

    const now = new Date().toISOString();
    const state: LocalSessionState =
      start.kind === "resume"
        ? { ...start.state, updatedAt: now }
        : {
            version: STATE_VERSION,
            sessionId: newSessionId(),
            tasksFile,
            tasksFileSha256: sha256(options.tasksFileText),
            baseBranch: await chooseBaseBranch(repoRoot, options.baseBranch ?? graph.baseBranch),
            maxParallel: 1,
            startedAt: now,
            updatedAt: now,
            tasks: {},
            runs: Object.fromEntries(graph.tasks.map((task) => [task.id, { branch: task.branch }])),
          };
    state.maxParallel = Math.max(
      1,
      options.parallel ?? (start.kind === "resume" ? state.maxParallel : graph.maxParallelAgents),
    );
    if (options.agent.kind === "command") state.agentCommand = [...options.agent.command];
    else delete state.agentCommand;
    delete state.interrupted;
    if (!(await branchExists(repoRoot, state.baseBranch))) {
      throw new SessionStartError(
        `The base branch ${state.baseBranch} does not exist in this repository. ` +
          `Pass an existing branch with --base, or set base_branch in the tasks file.`,
      );
    }

    const session = new LocalSession({
      options,
      state,
      paths,
      author: options.author ?? (await commitAuthor(repoRoot, options.env ?? process.env)),
    });
    return await session.run(start.kind === "resume");
  } finally {
    await lock.release();
  }
}

interface Finished {
  id: string;
  attempt: number;
  result: TaskRunResult;
}

class LocalSession {
  private readonly graph: TaskGraph;
  private readonly paths: LocalPaths;
  private readonly state: LocalSessionState;
  private readonly inFlight = new Map<string, Promise<Finished>>();
  private readonly stop = new AbortController();
  /**
   * Git's worktree bookkeeping is shared by all worktrees (a listing fails on another's half-made
   * entry), so adds and removes run one at a time; removes wait while a task is starting, since
   * its agent waits for its add and a removal waits for nobody.
   */
  private readonly worktreeOps = new WorktreeOps();
  /** Succeeded tasks whose worktrees are removed once their dependents have been started. */
  private readonly toRemove: string[] = [];
  private readonly removals: Array<Promise<unknown>> = [];

  constructor(
    private readonly args: {
      options: LocalSessionOptions;
      state: LocalSessionState;
      paths: LocalPaths;
      author: { name: string; email: string };
    },
  ) {
    this.graph = args.options.graph;
    this.paths = args.paths;
    this.state = args.state;
  }

  /**
   * Clears what an earlier run left: agents still running in our worktrees (an executor killed
   * with -9 cannot stop them) and worktrees nobody will use again. A failed task's worktree is
   * kept on resume (the summary pointed the user to it); a fresh session starts clean.
   */
  private async recover(resuming: boolean): Promise<void> {
    const stopped = await stopOrphanAgents({ worktreesDir: this.paths.worktreesDir });
    if (stopped.length > 0) {
      this.notice(`Stopped ${stopped.length} agent process group(s) left running by an earlier run.`);
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

  /** Recovers from an earlier run, then runs the graph until it is finished, stopped or waiting. */
  async run(resumed: boolean): Promise<LocalSessionResult> {
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
      const [uncommitted] = await allSettledOrThrow([this.hasUncommittedWork(), this.recover(resumed)]);
      await mkdir(this.paths.logsDir, { recursive: true });
      await this.save({ type: "session_started", resumed });
      if (uncommitted) {
        this.notice(
          `Your checkout has uncommitted changes; tasks start from the last commit of ${this.state.baseBranch}, without them.`,
        );
      }
      for (;;) {
        if (!this.stop.signal.aborted) {
          await this.observeMerges();
          const decision = reconcile({
            graph: this.graph,
            tasks: this.state.tasks,
            limits: { maxParallel: this.state.maxParallel, budgetUsd: this.graph.budgetUsd },
          });
          await this.apply(decision);
          this.removeFinishedWorktrees();
          if (decision.finished) {
            await this.worktreesRemoved();
            this.state.finished = {
              at: new Date().toISOString(),
              conclusion: decision.finished.conclusion,
              summary: decision.finished.summary,
            };
            await this.save({ type: "session_finished", outcome: decision.finished });
            const exitCode = decision.finished.conclusion === "success" ? 0 : 1;
            return this.result("finished", exitCode);
          }
          if (this.inFlight.size === 0 && decision.waiting.length > 0)
            return this.waitForMerges(decision.waiting);
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

  private async apply(decision: Decision): Promise<void> {
    if (decision.start.length === 0 && decision.skip.length === 0) return;
    this.state.tasks = applyDecision(this.state.tasks, decision);
    const now = new Date().toISOString();
    // Tasks start before the state is written: no start waits for the disk, and a crash in
    // between leaves nothing the next run would not clear (the task starts again, its worktree
    // replaced). The events still come in the usual order.
    for (const start of decision.start) {
      const run = this.runRecord(start.id);
      run.startedAt = now;
      for (const key of [
        "endedAt",
        "commitSha",
        "changedFiles",
        "commits",
        "failureKind",
        "keptWorktree",
      ] as const) {
        delete run[key];
      }
      this.inFlight.set(start.id, this.runOne(start.id, start.attempt));
    }
    for (const skip of decision.skip) {
      const run = this.runRecord(skip.id);
      delete run.startedAt;
      run.endedAt = now;
      await this.save({ type: "task_skipped", id: skip.id, reason: skip.reason });
    }
    for (const start of decision.start) {
      await this.save({ type: "task_started", id: start.id, attempt: start.attempt });
    }
  }

  private async runOne(id: string, attempt: number): Promise<Finished> {
    const task = this.graph.byId.get(id);
    if (task === undefined) throw new Error(`reconcile started unknown task ${id}`);
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
        task,
        attempt,
        sessionId: this.state.sessionId,
        baseBranch: this.state.baseBranch,
        dependencyBranches: task.dependencies.map((dep) => this.graph.byId.get(dep)?.branch ?? dep),
        agent: options.agent,
        author: this.args.author,
        logFile: this.paths.log(id),
        signal: this.stop.signal,
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

  private async record(finished: Finished): Promise<void> {
    const { id, attempt, result } = finished;
    this.inFlight.delete(id);
    const run = this.runRecord(id);
    run.endedAt = new Date().toISOString();

    if (!result.ok && result.failure?.kind === "cancelled" && this.stop.signal.aborted) {
      const observation = this.state.tasks[id];
      if (observation) this.state.tasks[id] = restartInterrupted({ [id]: observation })[id] ?? observation;
      if (result.costUsd !== undefined) {
        const restarted = this.state.tasks[id];
        if (restarted) restarted.costUsd = (restarted.costUsd ?? 0) + result.costUsd;
      }
      await this.save({ type: "task_interrupted", id });
      return;
    }

    this.state.tasks = recordAttemptResult(this.state.tasks, {
      id,
      attempt,
      succeeded: result.ok,
      ...(result.failure === undefined ? {} : { reason: result.failure.message }),
      ...(result.costUsd === undefined ? {} : { costUsd: result.costUsd }),
    });
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
    const retries = this.graph.byId.get(id)?.retries ?? 0;
    await this.save({ type: "task_failed", id, result, willRetry: attempt < 1 + retries });
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
      const observation = this.state.tasks[id];
      const tip = this.state.runs[id]?.commitSha;
      if (observation?.status !== "succeeded" || observation.merged === true || tip === undefined) continue;
      const { exitCode } = await git(
        ["merge-base", "--is-ancestor", tip, `refs/heads/${this.state.baseBranch}`],
        {
          cwd: this.paths.repoRoot,
          okExitCodes: [1, 128],
        },
      );
      if (exitCode === 0) this.state.tasks = recordMerged(this.state.tasks, id);
    }
  }

  /** Nothing runs and the rest waits for merges only the user can make: stop, resumable. */
  private async waitForMerges(waiting: readonly WaitAction[]): Promise<LocalSessionResult> {
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

  /** Whether the user's checkout is on the base branch with changes to tracked files. */
  private async hasUncommittedWork(): Promise<boolean> {
    // One call for both: the branch header and a line per changed file. No ahead/behind count,
    // which would walk the history to the upstream.
    const { stdout } = await git(
      ["status", "--porcelain=v2", "--branch", "--no-ahead-behind", "--untracked-files=no"],
      { cwd: this.paths.repoRoot },
    );
    const lines = stdout.split("\n").filter((line) => line !== "");
    const onBase = lines.includes(`# branch.head ${this.state.baseBranch}`);
    return onBase && lines.some((line) => !line.startsWith("#"));
  }

  private runRecord(id: string) {
    const task = this.graph.byId.get(id);
    const run = (this.state.runs[id] ??= { branch: task?.branch ?? id });
    if (task) run.branch = task.branch;
    return run;
  }

  private notice(message: string): void {
    this.report({ type: "notice", message });
  }

  private async save(event: SessionEvent): Promise<void> {
    this.state.updatedAt = new Date().toISOString();
    await writeStateFile(this.paths.stateFile, this.state);
    this.report(event);
  }

  private report(event: SessionEvent): void {
    this.args.options.reporter?.event(event, { state: this.state, graph: this.graph });
  }

  private result(status: LocalSessionResult["status"], exitCode: number): LocalSessionResult {
    return { status, state: this.state, graph: this.graph, paths: this.paths, exitCode };
  }
}

async function chooseBaseBranch(repoRoot: string, wanted: string | undefined): Promise<string> {
  if (wanted !== undefined) return wanted;
  const current = await currentBranch(repoRoot);
  if (current === null) {
    throw new RepoError(
      "HEAD is detached, so there is no current branch to build on. Pass --base <branch> or set base_branch in the tasks file.",
    );
  }
  return current;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function newSessionId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
  return `local-${stamp}-${randomBytes(3).toString("hex")}`;
}

function shownPath(repoRoot: string, file: string): string {
  const inside = relative(repoRoot, file);
  return inside !== "" && !inside.startsWith("..") && !isAbsolute(inside) ? inside : file;
}

/**
 * Runs git worktree operations one at a time. Removes wait while adds are pending or announced:
 * a task announces its add when it starts, because it first checks its base, and a remove that
 * slipped into that gap would hold up the add.
 */
class WorktreeOps {
  private readonly waiting: Record<"add" | "remove", Array<() => Promise<void>>> = { add: [], remove: [] };
  private busy = false;
  private addsComing = 0;

  /** Holds removes back until the returned function is called (once the add is done, or will not come). */
  addComing(): () => void {
    this.addsComing++;
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      this.addsComing--;
      void this.next();
    };
  }

  run<T>(kind: "add" | "remove", operation: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting[kind].push(() => operation().then(resolve, reject));
      void this.next();
    });
  }

  private async next(): Promise<void> {
    if (this.busy) return;
    const operation =
      this.waiting.add.shift() ?? (this.addsComing === 0 ? this.waiting.remove.shift() : undefined);
    if (operation === undefined) return;
    this.busy = true;
    try {
      await operation();
    } finally {
      this.busy = false;
      void this.next();
    }
  }
}
