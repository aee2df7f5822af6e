import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";

/** What `.env` gave: its path and how many of its variables were set (never their values). */
export interface EnvFileRead {
  path: string;
  /** Variables taken from the file. */
  set: number;
  /** Variables the file also names but the environment already had: the environment's value stays. */
  kept: number;
}

/** `.env` exists but could not be read: starting without it would run on the wrong settings. */
export class EnvFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnvFileError";
  }
}

/**
 * Reads `.env` from `cwd` into `env` when the file exists, parsed as `node --env-file` and dotenv
 * parse it (`KEY=value`, `#` comments, single or double quotes, `\n` in double quotes). A
 * variable already set in the environment is never replaced: a deployment's own settings win
 * over a file left in the directory. Returns undefined when there is no `.env`.
 */
export function readDotEnv(args: { cwd: string; env: NodeJS.ProcessEnv }): EnvFileRead | undefined {
  const path = join(args.cwd, ".env");
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "unreadable";
    if (code === "ENOENT") return undefined;
    throw new EnvFileError(`cannot read ${path} (${code})`);
  }
  const read: EnvFileRead = { path, set: 0, kept: 0 };
  for (const [name, value] of Object.entries(parseEnv(content))) {
    if (value === undefined) continue;
    if (args.env[name] !== undefined) {
      read.kept++;
      continue;
    }
    args.env[name] = value;
    read.set++;
  }
  return read;
}

/** The start log's line about `.env`: which file, how many variables, never a value. */
export function describeEnvFile(read: EnvFileRead | undefined): string {
  if (read === undefined) return "no .env in the working directory; settings come from the environment";
  const kept = read.kept === 0 ? "" : `; ${read.kept} already set in the environment kept their values`;
  return `read settings from ${read.path} (${read.set} variables${kept})`;
}
