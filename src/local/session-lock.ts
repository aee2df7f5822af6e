import { mkdir, open, readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * One executor per repository at a time: two would start the same tasks in the same worktrees.
 * The lock file holds the owner's pid; a lock whose process is gone (killed with -9) is stale
 * and taken over, which is what makes `--resume` after a crash work without manual cleanup.
 */

export class SessionLockedError extends Error {
  override readonly name = "SessionLockedError";
}

export interface SessionLock {
  release(): Promise<void>;
}

export async function acquireSessionLock(path: string): Promise<SessionLock> {
  await mkdir(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return { release: () => rm(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new SessionLockedError(
        `Another orchestrator run (pid ${owner}) is using this repository. Wait for it to finish or stop it; ` +
          `if that process is not an orchestrator, delete ${path}.`,
      );
    }
    // Stale: its owner is gone. Remove and try again (another process may win the race).
    await rm(path, { force: true });
  }
  throw new SessionLockedError(`Could not take the run lock ${path}; another run keeps taking it.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
