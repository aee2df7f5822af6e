import { constants } from "node:fs";
import { lstat, open, realpath, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { MAX_FILE_BYTES, SYMLINK_REASON, formatMegabytes, tooLargeReason } from "../core/parse-tasks-file.js";
import { DEFAULT_TASKS_FILES } from "../core/session-options.js";
import { repoRootOf } from "../local/repo-info.js";

export type ReadTasksFileResult =
  { ok: true; text: string; fileName: string } | { ok: false; fileName: string; message: string };

/**
 * Reads the tasks file named on the command line, or the first of DEFAULT_TASKS_FILES that exists
 * at the repository root — found from any folder inside it, as `orchestrator run` does — or, outside
 * a git repository, in `cwd`. `fileName` is the path as the user wrote it, or the found file's path
 * relative to `cwd` (`../tasks/tasks.json` from a subfolder), for messages.
 */
export async function readTasksFile(args: {
  cwd: string;
  file?: string | undefined;
}): Promise<ReadTasksFileResult> {
  if (args.file !== undefined) {
    return readTasksFileAt({
      root: args.cwd,
      fullPath: path.resolve(args.cwd, args.file),
      fileName: args.file,
    });
  }
  // Paths with links resolved on both sides, as git reports the root, so `relative` is right.
  const here = await realpath(args.cwd).catch(() => args.cwd);
  const root = await defaultTasksFileRoot(here);
  const shown = (fullPath: string) => path.relative(here, fullPath) || ".";
  const found = await findDefaultTasksFile(root);
  if (found !== null)
    return readTasksFileAt({ root, fullPath: found.fullPath, fileName: shown(found.fullPath) });
  return {
    ok: false,
    fileName: shown(path.join(root, DEFAULT_TASKS_FILES[0])),
    message:
      `no tasks file found: looked for ${DEFAULT_TASKS_FILES.join(", ")} in ${root}` +
      `${root === here ? "" : " (the repository root)"}; create one or pass its path`,
  };
}

/** Where the default tasks file is looked for: the git repository's root, else `dir` itself. */
async function defaultTasksFileRoot(dir: string): Promise<string> {
  try {
    return await repoRootOf(dir);
  } catch {
    // Not in a repository (or no git at all): validate and plan still work on a plain folder.
    return dir;
  }
}

/**
 * Reads one tasks file from disk, safely for a file that came with a repository someone else wrote:
 * - a symbolic link is refused, whatever it points to (`tasks.json -> /dev/zero` or `-> ~/.ssh/…`);
 *   the same rule as the App and the Action, which read the file from git where a link is not a file;
 * - a path that lies inside `root` on paper (the repository, or the current folder) must still lie
 *   inside it once its folders' links are resolved, so a linked folder cannot lead the read elsewhere;
 *   a path the user wrote outside `root` (absolute, or `../…`) is the user's own choice;
 * - only a regular file is read (not a named pipe, a device or a socket), and at most
 *   MAX_FILE_BYTES of it, through one handle: no unbounded read, nothing that can block.
 * Messages name the path as the user gave it, never where a link points nor what it holds.
 */
export async function readTasksFileAt(args: {
  root: string;
  fullPath: string;
  fileName: string;
}): Promise<ReadTasksFileResult> {
  const { fileName } = args;
  const fail = (message: string): ReadTasksFileResult => ({ ok: false, fileName, message });
  let handle: FileHandle | undefined;
  try {
    const info = await lstat(args.fullPath);
    if (info.isSymbolicLink()) return fail(SYMLINK_REASON);
    const realFile = await realFilePath(args.fullPath);
    if (isInside(args.root, args.fullPath) && !isInside(await realpath(args.root), realFile)) {
      return fail(
        "lies in a linked folder that leads outside the repository; a tasks file must be inside it",
      );
    }
    // O_NOFOLLOW: a link put in place after the check above is refused by the open itself.
    // O_NONBLOCK: opening a named pipe returns at once instead of waiting for a writer.
    handle = await open(realFile, OPEN_FLAGS);
    const opened = await handle.stat();
    if (opened.isDirectory()) return fail("is a directory, not a tasks file");
    if (!opened.isFile())
      return fail(`is ${describeSpecialFile(opened)}, not a regular file; a tasks file must be one`);
    if (opened.size > MAX_FILE_BYTES) return fail(tooLargeReason(opened.size));
    const bytes = await readAtMost(handle, MAX_FILE_BYTES);
    // The file grew since it was measured: still no more than the limit was read.
    if (bytes === null)
      return fail(
        `the file is over ${formatMegabytes(MAX_FILE_BYTES)}; the limit is ${formatMegabytes(MAX_FILE_BYTES)}`,
      );
    try {
      return { ok: true, fileName, text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
    } catch {
      return fail("the file is not UTF-8 text");
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return fail("file not found");
    if (code === "ELOOP") return fail(SYMLINK_REASON);
    if (code === "EACCES" || code === "EPERM") return fail("cannot read the file: permission denied");
    if (code === "EISDIR") return fail("is a directory, not a tasks file");
    // Node's message repeats the resolved path; the code says enough.
    return fail(`cannot read the file (${typeof code === "string" ? code : "unknown error"})`);
  } finally {
    await handle?.close();
  }
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** The folders resolved (links included), the last part kept as it is so that it is not followed. */
async function realFilePath(fullPath: string): Promise<string> {
  return path.join(await realpath(path.dirname(fullPath)), path.basename(fullPath));
}

/** Up to `limit` bytes; `null` if the file holds more than that. Reads in chunks, never past limit + 1. */
async function readAtMost(handle: FileHandle, limit: number): Promise<Uint8Array | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total <= limit) {
    const chunk = Buffer.alloc(Math.min(64 * 1024, limit + 1 - total));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
  }
  return total > limit ? null : Buffer.concat(chunks, total);
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return (
    relative === "" ||
    (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
}

function describeSpecialFile(info: { isFIFO(): boolean; isSocket(): boolean }): string {
  if (info.isFIFO()) return "a named pipe";
  if (info.isSocket()) return "a socket";
  return "a device";
}

/**
 * The first default tasks file in `dir` (`tasks/tasks.json`, then the YAML names), or null.
 * Found by lstat: a link named like one is found, then refused by the reader with a clear message.
 */
export async function findDefaultTasksFile(dir: string): Promise<{ name: string; fullPath: string } | null> {
  for (const name of DEFAULT_TASKS_FILES) {
    const fullPath = path.resolve(dir, name);
    if (await exists(fullPath)) return { name, fullPath };
  }
  return null;
}

async function exists(fullPath: string): Promise<boolean> {
  try {
    await lstat(fullPath);
    return true;
  } catch {
    return false;
  }
}
