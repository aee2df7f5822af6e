import { execFile, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { actionBundleOptions, ROOT } from "../../scripts/action-bundle.js";
import { build } from "esbuild";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/start-fake-github.js";
import type { FakeRepo } from "../support/fake-github/state.js";
import { startGitHttpServer, type GitHttpServer } from "./git-http-server.js";

/**
 * Runs the action the way a runner does: `node action/dist/index.js` (bundled from the current
 * sources) in a checkout cloned from a bare "origin", with the runner's environment (INPUT_*,
 * GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP...), the real Claude Code CLI on PATH, and the
 * fake GitHub for the API. A post-receive hook in the bare remote tells the fake about each push,
 * as GitHub learns of pushes to its own git server.
 */

const run = promisify(execFile);
export const REPO = "acme/widgets";
export const OWNER = "acme";
const CLAUDE_BIN = join(ROOT, "node_modules", ".bin");

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("git", args, { cwd, env: gitEnv() });
  return stdout.trim();
}

function gitEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_AUTHOR_NAME: "Test",
    GIT_AUTHOR_EMAIL: "test@example.com",
    GIT_COMMITTER_NAME: "Test",
    GIT_COMMITTER_EMAIL: "test@example.com",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
  };
}

export interface ActionRun {
  /** The checkout the action ran in (`GITHUB_WORKSPACE`). */
  workspace: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** `::error::` lines: what the job's annotations (and the App) show. */
  errors: string[];
}

export interface ActionHarness {
  dir: string;
  bare: string;
  fake: FakeGitHub;
  repo: FakeRepo;
  /** With `httpRemote`: the remote over http, refusing requests without the job's token. */
  gitServer?: GitHttpServer;
  /** The job's token (the `github-token` input): the fake's installation token. */
  token: string;
  /**
   * Runs the bundled action in a fresh clone of the remote. With `httpRemote` the clone is made
   * over http as actions/checkout does with `persist-credentials: false` (the token given to the
   * clone only); `persistCredentials` leaves it in `.git/config` as checkout's default does.
   */
  runAction(args: {
    inputs: Record<string, string>;
    env?: NodeJS.ProcessEnv;
    persistCredentials?: boolean;
    /**
     * With `httpRemote`: clone blobless (`--filter=blob:none`, every commit and tree, the files of
     * the default branch's tip only), as the task workflow's actions/checkout does.
     */
    partialClone?: boolean;
  }): Promise<ActionRun>;
  /** Commits files on a branch of the remote (through a scratch clone) and returns the sha. */
  commitOnRemote(args: {
    branch: string;
    from?: string;
    files: Record<string, string>;
    message?: string;
  }): Promise<string>;
  remoteFile(ref: string, path: string): Promise<string>;
  remoteSha(ref: string): Promise<string | null>;
  close(): Promise<void>;
}

export async function buildBundle(dir: string): Promise<string> {
  const outfile = join(dir, "dist", "index.js");
  await build({ ...actionBundleOptions(outfile), logLevel: "silent" });
  return outfile;
}

export async function startActionHarness(args: {
  bundle: string;
  files: Record<string, string>;
  /** Serve the remote over http (git http-backend) behind the job's token. */
  httpRemote?: boolean;
}): Promise<ActionHarness> {
  const dir = await mkdtemp(join(tmpdir(), "action-test-"));
  const bare = join(dir, "origin.git");
  const home = join(dir, "home");
  await mkdir(home);
  const fake = await startFakeGitHub({ pathPrefix: "" });
  const repo = fake.state.addRepo({ fullName: REPO });
  const pushListener = await startPushListener(repo);

  await run("git", ["init", "--quiet", "--bare", "--initial-branch=main", bare], { env: gitEnv() });
  // Partial clones, as GitHub serves them: a filtered clone, and the file contents it lacks
  // fetched by id later.
  await git(bare, "config", "uploadpack.allowFilter", "true");
  await git(bare, "config", "uploadpack.allowAnySHA1InWant", "true");
  const hook = join(bare, "hooks", "post-receive");
  await writeFile(
    hook,
    `#!/bin/sh\nexec "${process.execPath}" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>fetch(process.argv[1],{method:"POST",body:s}).then(r=>r.text()))' "${pushListener.url}"\n`,
  );
  await chmod(hook, 0o755);

  let clones = 0;
  const scratch = async (): Promise<string> => {
    const path = join(dir, `clone-${++clones}`); // numbered before any await: runs may overlap
    await run("git", ["clone", "--quiet", bare, path], { env: gitEnv() });
    return path;
  };

  const token = fake.installationToken(REPO);
  const gitServer = args.httpRemote ? await startGitHttpServer({ bareRepo: bare, token }) : undefined;
  const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
  const checkout = async (persistCredentials: boolean, partialClone: boolean): Promise<string> => {
    if (!gitServer) {
      if (partialClone) throw new Error("a partial clone needs httpRemote");
      return scratch();
    }
    const path = join(dir, `clone-${++clones}`);
    const serverKey = `http.${new URL(gitServer.url).origin}/.extraheader`;
    const filter = partialClone ? ["--filter=blob:none"] : [];
    await run("git", ["-c", `${serverKey}=${header}`, "clone", "--quiet", ...filter, gitServer.url, path], {
      env: gitEnv(),
    });
    if (persistCredentials) await git(path, "config", "--local", serverKey, header);
    return path;
  };

  const seed = join(dir, "seed");
  await run("git", ["init", "--quiet", "--initial-branch=main", seed], { env: gitEnv() });
  for (const [path, content] of Object.entries(args.files)) {
    await mkdir(join(seed, path, ".."), { recursive: true });
    await writeFile(join(seed, path), content);
  }
  await git(seed, "add", "--all");
  await git(seed, "commit", "--quiet", "-m", "Initial commit");
  await git(seed, "push", "--quiet", bare, "main");

  const harness: ActionHarness = {
    dir,
    bare,
    fake,
    repo,
    ...(gitServer ? { gitServer } : {}),
    token,
    async runAction({ inputs, env, persistCredentials, partialClone }) {
      const runnerTemp = join(dir, `runner-temp-${clones + 1}`);
      const workspace = await checkout(persistCredentials ?? false, partialClone ?? false);
      await mkdir(runnerTemp);
      const outputFile = join(runnerTemp, "output");
      const summaryFile = join(runnerTemp, "summary.md");
      await writeFile(outputFile, "");
      await writeFile(summaryFile, "");
      const inputEnv: NodeJS.ProcessEnv = {};
      for (const [name, value] of Object.entries(inputs)) inputEnv[`INPUT_${name.toUpperCase()}`] = value;
      const childEnv: NodeJS.ProcessEnv = {
        PATH: `${CLAUDE_BIN}:${process.env.PATH ?? ""}`,
        HOME: home,
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_CONFIG_NOSYSTEM: "1",
        CI: "true",
        GITHUB_ACTIONS: "true",
        GITHUB_REPOSITORY: REPO,
        GITHUB_REPOSITORY_OWNER: OWNER,
        GITHUB_WORKSPACE: workspace,
        GITHUB_API_URL: fake.url,
        GITHUB_GRAPHQL_URL: `${fake.url}/graphql`,
        GITHUB_SERVER_URL: fake.origin,
        GITHUB_RUN_ID: "4242",
        GITHUB_EVENT_NAME: "workflow_dispatch",
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        RUNNER_TEMP: runnerTemp,
        RUNNER_TOOL_CACHE: join(dir, "tool-cache"),
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_AUTOUPDATER: "1",
        // Defaults as action.yml gives them; the runner passes every input, empty or not.
        "INPUT_GITHUB-TOKEN": token,
        "INPUT_CLAUDE-CODE-VERSION": "2.1.330",
        "INPUT_AUTHOR-NAME": "github-actions[bot]",
        "INPUT_AUTHOR-EMAIL": "41898282+github-actions[bot]@users.noreply.github.com",
        ...inputEnv,
        ...env,
      };
      const result = await runNode({ script: args.bundle, cwd: workspace, env: childEnv });
      return {
        workspace,
        ...result,
        outputs: parseOutputFile(await readFile(outputFile, "utf8")),
        summary: await readFile(summaryFile, "utf8"),
        errors: workflowCommands(result.stdout)
          .filter((line) => line.startsWith("::error"))
          .map((line) => decodeCommand(line.slice(line.indexOf("::", 2) + 2))),
      };
    },
    async commitOnRemote({ branch, from, files, message }) {
      const clone = await scratch();
      await git(clone, "checkout", "--quiet", "-B", branch, `origin/${from ?? "main"}`);
      for (const [path, content] of Object.entries(files)) {
        await mkdir(join(clone, path, ".."), { recursive: true });
        await writeFile(join(clone, path), content);
      }
      await git(clone, "add", "--all");
      await git(clone, "commit", "--quiet", "-m", message ?? `Change ${Object.keys(files).join(", ")}`);
      await git(clone, "push", "--quiet", "origin", `HEAD:refs/heads/${branch}`);
      return git(clone, "rev-parse", "HEAD");
    },
    remoteFile: (ref, path) => git(bare, "show", `${ref}:${path}`),
    async remoteSha(ref) {
      try {
        return await git(bare, "rev-parse", "--verify", "--quiet", `refs/heads/${ref}`);
      } catch {
        return null;
      }
    },
    async close() {
      await gitServer?.close();
      await fake.close();
      await new Promise<void>((resolve) => pushListener.server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Receives post-receive lines (`<old> <new> <ref>`) and applies them to the fake's refs. */
async function startPushListener(repo: FakeRepo): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      for (const line of body.split("\n")) {
        const [, sha, ref] = line.trim().split(" ");
        if (!sha || !ref) continue;
        if (/^0+$/.test(sha)) {
          repo.refs.delete(ref);
          continue;
        }
        if (!repo.commits.has(sha)) {
          repo.commits.set(sha, {
            sha,
            treeSha: sha,
            message: "pushed",
            parents: [],
            files: new Map(),
            date: new Date().toISOString(),
          });
        }
        repo.refs.set(ref, sha);
      }
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

function runNode(args: { script: string; cwd: string; env: NodeJS.ProcessEnv }): Promise<{
  exitCode: number | null;
  stdout: string;
  stderr: string;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [args.script], {
      cwd: args.cwd,
      env: args.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

/** `name<<DELIM\nvalue\nDELIM` blocks, as @actions/core writes them to $GITHUB_OUTPUT. */
function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i] ?? "");
    if (!match) continue;
    const [, name, delimiter] = match as unknown as [string, string, string];
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? "");
    outputs[name] = value.join("\n");
  }
  return outputs;
}

/**
 * The stdout lines the runner takes as workflow commands: every `::…` line, except between
 * `::stop-commands::<token>` and `::<token>::`, as the runner reads them.
 */
export function workflowCommands(stdout: string): string[] {
  const commands: string[] = [];
  let stoppedUntil: string | undefined;
  for (const line of stdout.split("\n")) {
    if (stoppedUntil !== undefined) {
      if (line === stoppedUntil) stoppedUntil = undefined;
      continue;
    }
    const stop = /^::stop-commands::(.+)$/.exec(line);
    if (stop) stoppedUntil = `::${stop[1]}::`;
    else if (line.startsWith("::")) commands.push(line);
  }
  return commands;
}

/** Workflow command data escaping (%25, %0D, %0A). */
function decodeCommand(data: string): string {
  return data.replace(/%0A/g, "\n").replace(/%0D/g, "\r").replace(/%25/g, "%");
}
