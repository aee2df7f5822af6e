import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { main } from "../../src/cli.js";
import type { CliIo } from "../../src/cli/cli-io.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI_PATH = path.join(REPO_ROOT, "src/cli.ts");
// `node --import tsx` resolves "tsx" from the working directory; tests run in temp dirs, so use its path.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI in its own process, as a user runs it (`node --import tsx src/cli.ts ...`). */
export function spawnCli(args: string[], options: { cwd: string }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", TSX_LOADER, CLI_PATH, ...args],
      { cwd: options.cwd, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") reject(error);
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * `main` in this process with captured output: the same code path, without a process start.
 * `tty`: a terminal 100 columns wide instead of a pipe; `env`: instead of this process's.
 */
export async function runCli(
  args: string[],
  options: { cwd: string; tty?: boolean; env?: NodeJS.ProcessEnv },
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    cwd: options.cwd,
    ...(options.env ? { env: options.env } : {}),
    ...(options.tty ? { terminal: { columns: 100 } } : {}),
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

const created: string[] = [];

/** A temp project directory with the given files (paths relative to it). */
export function projectWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "orchestrator-cli-"));
  created.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** A temp project holding a copy of the example tasks file at tasks/tasks.json. */
export function projectWithExample(): string {
  const dir = projectWith({});
  mkdirSync(path.join(dir, "tasks"));
  cpSync(path.join(REPO_ROOT, "tasks/tasks.json"), path.join(dir, "tasks/tasks.json"));
  return dir;
}

/** Removes every project made by this module; call from afterAll. */
export function removeProjects(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}
