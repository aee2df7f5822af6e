import { realpath } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { parseTasksFile } from "../core/parse-tasks-file.js";
import { DEFAULT_TASKS_FILES } from "../core/session-options.js";
import { formatIssue } from "../core/validation-issue.js";
import { finalSummary } from "../local/final-summary.js";
import { localPaths } from "../local/local-paths.js";
import { createProgressReporter, type ProgressOutput } from "../local/progress-table.js";
import { RepoError, repoRootOf } from "../local/repo-info.js";
import { SessionStartError, runLocalSession } from "../local/run-local-session.js";
import { SessionLockedError } from "../local/session-lock.js";
import { StateFileError, readStateFile } from "../local/state-file.js";
import { chooseAgent } from "./choose-agent.js";
import { CliError } from "./cli-error.js";
import { wantsColour, type CliIo, type SignalSource } from "./cli-io.js";
import { EXIT, type Command } from "./command.js";
import { invokeCommand } from "./invoke-command.js";
import { IssueTasksError, parseIssueRef, writeIssueTasksFile, type IssueRef } from "./issue-tasks-file.js";
import { parallelArg } from "./parallel-arg.js";
import type { LocalInput } from "../local/plan-input.js";
import { parseCommandArgs } from "./parse-command-args.js";
import { findDefaultTasksFile, readTasksFileAt } from "./read-tasks-file.js";

/** `orchestrator run`: the task graph on this machine, one worktree and branch per task. */

export const RUN_HELP = `Usage: orchestrator run [file] [--parallel N] [--agent CMD] [--resume | --retry TASK,…|failed] [--base BRANCH] [--reset-existing]
       orchestrator run --revise TASK "what to change" [options]
       orchestrator run --answer TASK TEXT | --allow-tools TASK
       orchestrator run --issue OWNER/REPO#N [options]

Runs the tasks of a tasks file on this machine: one git worktree (.orchestrator/worktrees/<id>)
and one branch (branch_name, or orchestrator/<id>) per task, at most N agents at once, longest
remaining path first. A task starts from its dependency's branch (several: merged), or from the
base branch when it has none. A task's branch is created, or reset if it holds only that task's
earlier attempts; a branch with other commits on it is left alone and the task fails, naming them.

Arguments:
  file             tasks file (JSON or YAML); default tasks/tasks.json, .yaml or .yml at the
                   repository root (on --resume: the session's file)

Options:
  --issue O/R#N    run the open sub-issues of issue N as tasks, in the order their "blocked by"
                   links give (options from a \`\`\`orchestrator block in an issue's body). Read
                   with GITHUB_TOKEN (or GH_TOKEN, or \`gh auth token\`) from GITHUB_API_URL
                   (default https://api.github.com); written as .orchestrator/issues/O-R-N.json,
                   which --resume and --retry use like any tasks file
  --parallel N     agents at once (default: max_parallel_agents of the file, else 3)
  --agent CMD      run CMD in the task's worktree instead of Claude Code: the prompt is on
                   stdin; ORCHESTRATOR_TASK_ID, ORCHESTRATOR_TASK_NAME, ORCHESTRATOR_SESSION_ID
                   are set; exit 0 means success. CMD is split like a shell would (quotes,
                   backslashes) but no shell runs it. A path in it (./my-agent.sh) is taken
                   from the directory you run this in, and checked before any task starts.
  --resume         continue the session recorded in .orchestrator/state.json: finished tasks
                   are kept, interrupted ones restart. Refused if the tasks file changed.
  --retry TASKS    run again the failed tasks (\`--retry failed\`) or the named failed or
                   cancelled tasks (\`--retry a,b\`) of the last session, with the tasks skipped
                   because of them; succeeded tasks never run again. Tasks that did not succeed
                   may be edited in the tasks file first (the run names them); a changed
                   succeeded task is refused.
  --revise TASK "TEXT"
                   a follow-up on the last session (ended or interrupted): TASK runs once more on
                   its existing branch, its commits kept, with TEXT added to its prompt. A revise
                   is another attempt: it needs retries left (raise the task's \`retries\` in the
                   tasks file; the revised task may be edited) and budget left. Dependents built on
                   its branch are named afterwards with the git command that moves them onto the
                   new work.
  --answer TASK TEXT
                   a task that needs input (the agent ended with a question, or was refused
                   tools, and changed nothing): run it again with TEXT added to its prompt,
                   going on with the last session
  --allow-tools TASK
                   a task that needs input because it was refused tools: allow exactly those
                   tools for it (as in its allowed_tools) and run it again
  --base BRANCH    branch to start from (default: base_branch of the file, else the current branch)
  --reset-existing let every task replace its branch even if it holds commits that are not the
                   task's (as reset_existing: true on each task); each old tip is kept as
                   refs/orchestrator/replaced/<branch>/<sha>
  -h, --help       show this help

Without --agent, the Claude Code CLI does the work: \`claude\` on PATH, or ORCHESTRATOR_CLAUDE_PATH.
Commit author: ORCHESTRATOR_AUTHOR_NAME / ORCHESTRATOR_AUTHOR_EMAIL, else your git identity.
A task the model API answers with a rate or usage limit waits for the reset ("limited until
14:05"), up to 6 hours, and starts again without counting a failed attempt.
State, logs and worktrees live in .orchestrator/ (git-ignored). Ctrl-C stops the agents and saves
the state (press it again to force exit); continue later with --resume.

Exit status: 0 if every task succeeded, 1 if any did not (or the run could not start),
2 for a usage error, 130 if stopped by a signal.
`;

export const runCliCommand: Command = {
  name: "run",
  summary: "run the tasks on this machine: one git worktree and branch per task, N agents at once",
  usage: RUN_HELP,
  async run(argv, io) {
    const args = parseRunArgs(argv);
    if (args.help) {
      io.stdout(RUN_HELP);
      return EXIT.ok;
    }
    try {
      return await run(args, io);
    } catch (error) {
      // The local executor's refusals (not a repository, a locked or changed session...).
      if (
        error instanceof SessionStartError ||
        error instanceof RepoError ||
        error instanceof StateFileError ||
        error instanceof SessionLockedError
      ) {
        throw new CliError(error.message, "failed");
      }
      throw error;
    }
  },
};

export type { SignalSource } from "./cli-io.js";

/** What the demo and the local executor's tests pass: streams rather than CliIo's text functions. */
export interface RunCommandIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: ProgressOutput;
  stderr: { write(text: string): unknown };
  signals?: SignalSource;
  forceExit?: (code: number) => void;
}

/** `orchestrator run ARGV` exactly as the CLI runs it (same parsing, messages and exit codes). */
export function runCommand(argv: readonly string[], io: RunCommandIo): Promise<number> {
  const cliIo: CliIo = {
    cwd: io.cwd,
    env: io.env,
    stdout: (text) => void io.stdout.write(text),
    stderr: (text) => void io.stderr.write(text),
    ...(io.stdout.isTTY === true ? { terminal: { columns: io.stdout.columns, rows: io.stdout.rows } } : {}),
    ...(io.signals === undefined ? {} : { signals: io.signals }),
    ...(io.forceExit === undefined ? {} : { forceExit: io.forceExit }),
  };
  return invokeCommand(runCliCommand, [...argv], cliIo);
}

interface RunArgs {
  help: boolean;
  file?: string;
  parallel?: number;
  agent?: string;
  resume: boolean;
  retry?: readonly string[] | "failed";
  revise?: { id: string; feedback: string };
  base?: string;
  resetExisting: boolean;
  issue?: IssueRef;
  input?: LocalInput;
}

/** `--answer TASK TEXT` takes two values, which parseArgs cannot: taken out of argv first. */
function takeAnswer(argv: readonly string[]): { rest: string[]; answer?: LocalInput } {
  const at = argv.indexOf("--answer");
  if (at < 0) return { rest: [...argv] };
  const id = argv[at + 1];
  const text = argv[at + 2];
  if (id === undefined || id.startsWith("-") || text === undefined)
    throw new CliError('--answer needs a task id and the answer, e.g. --answer api "Use SQLite"');
  if (text.trim() === "") throw new CliError(`--answer ${id} needs the answer's text`);
  const rest = [...argv.slice(0, at), ...argv.slice(at + 3)];
  if (rest.includes("--answer")) throw new CliError("give --answer once");
  return { rest, answer: { kind: "answer", id, text } };
}

/** The flags as `parseRunArgs` reads them. */
interface RunFlagValues {
  revise?: string | undefined;
  resume?: boolean | undefined;
  retry?: string | undefined;
  issue?: string | undefined;
  help?: boolean | undefined;
  parallel?: string | undefined;
  agent?: string | undefined;
  base?: string | undefined;
  "reset-existing"?: boolean | undefined;
}

export function parseRunArgs(argv: readonly string[]): RunArgs {
  const taken = takeAnswer(argv);
  const { values, positionals } = parseCommandArgs({
    args: taken.rest,
    allowPositionals: true,
    options: {
      parallel: { type: "string", short: "p" },
      agent: { type: "string" },
      resume: { type: "boolean" },
      retry: { type: "string" },
      revise: { type: "string" },
      base: { type: "string" },
      "reset-existing": { type: "boolean" },
      "allow-tools": { type: "string" },
      issue: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.revise !== undefined) return parseReviseArgs(values, positionals);
  if (positionals.length > 1)
    throw new CliError(`expected at most one tasks file, got: ${positionals.join(" ")}`);
  const args: RunArgs = {
    help: values.help === true,
    resume: values.resume === true,
    resetExisting: values["reset-existing"] === true,
  };
  if (positionals[0] !== undefined) args.file = positionals[0];
  if (values.issue !== undefined) {
    const ref = parseIssueRef(values.issue);
    if (ref === undefined)
      throw new CliError(
        `--issue needs an issue as OWNER/REPO#NUMBER, e.g. acme/widgets#12 (got "${values.issue}")`,
      );
    if (args.file !== undefined) throw new CliError("give a tasks file or --issue, not both");
    args.issue = ref;
  }
  const parallel = parallelArg(values.parallel);
  if (parallel !== undefined) args.parallel = parallel;
  if (values.agent !== undefined) args.agent = values.agent;
  if (values.retry !== undefined) {
    if (args.resume)
      throw new CliError("--retry continues the last session itself; give --resume or --retry, not both");
    const ids = values.retry
      .split(",")
      .map((id) => id.trim())
      .filter((id) => id !== "");
    if (ids.length === 0) throw new CliError('--retry needs task ids (a,b) or "failed"');
    args.retry = ids.length === 1 && ids[0] === "failed" ? "failed" : ids;
  }
  if (values.base !== undefined) {
    if (values.base.trim() === "") throw new CliError("--base needs a branch name");
    args.base = values.base;
  }
  const allow = values["allow-tools"]?.trim();
  if (allow !== undefined) {
    if (allow === "" || allow.startsWith("-"))
      throw new CliError(
        "--allow-tools needs the id of a task that was refused tools, e.g. --allow-tools api",
      );
    args.input = { kind: "allow", id: allow };
  }
  if (taken.answer !== undefined) {
    if (args.input !== undefined) throw new CliError("give --answer or --allow-tools, not both");
    args.input = taken.answer;
  }
  if (args.input !== undefined && (args.resume || args.retry !== undefined))
    throw new CliError(
      `${args.input.kind === "answer" ? "--answer" : "--allow-tools"} goes on with the last session itself; give it without --resume or --retry`,
    );
  return args;
}

/**
 * `--revise TASK "TEXT"`: the one positional is the feedback (the tasks file is the session's), so
 * it is read apart from the other forms; --resume and --retry continue a session themselves.
 */
function parseReviseArgs(values: RunFlagValues, positionals: readonly string[]): RunArgs {
  const id = (values.revise ?? "").trim();
  if (id === "" || id.startsWith("-"))
    throw new CliError(
      '--revise needs a task id and the feedback: orchestrator run --revise TASK "what to change"',
    );
  if (values.resume === true || values.retry !== undefined)
    throw new CliError(
      "--revise continues the last session itself; give --revise alone, without --resume or --retry",
    );
  if (values.issue !== undefined)
    throw new CliError("--revise continues the last session with its own tasks file; leave out --issue");
  const feedback = positionals.join(" ").trim();
  if (feedback === "")
    throw new CliError(`--revise needs the feedback text: orchestrator run --revise ${id} "what to change"`);
  const args: RunArgs = {
    help: values.help === true,
    resume: false,
    resetExisting: values["reset-existing"] === true,
    revise: { id, feedback },
  };
  const parallel = parallelArg(values.parallel);
  if (parallel !== undefined) args.parallel = parallel;
  if (values.agent !== undefined) args.agent = values.agent;
  if (values.base !== undefined) {
    if (values.base.trim() === "") throw new CliError("--base needs a branch name");
    args.base = values.base;
  }
  return args;
}

async function run(args: RunArgs, io: CliIo): Promise<number> {
  const env = io.env ?? process.env;
  const repoRoot = await repoRootOf(io.cwd);
  const continuing =
    args.resume || args.retry !== undefined || args.revise !== undefined || args.input !== undefined;
  const previous = continuing ? await readStateFile(localPaths(repoRoot).stateFile) : null;
  const file =
    args.issue === undefined
      ? await chooseTasksFile({ args, repoRoot, cwd: io.cwd, previousFile: previous?.tasksFile })
      : await issueTasksFile({ ref: args.issue, env, repoRoot, io });
  // A path the user wrote is checked against the folder it was written in; the default and the
  // session's recorded file against the repository.
  const source = await readTasksFileAt({
    root: args.file === undefined ? repoRoot : io.cwd,
    fullPath: file,
    // Named as validate and plan name it: as written, else relative to where the user is.
    fileName: args.file ?? (relative(await realpath(io.cwd).catch(() => io.cwd), file) || file),
  });
  if (!source.ok)
    throw new CliError(`cannot read the tasks file ${source.fileName}: ${source.message}`, "failed");
  const { text } = source;
  const parsed = parseTasksFile({ text, fileName: source.fileName });
  if (!parsed.ok) {
    io.stderr(`The tasks file has problems; nothing was started:\n`);
    for (const issue of parsed.issues) io.stderr(`  ${formatIssue(issue)}\n`);
    return EXIT.failed;
  }
  for (const warning of parsed.warnings) io.stderr(`warning: ${formatIssue(warning)}\n`);

  const agent = await chooseAgent({
    agent: args.agent,
    previousCommand: previous?.agentCommand,
    cwd: io.cwd,
    env,
  });
  // CliIo carries text; the terminal's presence and width pick the live table or plain lines.
  const output: ProgressOutput = {
    write: (chunk: string) => io.stdout(chunk),
    isTTY: io.terminal !== undefined,
    ...(io.terminal?.columns === undefined ? {} : { columns: io.terminal.columns }),
    ...(io.terminal?.rows === undefined ? {} : { rows: io.terminal.rows }),
  };
  const colour = wantsColour(io);
  const reporter = createProgressReporter({ output, colour });
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
    io.stderr(
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
      ...(args.retry === undefined ? {} : { retry: args.retry }),
      ...(args.revise === undefined ? {} : { revise: args.revise }),
      ...(args.input === undefined ? {} : { input: args.input }),
      env,
      reporter,
      signal: controller.signal,
      ...(args.parallel === undefined ? {} : { parallel: args.parallel }),
      ...(args.base === undefined ? {} : { baseBranch: args.base }),
      ...(args.resetExisting ? { resetExisting: true } : {}),
    });
    reporter.close();
    io.stdout(
      finalSummary({
        state: result.state,
        graph: result.graph,
        paths: result.paths,
        status: result.status,
        cwd: io.cwd,
        colour,
      }),
    );
    return result.exitCode;
  } finally {
    reporter.close();
    signals.off("SIGINT", onSignal);
    signals.off("SIGTERM", onSignal);
  }
}

/** The issue graph as a tasks file in .orchestrator/issues/ (its notes on stderr). */
async function issueTasksFile(input: {
  ref: IssueRef;
  env: NodeJS.ProcessEnv;
  repoRoot: string;
  io: CliIo;
}): Promise<string> {
  try {
    const written = await writeIssueTasksFile({ ref: input.ref, env: input.env, repoRoot: input.repoRoot });
    for (const note of written.notes) input.io.stderr(`${note}\n`);
    return written.path;
  } catch (error) {
    if (error instanceof IssueTasksError) throw new CliError(error.message, "failed");
    throw error;
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
  const found = await findDefaultTasksFile(input.repoRoot);
  if (found !== null) return found.fullPath;
  const candidates = DEFAULT_TASKS_FILES.map((name) => join(input.repoRoot, name));
  throw new CliError(
    `no tasks file given and none found at ${candidates.join(", ")}. Pass the file: orchestrator run path/to/tasks.json`,
  );
}
