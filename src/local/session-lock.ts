import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * One executor per repository at a time: two would start the same tasks in the same worktrees.
 * The lock file holds the owner's pid; a lock whose process is gone (killed with -9) is stale
 * and taken over, which is what makes `--resume` after a crash work without manual cleanup.
 *
 * The file appears whole or not at all: it is written under another name and hard-linked into
 * place (a link fails if the name exists), so no one ever reads a half-written lock and takes it
 * for a stale one. A stale lock is taken over by one process at a time: the taker holds a second
 * lock (`<lock>.takeover`, made the same way), checks again that the owner is gone, and only then
 * removes the stale lock and makes its own.
 */

export class SessionLockedError extends Error {
  override readonly name = "SessionLockedError";
}

export interface SessionLock {
  release(): Promise<void>;
}

const TRIES = 5;

export async function acquireSessionLock(path: string): Promise<SessionLock> {
  await mkdir(dirname(path), { recursive: true });
  const mine = `${process.pid}\n`;
  for (let attempt = 0; attempt < TRIES; attempt++) {
    if (await createWith(path, mine)) return { release: () => releaseIfOurs(path, mine) };
    const owner = await readOwner(path);
    if (owner === undefined) continue; // released in between: try again
    if (owner !== null && owner !== process.pid && isAlive(owner)) throw lockedBy(owner, path);
    // Its owner is gone (or it names none: left by a crash of an older version).
    await takeOverIfStale(path, owner, mine);
  }
  throw new SessionLockedError(`Could not take the run lock ${path}; another run keeps taking it.`);
}

/** Creates `path` with `content` unless it exists; true if this call created it. */
async function createWith(path: string, content: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temp, content);
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/** The pid in the lock file: undefined when there is no file, null when it names no process. */
async function readOwner(path: string): Promise<number | null | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

async function takeOverIfStale(path: string, staleOwner: number | null, mine: string): Promise<void> {
  const takeover = `${path}.takeover`;
  if (!(await createWith(takeover, mine))) {
    // Someone else is taking it over; their taker lock is stale only if they died doing so.
    const taker = await readOwner(takeover);
    if (taker !== undefined && (taker === null || !isAlive(taker))) await rm(takeover, { force: true });
    return;
  }
  try {
    // Under the takeover lock nobody else moves the lock; a live owner can only have appeared by
    // creating it anew, which the check below sees.
    if ((await readOwner(path)) === staleOwner) await rm(path, { force: true });
  } finally {
    await releaseIfOurs(takeover, mine);
  }
}

async function releaseIfOurs(path: string, mine: string): Promise<void> {
  const text = await readFile(path, "utf8").catch(() => "");
  if (text === mine) await rm(path, { force: true });
}

function lockedBy(owner: number, path: string): SessionLockedError {
  return new SessionLockedError(
    `Another orchestrator run (pid ${owner}) is using this repository. Wait for it to finish or stop it; ` +
      `if that process is not an orchestrator, delete ${path}.`,
  );
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
