import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { delimiter, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseTasksFile } from "../core/parse-tasks-file.js";
import { LIMITS } from "../core/tasks-schema.js";
import { formatIssue } from "../core/validation-issue.js";
import { finalSummary } from "../local/final-summary.js";
import { localPaths } from "../local/local-paths.js";
import { createProgressReporter, type ProgressOutput } from "../local/progress-table.js";
import { RepoError, repoRootOf } from "../local/repo-info.js";
import { SessionStartError, runLocalSession } from "../local/run-local-session.js";
import { SessionLockedError } from "../local/session-lock.js";
import { StateFileError, readStateFile } from "../local/state-file.js";
import { AgentCommandError, parseAgentCommand } from "../runner/command-agent.js";
import type { AgentSpec } from "../runner/run-task.js";
import type { Command } from "./command.js";

/** `orchestrator run`: the task graph on this machine, one worktree and branch per task. */

export const RUN_HELP = `Usage: orchestrator run [file] [--parallel N] [--agent CMD] [--resume] [--base BRANCH]

Runs the tasks of a tasks file on this machine: one git worktree (.orchestrator/worktrees/<id>)
and one branch (branch_name, or orchestrator/<id>) per task, at most N agents at once, longest
remaining path first. A task starts from its dependency's branch (several: merged), or from the
base branch when it has none. Branches are created, or reset if they exist.

Arguments:
  file             tasks file (JSON or YAML); default tasks/tasks.json, .yaml or .yml at the
                   repository root (on --resume: the session's file)

Options:
  --parallel N     agents at once (default: max_parallel_agents of the file, else 3)
  --agent CMD      run CMD in the task's worktree instead of Claude Code: the prompt is on
                   stdin; ORCHESTRATOR_TASK_ID, ORCHESTRATOR_TASK_NAME, ORCHESTRATOR_SESSION_ID
                   are set; exit 0 means success. CMD is split like a shell would (quotes,
                   backslashes) but no shell runs it.
  --resume         continue the session recorded in .orchestrator/state.json: finished tasks
                   are kept, interrupted ones restart. Refused if the tasks file changed.
  --base BRANCH    branch to start from (default: base_branch of the file, else the current branch)
  -h, --help       show this help

Without --agent, the Claude Code CLI does the work: \`claude\` on PATH, or ORCHESTRATOR_CLAUDE_PATH.
Commit author: ORCHESTRATOR_AUTHOR_NAME / ORCHESTRATOR_AUTHOR_EMAIL, else your git identity.
State, logs and worktrees live in .orchestrator/ (git-ignored). Ctrl-C stops the agents and saves
the state (press it again to force exit); continue later with --resume.

Exit status: 0 if every task succeeded, 1 if any did not (or the run could not start),
2 for a usage error, 130 if stopped by a signal.
`;

export interface RunCommandIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: ProgressOutput;
  stderr: { write(text: string): unknown };
  /** Where Ctrl-C comes from; default: this process. Tests and the demo pass their own. */
  signals?: SignalSource;
  /** Called on the second Ctrl-C; default: exit the process at once. */
  forceExit?: (code: number) => void;
}

export interface SignalSource {
  on(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
  off(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
}

class UsageError extends Error {}

export async function runCommand(argv: readonly string[], io: RunCommandIo = processIo()): Promise<number> {
  let args: RunArgs;
  try {
    args = parseRunArgs(argv);
  } catch (error) {
    io.stderr.write(`orchestrator run: ${(error as Error).message}\nTry: orchestrator run --help\n`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(RUN_HELP);
    return 0;
  }
  try {
    return await run(args, io);
  } catch (error) {
    if (
      error instanceof SessionStartError ||
      error instanceof RepoError ||
      error instanceof StateFileError ||
      error instanceof SessionLockedError ||
      error instanceof UsageError ||
      error instanceof AgentCommandError
    ) {
      io.stderr.write(`orchestrator run: ${error.message}\n`);
      return error instanceof UsageError || error instanceof AgentCommandError ? 2 : 1;
    }
    throw error;
  }
}

interface RunArgs {
  help: boolean;
  file?: string;
  parallel?: number;
  agent?: string;
  resume: boolean;
  base?: string;
}

export function parseRunArgs(argv: readonly string[]): RunArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      parallel: { type: "string", short: "p" },
      agent: { type: "string" },
      resume: { type: "boolean" },
      base: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (positionals.length > 1)
    throw new Error(`expected at most one tasks file, got: ${positionals.join(" ")}`);
  const args: RunArgs = { help: values.help === true, resume: values.resume === true };
  if (positionals[0] !== undefined) args.file = positionals[0];
  if (values.parallel !== undefined) {
    const parallel = Number(values.parallel);
    if (!Number.isInteger(parallel) || parallel < 1 || parallel > LIMITS.maxParallelAgents) {
      throw new Error(
        `--parallel must be a whole number from 1 to ${LIMITS.maxParallelAgents}, got "${values.parallel}"`,
      );
    }
    args.parallel = parallel;
  }
  if (values.agent !== undefined) args.agent = values.agent;
  if (values.base !== undefined) {
    if (values.base.trim() === "") throw new Error("--base needs a branch name");
    args.base = values.base;
  }
  return args;
}

async function run(args: RunArgs, io: RunCommandIo): Promise<number> {
  const repoRoot = await repoRootOf(io.cwd);
  const previous = args.resume ? await readStateFile(localPaths(repoRoot).stateFile) : null;
  const file = await chooseTasksFile({ args, repoRoot, cwd: io.cwd, previousFile: previous?.tasksFile });
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(
      `cannot read the tasks file ${file}: ${error.code === "ENOENT" ? "no such file" : error.message}`,
    );
  });
  const parsed = parseTasksFile({ text, fileName: args.file ?? file });
  if (!parsed.ok) {
    io.stderr.write(`The tasks file has problems; nothing was started:\n`);
    for (const issue of parsed.issues) io.stderr.write(`  ${formatIssue(issue)}\n`);
    return 1;
  }
  for (const warning of parsed.warnings) io.stderr.write(`warning: ${formatIssue(warning)}\n`);

  const agent = await chooseAgent({ args, io, previousCommand: previous?.agentCommand });
  const reporter = createProgressReporter({ output: io.stdout });
  const controller = new AbortController();
  const signals = io.signals ?? process;
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      controller.abort();
      return;
    }
    reporter.close();
    io.stderr.write(
      "\nForced exit: agents may still be running; `orchestrator run --resume` stops them and continues.\n",
    );
    (io.forceExit ?? ((code: number) => process.exit(code)))(130);
  };
  signals.on("SIGINT", onSignal);
  signals.on("SIGTERM", onSignal);
  try {
    const result = await runLocalSession({
      cwd: io.cwd,
      tasksFile: file,
      tasksFileText: text,
      graph: parsed.graph,
      agent,
      resume: args.resume,
      env: io.env,
      reporter,
      signal: controller.signal,
      ...(args.parallel === undefined ? {} : { parallel: args.parallel }),
      ...(args.base === undefined ? {} : { baseBranch: args.base }),
    });
    reporter.close();
    io.stdout.write(
      finalSummary({
        state: result.state,
        graph: result.graph,
        paths: result.paths,
        status: result.status,
        cwd: io.cwd,
      }),
    );
    return result.exitCode;
  } finally {
    reporter.close();
    signals.off("SIGINT", onSignal);
    signals.off("SIGTERM", onSignal);
  }
}

async function chooseTasksFile(input: {
  args: RunArgs;
  repoRoot: string;
  cwd: string;
  previousFile: string | undefined;
}): Promise<string> {
  if (input.args.file !== undefined) return resolve(input.cwd, input.args.file);
  if (input.previousFile !== undefined) return resolve(input.repoRoot, input.previousFile);
  const candidates = ["tasks/tasks.json", "tasks/tasks.yaml", "tasks/tasks.yml"].map((name) =>
    join(input.repoRoot, name),
  );
  for (const candidate of candidates) if (await exists(candidate)) return candidate;
  throw new UsageError(
    `no tasks file given and none found at ${candidates.join(", ")}. Pass the file: orchestrator run path/to/tasks.json`,
  );
}

async function chooseAgent(input: {
  args: RunArgs;
  io: RunCommandIo;
  previousCommand: string[] | undefined;
}): Promise<AgentSpec> {
  const { args, io } = input;
  if (args.agent !== undefined)
    return { kind: "command", command: parseAgentCommand(args.agent), env: io.env };
  if (input.previousCommand !== undefined && input.previousCommand.length > 0) {
    return { kind: "command", command: input.previousCommand, env: io.env };
  }
  const claudePath = await findClaude(io);
  if (claudePath === null) {
    throw new UsageError(
      "the Claude Code CLI was not found (no `claude` on PATH, ORCHESTRATOR_CLAUDE_PATH not set). " +
        "Install it with `npm install -g @anthropic-ai/claude-code`, then log in (run `claude` once) or set " +
        "ANTHROPIC_API_KEY. Or run any other agent with --agent CMD.",
    );
  }
  return { kind: "claude", claudePath, env: io.env };
}

async function findClaude(io: RunCommandIo): Promise<string | null> {
  const configured = io.env.ORCHESTRATOR_CLAUDE_PATH;
  if (configured !== undefined && configured !== "") {
    const path = resolve(io.cwd, configured);
    if (await isExecutable(path)) return path;
    throw new UsageError(`ORCHESTRATOR_CLAUDE_PATH is set to ${configured}, but no executable is there.`);
  }
  for (const dir of (io.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const path = join(dir, "claude");
    if (await isExecutable(path)) return path;
  }
  return null;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

function processIo(): RunCommandIo {
  return { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr };
}

/** The `run` entry of the CLI's command table (`src/cli/commands.ts`). */
export const runCliCommand: Command = {
  name: "run",
  summary: "run the tasks on this machine: one git worktree and branch per task, N agents at once",
  usage: RUN_HELP,
  run: (argv, io) =>
    runCommand(argv, {
      cwd: io.cwd,
      env: process.env,
      // CliIo carries text only; its output goes to this process's stdout, whose TTY-ness picks
      // the live table or plain lines.
      stdout: {
        write: (text: string) => io.stdout(text),
        isTTY: process.stdout.isTTY === true,
        columns: process.stdout.columns,
      },
      stderr: { write: (text: string) => io.stderr(text) },
    }),
};
