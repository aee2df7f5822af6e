import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { delimiter, isAbsolute, join, resolve, sep } from "node:path";
import { CliError } from "./cli-error.js";

/**
 * The agent command with its program checked before any task starts, so a typo fails once with
 * the path in it rather than skipping every task of the graph one by one.
 *
 * A program with a slash (`./my-agent.sh`, `bin/agent`, `/opt/agent`) is a path: a relative one
 * is taken from the directory the user ran `orchestrator run` in (`cwd`), not from each task's
 * worktree where the agent later runs, and becomes absolute. A bare name (`my-agent`) is looked up
 * on PATH when the task starts, as a shell would; here it is only checked that PATH has it.
 */
export async function resolveAgentProgram(args: {
  command: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** What the user wrote, for messages (`--agent`, or the resumed session's command). */
  source: string;
  /** `usage` for `--agent` (exit 2); `failed` for a recorded command the user did not just type. */
  errorKind?: "usage" | "failed" | undefined;
}): Promise<string[]> {
  const fail = (message: string) => new CliError(`${args.source}: ${message}`, args.errorKind ?? "usage");
  const [program, ...rest] = args.command;
  if (program === undefined) throw fail("the agent command is empty");
  if (isPath(program)) {
    const full = resolve(args.cwd, program);
    const shown = full === program ? program : `${program} (resolved to ${full})`;
    const problem = await executableProblem(full);
    if (problem !== null) throw fail(`the agent ${shown} ${problem}`);
    return [full, ...rest];
  }
  if ((await findOnPath(program, args.env)) === null) {
    throw fail(
      `the agent command ${program} was not found on PATH. ` +
        `Give its path (for example ./${program} for a file in this directory) or add its folder to PATH.`,
    );
  }
  return [program, ...rest];
}

function isPath(program: string): boolean {
  return program.includes("/") || program.includes(sep) || isAbsolute(program);
}

/** Why `path` cannot be run as a program, or null if it can. */
async function executableProblem(path: string): Promise<string | null> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return "does not exist";
  }
  if (info.isDirectory()) return "is a directory, not a program";
  if (!info.isFile()) return "is not a regular file";
  const runnable = await access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
  return runnable
    ? null
    : "is not executable (chmod +x it, or name its interpreter: --agent 'bash ./agent.sh')";
}

/** The first executable file named `name` in a PATH folder, or null. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const path = join(dir, name);
    if ((await executableProblem(path)) === null) return path;
  }
  return null;
}
