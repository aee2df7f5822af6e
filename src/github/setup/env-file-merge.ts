import { randomBytes } from "node:crypto";
import {
  accessSync,
  closeSync,
  constants,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

/**
 * Writing the App's settings into `.env` without disturbing what the user keeps there: every line
 * that does not set one of the written keys stays byte for byte (comments, blank lines, other
 * settings, their quoting); a line that sets a written key is replaced in place, further lines
 * for the same key are dropped (the file would otherwise say two things), and keys not in the
 * file yet are appended.
 *
 * Values are double-quoted on one line with line breaks written as `\n`, which both readers of
 * `.env` take: `node:util` `parseEnv` (`env-file.ts`) turns `\n` back into a line break, and a
 * POSIX shell (`set -a; . ./.env`) keeps it as backslash-n, which `loadServerConfig` reads as a
 * line break in a PEM key. Only values both read identically are written: a quote, backslash,
 * `$`, backtick or other control character would mean different things to the two, so such a
 * value is refused rather than written wrongly (GitHub's ids, keys and secrets have none).
 */

/** A setting that could not be written safely; names the key, never the value. */
export class EnvValueError extends Error {
  constructor(readonly key: string) {
    super(
      `${key} holds characters that cannot be written to .env safely (a quote, backslash, $ or control character)`,
    );
    this.name = "EnvValueError";
  }
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A line that sets `KEY` (optionally `export KEY`), as parseEnv and the shell see it. */
const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/;

/** `"value"` with line breaks as `\n`; throws EnvValueError for what cannot be quoted safely. */
export function quoteEnvValue(key: string, value: string): string {
  const text = value.replace(/\r\n/g, "\n");
  // Line breaks aside, only printable characters that mean the same inside double quotes to
  // both parseEnv and sh may be written (a backslash would make a literal "\n" a line break).
  // eslint-disable-next-line no-control-regex
  if (/["\\$`\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) throw new EnvValueError(key);
  return `"${text.replace(/\n/g, "\\n")}"`;
}

/** The file's new text: `existing` with the lines of `values`' keys replaced or appended. */
export function mergeEnvText(existing: string, values: Readonly<Record<string, string>>): string {
  for (const key of Object.keys(values)) {
    if (!KEY.test(key)) throw new Error(`not a variable name: ${key}`);
  }
  const lines = existing === "" ? [] : existing.split("\n");
  // A trailing newline leaves one empty last element: keep it as the end of the file.
  const endsWithNewline = existing.endsWith("\n");
  if (endsWithNewline) lines.pop();
  const written = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const key = ASSIGNMENT.exec(line)?.[1];
    const value = key === undefined ? undefined : values[key];
    if (key === undefined || value === undefined) {
      out.push(line);
      continue;
    }
    if (written.has(key)) continue;
    written.add(key);
    out.push(`${key}=${quoteEnvValue(key, value)}${line.endsWith("\r") ? "\r" : ""}`);
  }
  for (const [key, value] of Object.entries(values)) {
    if (!written.has(key)) out.push(`${key}=${quoteEnvValue(key, value)}`);
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/** `.env` could not be read or written; names the file and the system's code, never a value. */
export class EnvWriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`could not write ${path} (${code})`);
    this.name = "EnvWriteError";
  }
}

/**
 * Merges `values` into `<cwd>/.env` and returns its path. The new file is written beside it with
 * mode 0600 (it holds the App's private key), synced, then renamed over the old one, so a crash
 * leaves either the old file or the new one, never half of either.
 */
export function writeEnvValues(cwd: string, values: Readonly<Record<string, string>>): string {
  const path = join(cwd, ".env");
  let existing = "";
  try {
    existing = readFileSync(path, "utf8");
    // The rename below would replace a read-only file; a read-only .env is the user's choice.
    accessSync(path, constants.W_OK);
  } catch (error) {
    const code = errorCode(error);
    if (code !== "ENOENT") throw new EnvWriteError(path, code);
  }
  const text = mergeEnvText(existing, values);
  const temporary = join(cwd, `.env.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const fd = openSync(temporary, "wx", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new EnvWriteError(path, errorCode(error));
  }
  return path;
}

function errorCode(error: unknown): string {
  return error instanceof Error && "code" in error ? String(error.code) : "unknown error";
}
