import { join } from "node:path";
import { ORCHESTRATOR_DIR } from "../runner/commit-task-work.js";

/**
 * Where the local executor keeps its files, all inside the repository's `.orchestrator/` folder
 * (git-ignored): the state file, a lock, one log per task and one worktree per task. Keeping them
 * in the project rather than in a temp or home folder means `--resume` finds them again, and
 * deleting the folder is a complete reset.
 */
export interface LocalPaths {
  repoRoot: string;
  dir: string;
  stateFile: string;
  lockFile: string;
  logsDir: string;
  worktreesDir: string;
  worktree: (taskId: string) => string;
  log: (taskId: string) => string;
}

export function localPaths(repoRoot: string): LocalPaths {
  const dir = join(repoRoot, ORCHESTRATOR_DIR);
  const logsDir = join(dir, "logs");
  const worktreesDir = join(dir, "worktrees");
  return {
    repoRoot,
    dir,
    stateFile: join(dir, "state.json"),
    lockFile: join(dir, "run.lock"),
    logsDir,
    worktreesDir,
    // Task ids are restricted to letters, digits, '.', '_' and '-' (tasks schema): safe as names.
    worktree: (taskId) => join(worktreesDir, taskId),
    log: (taskId) => join(logsDir, `${taskId}.log`),
  };
}
