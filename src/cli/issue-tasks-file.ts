import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Octokit } from "@octokit/rest";
import { tasksFromIssueGraph } from "../core/issue-graph.js";
import { IssueGraphReadError, readIssueGraph } from "../github/issue-graph/read-issue-graph.js";
import { localPaths } from "../local/local-paths.js";

/**
 * `orchestrator run --issue owner/repo#N`: reads the issue graph from GitHub and writes it as a
 * tasks file under `.orchestrator/issues/`, which the run then reads like any tasks file. A file
 * on disk (rather than a graph in memory) is what makes `--resume` and `--retry` work unchanged:
 * they find the session's tasks file again, and refuse it if it changed.
 */

export interface IssueRef {
  owner: string;
  repo: string;
  number: number;
}

const ISSUE_REF = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})#([1-9][0-9]{0,9})$/;

/** `owner/repo#N`, or undefined when `text` is not one. */
export function parseIssueRef(text: string): IssueRef | undefined {
  const match = ISSUE_REF.exec(text.trim());
  if (match === null || match[2] === "." || match[2] === "..") return undefined;
  return { owner: match[1] as string, repo: match[2] as string, number: Number(match[3]) };
}

export class IssueTasksError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IssueTasksError";
  }
}

export const DEFAULT_API_URL = "https://api.github.com";

/** Runs `gh` with arguments (no shell); resolves its stdout, or undefined if it failed or is absent. */
export type RunGh = (args: readonly string[], env: NodeJS.ProcessEnv) => Promise<string | undefined>;

const runGh: RunGh = (args, env) =>
  new Promise((resolve) => {
    execFile("gh", [...args], { env, timeout: 15_000, maxBuffer: 64 * 1024 }, (error, stdout) => {
      resolve(error ? undefined : stdout);
    });
  });

/** The token: GITHUB_TOKEN, GH_TOKEN, else `gh auth token` (for the API's host when not github.com). */
export async function githubToken(env: NodeJS.ProcessEnv, gh: RunGh = runGh): Promise<string> {
  for (const name of ["GITHUB_TOKEN", "GH_TOKEN"] as const) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== "") return value;
  }
  const apiUrl = env.GITHUB_API_URL ?? DEFAULT_API_URL;
  const host = apiHost(apiUrl);
  const args =
    host === undefined || host === "api.github.com"
      ? ["auth", "token"]
      : ["auth", "token", "--hostname", host];
  const token = (await gh(args, env))?.trim();
  if (token !== undefined && token !== "" && !/\s/.test(token)) return token;
  throw new IssueTasksError(
    "no GitHub token to read the issue with: set GITHUB_TOKEN, or install the GitHub CLI (gh) and run `gh auth login`",
  );
}

function apiHost(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

export interface IssueTasksFile {
  /** Absolute path of the written tasks file. */
  path: string;
  /** Lines for the user: notes and waiting issues (never errors). */
  notes: string[];
}

/**
 * Reads the graph of `ref` and writes its tasks file. Throws `IssueTasksError` with every problem
 * when the graph cannot run (nothing is written then).
 */
export async function writeIssueTasksFile(args: {
  ref: IssueRef;
  env: NodeJS.ProcessEnv;
  repoRoot: string;
  gh?: RunGh;
}): Promise<IssueTasksFile> {
  const { ref, env, repoRoot } = args;
  const token = await githubToken(env, args.gh);
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const client = new Octokit({
    auth: token,
    baseUrl: (env.GITHUB_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, ""),
    userAgent: "claude-team-orchestrator-cli",
    log: quiet,
  });
  const where = `${ref.owner}/${ref.repo}#${ref.number}`;
  let read;
  try {
    read = await readIssueGraph({ client, owner: ref.owner, repo: ref.repo, issueNumber: ref.number });
  } catch (error) {
    if (error instanceof IssueGraphReadError) throw new IssueTasksError(error.message);
    const status = (error as { status?: unknown }).status;
    if (status === 401) throw new IssueTasksError(`GitHub refused the token (401) while reading ${where}`);
    throw new IssueTasksError(`could not read ${where} from GitHub: ${(error as Error).message}`);
  }
  const tasks = tasksFromIssueGraph(read.snapshot);
  if (!tasks.ok)
    throw new IssueTasksError(
      `The issue graph of ${where} has problems; nothing was started:\n${tasks.problems.map((p) => `  ${p}`).join("\n")}`,
    );
  const notes = [
    ...tasks.notes.map((note) => `note: ${note}`),
    ...tasks.waiting.map(
      (entry) =>
        `waiting: #${entry.issue} does not run in this session: it waits on ${entry.waitsOn.join(", ")}`,
    ),
  ];
  const dir = join(localPaths(repoRoot).dir, "issues");
  await mkdir(dir, { recursive: true });
  // Owner and repository names hold only letters, digits, '.', '_' and '-' (checked above).
  const path = join(dir, `${ref.owner}-${ref.repo}-${ref.number}.json`);
  await writeFile(path, `${JSON.stringify(tasks.file, null, 2)}\n`);
  return { path, notes };
}
