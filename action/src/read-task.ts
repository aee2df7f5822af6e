import path from "node:path";
import {
  MAX_FILE_BYTES,
  SYMLINK_REASON,
  formatMegabytes,
  parseTasksFile,
} from "../../src/core/parse-tasks-file.js";
import type { TaskRunRequest } from "../../src/core/dispatch-inputs.js";
import { formatIssue } from "../../src/core/validation-issue.js";
import { git } from "../../src/runner/git.js";
import { ActionFailure } from "./action-failure.js";

export interface TaskToRun {
  id: string;
  name: string;
  prompt: string;
  /** Where the prompt came from, for the PR body and the log. */
  source: string;
  /** The task's `reset_existing`: it may replace a branch holding others' commits. */
  resetExisting?: boolean;
}

/**
 * The task's prompt: the inline `prompt` input if given (quick starts, manual runs), else the task
 * of that id in the tasks file as it was at `tasks_ref` — the session's commit, not the checkout,
 * so a tasks file edited after the session started cannot change a running session.
 */
export async function readTask(args: {
  cwd: string;
  request: TaskRunRequest;
  remote: string;
  /**
   * For the git commands that may fetch from the remote, and only them (see `remoteAccess`): the
   * fetch of `tasks_ref`, and reading the file, whose contents a partial clone fetches on demand.
   */
  remoteEnv?: Record<string, string> | undefined;
}): Promise<TaskToRun> {
  const { request } = args;
  if (request.prompt !== undefined) {
    return { id: request.taskId, name: request.taskId, prompt: request.prompt, source: "the prompt input" };
  }
  if (request.tasksRef === undefined) {
    throw new ActionFailure(
      "bad_input",
      'input "tasks_ref": give the commit to read the tasks file at, or the task\'s text in "prompt"',
    );
  }
  const text = await showFile({ ...args, ref: request.tasksRef, file: request.tasksFile });
  const parsed = parseTasksFile({ text, fileName: request.tasksFile });
  if (!parsed.ok) {
    const issues = parsed.issues.slice(0, 5).map(formatIssue);
    throw new ActionFailure(
      "tasks_file_invalid",
      `The tasks file ${request.tasksFile} at ${short(request.tasksRef)} is not valid: ${issues.join("; ")}`,
    );
  }
  const task = parsed.file.tasks.find((candidate) => candidate.id === request.taskId);
  if (task === undefined) {
    throw new ActionFailure(
      "task_not_found",
      `The tasks file ${request.tasksFile} at ${short(request.tasksRef)} has no task "${request.taskId}".`,
    );
  }
  return {
    id: task.id,
    name: task.name ?? task.id,
    prompt: task.prompt,
    source: `${request.tasksFile} at ${short(request.tasksRef)}`,
    ...(task.reset_existing === true ? { resetExisting: true } : {}),
  };
}

/**
 * `git show <ref>:<file>`. The commit may not be in the checkout (a session started with --ref on
 * another branch), so it is fetched by sha when missing; GitHub serves reachable commits by sha.
 */
async function showFile(args: {
  cwd: string;
  remote: string;
  remoteEnv?: Record<string, string> | undefined;
  ref: string;
  file: string;
}): Promise<string> {
  const { cwd, remote, ref, file } = args;
  const present = await git(["cat-file", "-e", `${ref}^{commit}`], { cwd, okExitCodes: [1, 128] });
  if (present.exitCode !== 0) {
    const fetched = await git(["fetch", "--no-tags", "--quiet", remote, ref], {
      cwd,
      okExitCodes: [1, 128],
      env: args.remoteEnv,
    });
    if (fetched.exitCode !== 0) {
      throw new ActionFailure(
        "bad_input",
        `input "tasks_ref": the commit ${ref} is not in this repository (${fetched.stderr.trim() || "fetch failed"}).`,
      );
    }
  }
  // The tree entry first: a symbolic link's blob is its target's path (which `git show` would print
  // and the parser would echo), and a blob's size is known before it is read. In a partial clone
  // (the task workflow's checkout has every tree but not old contents) the size and the contents
  // are fetched on demand, with the credentials.
  const listed = await git(["ls-tree", "--full-tree", "-l", "-z", ref, "--", file], {
    cwd,
    okExitCodes: [128],
    env: args.remoteEnv,
  });
  const entry = treeEntry(listed.stdout, file);
  if (listed.exitCode !== 0 || entry === undefined || entry.type !== "blob") {
    throw new ActionFailure(
      "task_not_found",
      `The tasks file ${file} does not exist at ${short(ref)}: check the tasks_file input (or --file).`,
    );
  }
  if (entry.mode === SYMLINK_MODE || entry.size > MAX_FILE_BYTES) {
    const why =
      entry.mode === SYMLINK_MODE
        ? SYMLINK_REASON
        : `is ${formatMegabytes(entry.size)}; the limit is ${formatMegabytes(MAX_FILE_BYTES)}`;
    throw new ActionFailure("tasks_file_invalid", `The tasks file ${file} at ${short(ref)} ${why}.`);
  }
  return (await git(["cat-file", "blob", entry.sha], { cwd, env: args.remoteEnv })).stdout;
}

const SYMLINK_MODE = "120000";

/** `<mode> <type> <sha> <size>\t<path>` for exactly `file` in `git ls-tree -l -z` output. */
function treeEntry(
  output: string,
  file: string,
): { mode: string; type: string; sha: string; size: number } | undefined {
  const wanted = path.posix.normalize(file).replace(/^\.\//, "");
  for (const record of output.split("\0")) {
    const match = /^(\d+) (\w+) ([0-9a-f]+) +(\d+|-)\t(.*)$/s.exec(record);
    if (match?.[5] !== wanted) continue;
    const [, mode = "", type = "", sha = "", size = "-"] = match;
    return { mode, type, sha, size: size === "-" ? 0 : Number(size) };
  }
  return undefined;
}

function short(ref: string): string {
  return /^[0-9a-f]{40}$/i.test(ref) ? ref.slice(0, 12) : ref;
}
