import { execFile } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { ActionFailure } from "./action-failure.js";

export const CLAUDE_CODE_PACKAGE = "@anthropic-ai/claude-code";

export interface ClaudeInstallation {
  path: string;
  version: string;
  /** Found on PATH, found in the tool cache from an earlier job, or installed now. */
  source: "path" | "cache" | "installed";
}

/** Runs npm with these arguments; injectable so tests never reach a registry. */
export type NpmInstaller = (args: readonly string[]) => Promise<void>;

export interface InstallClaudeOptions {
  /** Exact version to run, e.g. "2.1.330": a task's behaviour should not change under it. */
  version: string;
  /** `$RUNNER_TOOL_CACHE`: kept between jobs on self-hosted runners, and cacheable on hosted ones. */
  toolCacheDir: string;
  /** Where to look for an installed `claude`. */
  pathVariable: string | undefined;
  npm?: NpmInstaller;
  log?: (message: string) => void;
}

/**
 * The pinned Claude Code CLI: `claude` on PATH if it is that exact version, else the copy in the
 * tool cache, else a fresh `npm install` of that version into the tool cache.
 */
export async function installClaude(options: InstallClaudeOptions): Promise<ClaudeInstallation> {
  const log = options.log ?? (() => undefined);
  const { version } = options;
  for (const dir of (options.pathVariable ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, "claude");
    if (!(await isExecutable(candidate))) continue;
    const found = await versionOf(candidate);
    if (found === version) return { path: candidate, version, source: "path" };
    log(`Ignoring ${candidate}: it is version ${found ?? "unknown"}, the task needs ${version}.`);
    break; // only the first `claude` on PATH is what a user would run
  }

  const prefix = claudeInstallPrefix(options.toolCacheDir, version);
  const cached = join(prefix, "node_modules", ".bin", "claude");
  if ((await isExecutable(cached)) && (await versionOf(cached)) === version) {
    return { path: cached, version, source: "cache" };
  }

  log(`Installing ${CLAUDE_CODE_PACKAGE}@${version} into ${prefix}`);
  const npm = options.npm ?? runNpm;
  try {
    await npm(npmInstallArgs(prefix, version));
  } catch (error) {
    throw new ActionFailure(
      "install_failed",
      `Could not install ${CLAUDE_CODE_PACKAGE}@${version} with npm: ${error instanceof Error ? error.message : String(error)}. ` +
        `Check the claude-code-version input, or install the CLI in an earlier step so it is on PATH.`,
      { cause: error },
    );
  }
  const installed = await versionOf(cached);
  if (installed !== version) {
    throw new ActionFailure(
      "install_failed",
      `npm installed ${CLAUDE_CODE_PACKAGE}@${version}, but ${cached} reports version ${installed ?? "nothing"}.`,
    );
  }
  return { path: cached, version, source: "installed" };
}

/**
 * Where one version lives in the tool cache. The task workflow restores and saves this directory
 * with actions/cache (and installs into it on a miss), so it must stay what the workflow says:
 * `$RUNNER_TOOL_CACHE/claude-code/$CLAUDE_CODE_VERSION` (test/action/workflows.test.ts).
 */
export function claudeInstallPrefix(toolCacheDir: string, version: string): string {
  return join(toolCacheDir, "claude-code", version);
}

/** `npm <args>` that installs `version` under `prefix`; the workflow's install step runs the same. */
export function npmInstallArgs(prefix: string, version: string): string[] {
  return [
    "install",
    "--prefix",
    prefix,
    "--no-save",
    "--no-package-lock",
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
    `${CLAUDE_CODE_PACKAGE}@${version}`,
  ];
}

/** "2.1.330 (Claude Code)" → "2.1.330"; undefined when the binary does not answer. */
export function versionOf(path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(path, ["--version"], { timeout: 30_000, encoding: "utf8" }, (error, stdout) => {
      if (error) return resolve(undefined);
      resolve(/^\s*v?([0-9]+\.[0-9]+\.[0-9]+\S*)/.exec(stdout)?.[1]);
    });
  });
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function runNpm(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      "npm",
      [...args],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (error) return reject(new Error(stderr.trim().split("\n").slice(-5).join(" ") || error.message));
        resolve();
      },
    );
  });
}
