import { relative, resolve } from "node:path";
import type { SessionEvent as MachineEvent } from "../core/session-machine.js";
import type { TaskGraph } from "../core/task-graph.js";
import type { AgentSpec } from "../runner/run-task.js";
import { localPaths, type LocalPaths } from "./local-paths.js";
import { LocalSession } from "./local-session.js";
import {
  chooseBaseBranch,
  newLocalSessionState,
  sha256,
  shownPath,
  taskDigests,
} from "./new-session-state.js";
import { planInput, type LocalInput } from "./plan-input.js";
import { planSessionStart } from "./plan-session-start.js";
import { branchExists, commitAuthor, ensureOrchestratorDirIgnored, repoRootOf } from "./repo-info.js";
import type { SessionReporter } from "./session-events.js";
import { acquireSessionLock } from "./session-lock.js";
import { readStateFile, type LocalSessionState } from "./state-file.js";

/**
 * The local executor: runs a task graph on this machine, one git worktree and one branch per
 * task. This file sets a run up — a new session, a resume or a retry of the last one, under a
 * lock — and hands it to `LocalSession`, which drives the session machine.
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
  /** `--retry`: run these failed or cancelled tasks of the last session again ("failed": all failed). */
  retry?: readonly string[] | "failed";
  /**
   * `--revise`: the last session goes on with this task run once more on its existing branch (its
   * commits kept), the feedback added to its prompt.
   */
  revise?: { id: string; feedback: string } | undefined;
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
  /**
   * `--reset-existing`: every task may replace an existing branch holding commits that are not
   * its own (as `reset_existing: true` on each task); the old tips are kept under refs.
   */
  resetExisting?: boolean | undefined;
  /** `--answer ID TEXT` / `--allow-tools ID`: input for a task of the last session that needs it. */
  input?: LocalInput | undefined;
  /** The longest the run waits for a model API limit to reset by itself (default 6 h). */
  maxLimitWaitMs?: number | undefined;
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
    const tasksFileSha256 = sha256(options.tasksFileText);
    const stateFile = relative(options.cwd, paths.stateFile) || paths.stateFile;
    const given =
      options.input === undefined
        ? undefined
        : planInput({ existing, input: options.input, tasksFileSha256, tasksFile, stateFile });
    if (given?.kind === "refuse") throw new SessionStartError(given.message);
    const start =
      given?.kind === "input"
        ? { kind: "resume" as const, state: given.state }
        : planSessionStart({
            existing,
            resume: options.resume === true,
            ...(options.retry === undefined ? {} : { retry: options.retry }),
            ...(options.revise === undefined ? {} : { revise: { ...options.revise, graph } }),
            tasksFileSha256,
            taskDigests: taskDigests(graph),
            tasksFile,
            stateFile,
            ...(options.baseBranch === undefined ? {} : { baseBranch: options.baseBranch }),
          });
    if (start.kind === "refuse") throw new SessionStartError(start.message);
    if (start.kind === "finished") {
      const exitCode = start.state.outcome?.conclusion === "success" ? 0 : 1;
      return { status: "already_finished", state: start.state, graph, paths, exitCode };
    }

    const now = new Date().toISOString();
    const continued = start.kind === "resume" || start.kind === "retry" || start.kind === "revise";
    const state: LocalSessionState = continued
      ? { ...start.state, updatedAt: now }
      : newLocalSessionState({
          graph,
          tasksFile,
          tasksFileText: options.tasksFileText,
          baseBranch: await chooseBaseBranch(repoRoot, options.baseBranch ?? graph.baseBranch),
          now,
        });
    if (start.kind === "retry" || start.kind === "revise") {
      // The file may hold edits to tasks that did not succeed: the session goes on with it.
      state.tasksFileSha256 = sha256(options.tasksFileText);
      state.taskDigests = taskDigests(graph);
      state.tasksFile = tasksFile;
      for (const task of graph.tasks) (state.runs[task.id] ??= { branch: task.branch }).branch = task.branch;
    }
    state.maxParallel = Math.max(
      1,
      options.parallel ?? (continued ? state.maxParallel : graph.maxParallelAgents),
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
    const events: MachineEvent[] = [];
    if (continued) events.push({ type: "resume" });
    if (given?.kind === "input") {
      events.push(given.event);
      delete state.finishedAt;
    }
    if (start.kind === "retry") events.push({ type: "retry", tasks: start.tasks });
    if (start.kind === "revise") events.push({ type: "revise", id: start.id, feedback: start.feedback });
    return await session.run({
      resumed: continued,
      events,
      ...(start.kind === "retry" || start.kind === "revise" ? { changed: start.changed } : {}),
    });
  } finally {
    await lock.release();
  }
}
