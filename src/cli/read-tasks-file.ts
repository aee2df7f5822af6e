import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { MAX_FILE_BYTES } from "../core/parse-tasks-file.js";
import { DEFAULT_TASKS_FILES } from "../core/session-options.js";

export type ReadTasksFileResult =
  { ok: true; text: string; fileName: string } | { ok: false; fileName: string; message: string };

/**
 * Reads the tasks file named on the command line, or the first of DEFAULT_TASKS_FILES that exists.
 * `fileName` is the path as the user wrote it (or the default's relative path), for messages.
 * The size is checked before reading so a huge file is refused without loading it.
 */
export async function readTasksFile(args: {
  cwd: string;
  file?: string | undefined;
}): Promise<ReadTasksFileResult> {
  if (args.file !== undefined) return readOne(args.cwd, args.file);
  for (const candidate of DEFAULT_TASKS_FILES) {
    if (await exists(path.resolve(args.cwd, candidate))) return readOne(args.cwd, candidate);
  }
  return {
    ok: false,
    fileName: DEFAULT_TASKS_FILES[0],
    message:
      `no tasks file found: looked for ${DEFAULT_TASKS_FILES.join(", ")} in ${args.cwd}; ` +
      "create one or pass its path",
  };
}

async function readOne(cwd: string, fileName: string): Promise<ReadTasksFileResult> {
  const fullPath = path.resolve(cwd, fileName);
  const fail = (message: string): ReadTasksFileResult => ({ ok: false, fileName, message });
  try {
    const info = await stat(fullPath);
    if (info.isDirectory()) return fail("is a directory, not a tasks file");
    if (info.size > MAX_FILE_BYTES)
      return fail(`the file is ${megabytes(info.size)}; the limit is ${megabytes(MAX_FILE_BYTES)}`);
    const bytes = await readFile(fullPath);
    try {
      return { ok: true, fileName, text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
    } catch {
      return fail("the file is not UTF-8 text");
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT") return fail("file not found");
    if (code === "EACCES" || code === "EPERM") return fail("cannot read the file: permission denied");
    return fail(`cannot read the file: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function exists(fullPath: string): Promise<boolean> {
  try {
    await stat(fullPath);
    return true;
  } catch {
    return false;
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;
}
