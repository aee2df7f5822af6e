import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * One executor per repository at a time: two would start the same tasks in the same worktrees.
 * The lock file holds the owner's pid; a lock whose process is gone (killed with -9) is stale
 * and taken over, which is what makes `--resume` after a crash work without manual cleanup.
 *
 * The file appears whole or not at all: it is written under another name and hard-linked into
 * place (a link fails if the name exists), so no one ever reads a half-written lock and takes it
 * for a stale one. A stale lock is moved aside before it is replaced; whoever moved a lock that
 * turns out to be live (another process took it over in between) puts it back.
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
    await moveAsideIfStale(path, owner);
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

async function moveAsideIfStale(path: string, staleOwner: number | null): Promise<void> {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.stale`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // someone else moved it
    throw error;
  }
  const moved = await readOwner(aside);
  if (moved !== staleOwner && moved !== undefined) {
    // Between our read and our move another process took the lock over: give it back.
    await link(aside, path).catch(() => undefined);
  }
  await rm(aside, { force: true });
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
