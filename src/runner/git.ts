import { execFile } from "node:child_process";

export interface GitOptions {
  cwd: string;
  /** Added to the inherited environment (e.g. an author identity for one commit). */
  env?: Record<string, string> | undefined;
  /** Exit codes that are answers rather than failures, e.g. `[1]` for `git diff --quiet`. */
  okExitCodes?: readonly number[];
  /** Written to git's stdin (e.g. the names for `cat-file --batch-check`, one per line). */
  input?: string;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Git itself failed: the command, its exit code and what it said, for logs and task failures. */
export class GitError extends Error {
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  readonly stdout: string;

  constructor(details: { args: readonly string[]; exitCode: number | null; stderr: string; stdout: string }) {
    const said = redactCredentials(details.stderr.trim() || details.stdout.trim()) || "no output";
    const code = details.exitCode === null ? "could not run" : `exit ${details.exitCode}`;
    super(`git ${redactCredentials(details.args.join(" "))} failed (${code}): ${said}`);
    this.name = "GitError";
    this.args = details.args;
    this.exitCode = details.exitCode;
    this.stderr = details.stderr;
    this.stdout = details.stdout;
  }
}

/**
 * The environment every git call gets on top of the inherited one. English messages because a few
 * callers read stderr; no terminal prompt because a runner has nobody to answer it (a missing
 * credential must fail, not hang until the job times out).
 */
const FIXED_ENV = { LC_ALL: "C", GIT_TERMINAL_PROMPT: "0" } as const;

/**
 * Settings for the commits the runner makes itself (task work, dependency merges): unsigned,
 * because a runner has no key at hand, and without the automatic maintenance git would start
 * after each one: a process per commit, and a gc started in the user's repository while other
 * tasks' git commands run beside it. The user's own git commands still run it.
 */
export const RUNNER_COMMIT_CONFIG = ["-c", "commit.gpgsign=false", "-c", "maintenance.auto=false"] as const;

/**
 * Git configuration carried by the environment (`GIT_CONFIG_COUNT`, `GIT_CONFIG_KEY_<n>`,
 * `GIT_CONFIG_VALUE_<n>`), for the one git process it is given to: it outranks every config file,
 * is never written to one, and, unlike `-c`, does not show in the command line (`ps`, messages).
 * How credentials reach only the git commands that need them.
 */
export function configEnv(
  entries: ReadonlyArray<readonly [key: string, value: string]>,
): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  return env;
}

/** Runs `git <args>` in `cwd` with an argument array (never a shell string). */
export function git(args: readonly string[], options: GitOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env, ...FIXED_ENV },
        maxBuffer: 256 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        // execFile reports a non-zero exit as an error whose `code` is the exit code; a spawn
        // failure (git not installed, missing cwd) has a string code such as "ENOENT".
        const exitCode = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        if (exitCode !== null && (exitCode === 0 || options.okExitCodes?.includes(exitCode))) {
          resolve({ stdout, stderr, exitCode });
          return;
        }
        const spawnProblem = exitCode === null && error ? `${error.message}\n` : "";
        reject(new GitError({ args, exitCode, stderr: spawnProblem + stderr, stdout }));
      },
    );
    // A git that fails before reading all of its input closes the pipe (EPIPE): its exit code
    // and stderr, reported above, say why.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(options.input);
  });
}

/**
 * The commit each name resolves to (as `rev-parse --verify "<name>^{commit}"`), or null when it
 * names none: any number of names with one git process.
 */
export async function resolveCommits(
  names: readonly string[],
  options: Pick<GitOptions, "cwd">,
): Promise<Array<string | null>> {
  if (names.length === 0) return [];
  const { stdout } = await git(["cat-file", "--batch-check=%(objectname)"], {
    cwd: options.cwd,
    input: names.map((name) => `${name}^{commit}\n`).join(""),
  });
  // One line per name, in order: the object name, or "<name>^{commit} missing" (or "ambiguous").
  const lines = stdout.split("\n");
  return names.map((_, i) => {
    const line = lines[i] ?? "";
    return /^[0-9a-f]{40,64}$/.test(line) ? line : null;
  });
}

/** Whether `ancestor` is `of` or an ancestor of it; false also when either is not a known commit. */
export async function isAncestor(cwd: string, ancestor: string, of: string): Promise<boolean> {
  const { exitCode } = await git(["merge-base", "--is-ancestor", ancestor, of], {
    cwd,
    okExitCodes: [1, 128],
  });
  return exitCode === 0;
}

/** First line of stdout, trimmed: for commands that answer with one value (a sha, a path). */
export async function gitValue(args: readonly string[], options: GitOptions): Promise<string> {
  const { stdout } = await git(args, options);
  return stdout.trim();
}

/** Splits `-z` output into its entries. */
export function splitNul(output: string): string[] {
  return output.split("\0").filter((entry) => entry.length > 0);
}

/** The environment that makes author and committer `who` (merges and commits alike). */
export function identityEnv(who: { name: string; email: string }): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: who.name,
    GIT_AUTHOR_EMAIL: who.email,
    GIT_COMMITTER_NAME: who.name,
    GIT_COMMITTER_EMAIL: who.email,
  };
}

/** Remote URLs may carry a token (`https://x-access-token:…@github.com/…`): keep it out of messages. */
export function redactCredentials(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, "$1***@");
}
