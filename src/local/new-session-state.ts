import { createHash, randomBytes } from "node:crypto";
import { isAbsolute, relative } from "node:path";
import type { TaskGraph } from "../core/task-graph.js";
import { RepoError, currentBranch } from "./repo-info.js";
import { STATE_VERSION, type LocalSessionState } from "./state-file.js";

/** The state of a session that has not run anything yet. */
export function newLocalSessionState(args: {
  graph: TaskGraph;
  tasksFile: string;
  tasksFileText: string;
  baseBranch: string;
  now: string;
}): LocalSessionState {
  return {
    version: STATE_VERSION,
    sessionId: newSessionId(args.now),
    tasksFile: args.tasksFile,
    tasksFileSha256: sha256(args.tasksFileText),
    taskDigests: taskDigests(args.graph),
    baseBranch: args.baseBranch,
    maxParallel: 1,
    startedAt: args.now,
    updatedAt: args.now,
    tasks: {},
    runs: Object.fromEntries(args.graph.tasks.map((task) => [task.id, { branch: task.branch }])),
  };
}

/**
 * A digest of each task's definition as the graph resolved it (prompt, options, dependencies,
 * branch): `--retry` tells from these which tasks were edited since the session started.
 */
export function taskDigests(graph: TaskGraph): Record<string, string> {
  return Object.fromEntries(graph.tasks.map((task) => [task.id, sha256(JSON.stringify(task))]));
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The base branch: the one asked for, else the branch checked out. */
export async function chooseBaseBranch(repoRoot: string, wanted: string | undefined): Promise<string> {
  if (wanted !== undefined) return wanted;
  const current = await currentBranch(repoRoot);
  if (current === null) {
    throw new RepoError(
      "HEAD is detached, so there is no current branch to build on. Pass --base <branch> or set base_branch in the tasks file.",
    );
  }
  return current;
}

/** A path as the user should see it: relative to the repository root when inside it. */
export function shownPath(repoRoot: string, file: string): string {
  const inside = relative(repoRoot, file);
  return inside !== "" && !inside.startsWith("..") && !isAbsolute(inside) ? inside : file;
}

function newSessionId(now: string): string {
  const stamp = now.replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
  return `local-${stamp}-${randomBytes(3).toString("hex")}`;
}
