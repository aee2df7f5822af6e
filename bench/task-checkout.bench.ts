import { execFile, spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { access, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { remoteGitEnv } from "../action/src/git-credentials.js";
import { claudeInstallPrefix, installClaude } from "../action/src/install-claude.js";
import { readTask } from "../action/src/read-task.js";
import { decodeDispatchInputs } from "../src/core/dispatch-inputs.js";
import { prepareTaskBranch } from "../src/runner/prepare-task-branch.js";
import { startGitHttpServer, type GitHttpServer } from "../test/action/git-http-server.js";
import type { Benchmark, BenchTable } from "./benchmark.js";
import { median, ratio } from "./stats.js";

/**
 * What a task run of the task workflow pays before its agent starts, on a large repository:
 * an empty workspace → the task's branch prepared (one dependency branch merged into another, the
 * task's earlier branch checked, the tasks file read at an older commit), over http from a local
 * `git http-backend` behind a token, as a runner talks to GitHub.
 *   old: actions/checkout with fetch-depth 0 (every commit with every file version), then the Action;
 *   new: the same with filter blob:none (every commit and tree, no file contents), then the Action,
 *        which fetches the contents its checkout and merge need on demand, with the token.
 * And the pinned Claude Code: found in the tool cache (what a cache hit leaves) against unpacking
 * its cache archive; the npm install a miss pays cannot be timed offline.
 *
 * The repository is generated once with `git fast-import` (incompressible file contents, so the
 * objects really are that large) and kept under bench/.cache (gitignored) for the next run.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CACHE = join(ROOT, "bench", ".cache");
const COMMITS = 20_000;
const DIRS = 20;
const FILES_PER_DIR = 25;
/** Per file version; random, so zlib cannot shrink it: COMMITS × this ≈ the pack's size. */
const BLOB_BYTES = 10_600;
const RUNS = 3;
const TOKEN = "bench-token";
const REPO_NAME = `task-checkout-${COMMITS}x${BLOB_BYTES}-v1`;
const AUTHOR = { name: "Bench", email: "bench@example.com" };
const SHARED = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";

export const taskCheckout: Benchmark = {
  name: "task-checkout",
  description: "task workflow setup on a large repository: full vs blobless checkout, Claude Code cache",
  async run() {
    const bare = await largeRepository();
    const server = await startGitHttpServer({ bareRepo: bare, token: TOKEN });
    const scratch = await mkdtemp(join(tmpdir(), "task-checkout-bench-"));
    try {
      const size = await repositorySize(bare);
      const samples: Record<Way, Sample[]> = { full: [], blobless: [] };
      for (let i = 0; i < RUNS; i++) {
        // Interleaved, so a busy spell on the machine does not land on one way only.
        for (const way of ["full", "blobless"] as const) {
          samples[way].push(await checkoutAndPrepare({ way, server, dir: join(scratch, `${way}-${i}`) }));
        }
      }
      return [checkoutTable(samples, size), await claudeCodeTable(scratch)];
    } finally {
      await server.close();
      await rm(scratch, { recursive: true, force: true });
    }
  },
};

type Way = "full" | "blobless";

interface Sample {
  checkoutMs: number;
  prepareMs: number;
  bytes: number;
  /** The prepared branch's tree and its merge commit's parents: the same both ways. */
  result: string;
}

/** The bare repository, generated on first use; returns its path. */
async function largeRepository(): Promise<string> {
  const dir = join(CACHE, REPO_NAME);
  const bare = join(dir, "origin.git");
  const ready = join(dir, "ready");
  if (await exists(ready)) return bare;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  console.log(`Generating ${COMMITS} commits of ${BLOB_BYTES}-byte random files in ${bare} (once)…`);
  await gitIn(dir, ["init", "--quiet", "--bare", "--initial-branch=main", bare]);
  await fastImport(bare);
  // One pack with a bitmap, as a hosting server keeps it; no delta search (random contents).
  await gitIn(bare, ["repack", "-a", "-d", "-b", "--window=0", "--quiet"]);
  await gitIn(bare, ["config", "uploadpack.allowFilter", "true"]);
  await gitIn(bare, ["config", "uploadpack.allowAnySHA1InWant", "true"]);
  await writeFile(ready, new Date().toISOString());
  return bare;
}

/**
 * main: a first commit with every file, then one commit per changed data file; tasks.json changes
 * near the end (so the file at the session's commit is not the checkout's). dep-a and dep-b fork
 * from main a little before its tip and change shared.txt in different places; orchestrator/bench
 * is the task's branch from an earlier attempt (its tip carries the task's trailer).
 */
async function fastImport(bare: string): Promise<void> {
  const child = spawn("git", ["fast-import", "--quiet", "--done"], {
    cwd: bare,
    stdio: ["pipe", "inherit", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const write = async (chunk: string | Buffer) => {
    if (!child.stdin.write(chunk)) await new Promise((resolve) => child.stdin.once("drain", resolve));
  };
  const blob = Buffer.alloc(BLOB_BYTES);
  let time = 1_700_000_000;
  let mark = 0;
  const commit = async (args: {
    branch: string;
    from?: string;
    message: string;
    files: Array<[string, string | Buffer]>;
  }) => {
    mark++;
    const message = Buffer.from(args.message);
    await write(
      `commit refs/heads/${args.branch}\nmark :${mark}\ncommitter ${AUTHOR.name} <${AUTHOR.email}> ${time++} +0000\n` +
        `data ${message.length}\n${args.message}\n${args.from ? `from ${args.from}\n` : ""}`,
    );
    for (const [path, content] of args.files) {
      const data = typeof content === "string" ? Buffer.from(content) : content;
      await write(`M 100644 inline ${path}\ndata ${data.length}\n`);
      await write(data);
      await write("\n");
    }
    return `:${mark}`;
  };
  const dataPath = (n: number) =>
    `data/d${String(n % DIRS).padStart(2, "0")}/f${String(n % (DIRS * FILES_PER_DIR)).padStart(3, "0")}.bin`;
  const tasks = (prompt: string) => JSON.stringify({ tasks: [{ id: "bench", prompt }] });

  const first: Array<[string, string | Buffer]> = [
    ["README.md", "# Large\n"],
    ["shared.txt", SHARED],
    ["tasks/tasks.json", tasks("The session's prompt.")],
  ];
  for (let n = 0; n < DIRS * FILES_PER_DIR; n++) first.push([dataPath(n), Buffer.from(randomFillSync(blob))]);
  await commit({ branch: "main", message: "Initial commit", files: first });
  let forkA = "";
  let forkB = "";
  let tasksRef = "";
  for (let i = 1; i < COMMITS; i++) {
    const files: Array<[string, string | Buffer]> = [[dataPath(i), randomFillSync(blob)]];
    if (i === COMMITS - 5)
      files.push(["tasks/tasks.json", tasks("A prompt edited after the session started.")]);
    const made = await commit({ branch: "main", message: `Change ${dataPath(i)}`, files });
    if (i === COMMITS - 300) forkA = made;
    if (i === COMMITS - 200) forkB = made;
    if (i === COMMITS - 100) tasksRef = made;
  }
  const depA = await commit({
    branch: "dep-a",
    from: forkA,
    message: "Dependency a",
    files: [
      ["a.txt", "a\n"],
      ["shared.txt", SHARED.replace("line 1\n", "line 1 (a)\n")],
    ],
  });
  await commit({
    branch: "dep-b",
    from: forkB,
    message: "Dependency b",
    files: [
      ["b.txt", "b\n"],
      ["shared.txt", SHARED.replace("line 20\n", "line 20 (b)\n")],
    ],
  });
  await commit({
    branch: "orchestrator/bench",
    from: depA,
    message: "Task bench\n\nOrchestrator-Task: bench\nOrchestrator-Attempt: 1",
    files: [["work.txt", "an earlier attempt\n"]],
  });
  await write(`reset refs/tags/session\nfrom ${tasksRef}\n\ndone\n`);
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`git fast-import exited with ${code}`);
}

/** Empty workspace → actions/checkout's fetch and checkout → the Action's preparation. */
async function checkoutAndPrepare(args: { way: Way; server: GitHttpServer; dir: string }): Promise<Sample> {
  const { way, server, dir } = args;
  const env = remoteGitEnv({ remoteUrl: server.url, token: TOKEN });
  const bytesBefore = server.bytesSent;
  const started = performance.now();
  // What actions/checkout runs (fetch-depth 0; filter when set), the token given to these commands only.
  await gitIn(tmpdir(), ["init", "--quiet", dir]);
  await gitIn(dir, ["remote", "add", "origin", server.url]);
  await gitIn(dir, ["config", "--local", "gc.auto", "0"]);
  const filter = way === "blobless" ? ["--filter=blob:none"] : [];
  const refspecs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];
  await gitIn(
    dir,
    [
      "-c",
      "protocol.version=2",
      "fetch",
      "--quiet",
      "--prune",
      "--no-recurse-submodules",
      ...filter,
      "origin",
      ...refspecs,
    ],
    env,
  );
  await gitIn(dir, ["checkout", "--quiet", "--force", "-B", "main", "refs/remotes/origin/main"], env);
  const checkedOut = performance.now();

  // The Action: the tasks file at the session's commit, then the task's branch.
  const request = decodeDispatchInputs({
    task_id: "bench",
    tasks_ref: await gitIn(dir, ["rev-parse", "refs/tags/session"]),
    branch: "orchestrator/bench",
    base_branch: "main",
    dependency_branches: "dep-a dep-b",
  });
  const task = await readTask({ cwd: dir, request, remote: "origin", remoteEnv: env });
  if (task.prompt !== "The session's prompt.") throw new Error(`read the wrong tasks file: ${task.prompt}`);
  const prepared = await prepareTaskBranch({
    cwd: dir,
    branch: request.branch,
    baseBranch: request.baseBranch,
    dependencyBranches: request.dependencyBranches,
    strategy: request.baseStrategy,
    remote: "origin",
    remoteEnv: env,
    author: AUTHOR,
    taskId: "bench",
  });
  const done = performance.now();
  const result = await gitIn(dir, ["log", "-1", "--format=%T %P", prepared.baseSha]);
  const sample = {
    checkoutMs: checkedOut - started,
    prepareMs: done - checkedOut,
    bytes: server.bytesSent - bytesBefore,
    result,
  };
  await rm(dir, { recursive: true, force: true });
  return sample;
}

function checkoutTable(
  samples: Record<Way, Sample[]>,
  size: { commits: number; packBytes: number },
): BenchTable {
  const row = (way: Way, label: string) => {
    const list = samples[way];
    return {
      label,
      checkout: median(list.map((s) => s.checkoutMs)),
      prepare: median(list.map((s) => s.prepareMs)),
      total: median(list.map((s) => s.checkoutMs + s.prepareMs)),
      bytes: median(list.map((s) => s.bytes)),
    };
  };
  const full = row("full", "old: fetch-depth 0");
  const blobless = row("blobless", "new: fetch-depth 0, filter blob:none");
  const results = new Set([...samples.full, ...samples.blobless].map((s) => s.result));
  const format = (r: typeof full) => [
    r.label,
    (r.checkout / 1000).toFixed(2),
    (r.prepare / 1000).toFixed(2),
    (r.total / 1000).toFixed(2),
    mb(r.bytes),
  ];
  return {
    title:
      `Empty workspace → prepared task branch (dep-b merged into dep-a), ${size.commits} commits, ` +
      `${mb(size.packBytes)} MB packed, medians of ${RUNS} runs over http on 127.0.0.1`,
    columns: ["checkout", "checkout s", "action prepare s", "total s", "MB downloaded"],
    rows: [
      format(full),
      format(blobless),
      [
        "new ÷ old",
        ratio(blobless.checkout / full.checkout),
        ratio(blobless.prepare / full.prepare),
        ratio(blobless.total / full.total),
        ratio(blobless.bytes / full.bytes),
      ],
    ],
    notes: [
      `Both ways prepare the same branch: ${results.size === 1 ? "identical" : "DIFFERENT"} merge trees and parents across all runs.`,
      "The Action's part: the tasks file at an older commit, the fetch of the start branches and the task's branch,",
      "the ownership check, the checkout and the merge. In the blobless checkout it makes two more requests (the",
      "tasks file's contents; the contents of the start, the merged branch and their merge base, in one): each costs",
      "a round trip and a server-side pack walk, ~0.5 s against this local server on a busy 2-core machine.",
      "Bytes are the response bodies the server sent. A runner's link to GitHub is slower than loopback, so the",
      "download saved counts for more there than here.",
    ],
  };
}

/** Claude Code: what a cache hit leaves (found in the tool cache) vs unpacking its cache archive. */
async function claudeCodeTable(scratch: string): Promise<BenchTable> {
  const version = JSON.parse(
    await readFile(join(ROOT, "node_modules", "@anthropic-ai", "claude-code", "package.json"), "utf8"),
  ) as { version: string };
  const toolCache = join(scratch, "tool-cache");
  const prefix = claudeInstallPrefix(toolCache, version.version);
  const packageDir = join(ROOT, "node_modules", "@anthropic-ai");
  // The archive actions/cache makes of the install directory (tar, zstd), made once.
  const archive = join(CACHE, `claude-code-${version.version}.tar.zst`);
  if (!(await exists(archive))) {
    await mkdir(CACHE, { recursive: true });
    await run(
      "tar",
      ["--use-compress-program", "zstd -T0", "-cf", archive, "-C", packageDir, "claude-code"],
      {
        maxBuffer: 1 << 20,
      },
    );
  }
  const unpack: number[] = [];
  const find: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await rm(toolCache, { recursive: true, force: true });
    const target = join(prefix, "node_modules", "@anthropic-ai");
    await mkdir(target, { recursive: true });
    let started = performance.now();
    await run("tar", ["--use-compress-program", "zstd -d -T0", "-xf", archive, "-C", target]);
    unpack.push(performance.now() - started);
    await mkdir(join(prefix, "node_modules", ".bin"), { recursive: true });
    await run("ln", [
      "-s",
      "../@anthropic-ai/claude-code/bin/claude.exe",
      join(prefix, "node_modules", ".bin", "claude"),
    ]);
    started = performance.now();
    const found = await installClaude({
      version: version.version,
      toolCacheDir: toolCache,
      pathVariable: "",
      npm: () => Promise.reject(new Error("a cache hit must not run npm")),
    });
    find.push(performance.now() - started);
    if (found.source !== "cache") throw new Error(`expected the cached copy, got ${found.source}`);
  }
  const { size } = await stat(archive);
  return {
    title: `Claude Code ${version.version} on a cache hit, medians of ${RUNS} runs`,
    columns: ["step", "s"],
    rows: [
      [
        `unpack the cache archive (${mb(size)} MB, tar + zstd, local disk)`,
        (median(unpack) / 1000).toFixed(2),
      ],
      ["the Action finds it in the tool cache (source cache, no npm)", (median(find) / 1000).toFixed(2)],
    ],
    notes: [
      "A miss runs `npm install` of the package and its native binary from the registry, then saves the archive:",
      "not timed here (no network). A hit downloads the archive from the Actions cache instead and never runs npm;",
      "the download's time depends on the runner's link to the cache service.",
    ],
  };
}

async function repositorySize(bare: string): Promise<{ commits: number; packBytes: number }> {
  const counts = await gitIn(bare, ["count-objects", "-v"]);
  const packKb = Number(/size-pack: (\d+)/.exec(counts)?.[1] ?? 0);
  const commits = Number(await gitIn(bare, ["rev-list", "--count", "--all"]));
  return { commits, packBytes: packKb * 1024 };
}

async function gitIn(cwd: string, args: string[], env?: Record<string, string>): Promise<string> {
  const { stdout } = await run("git", args, {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      ...env,
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_TERMINAL_PROMPT: "0",
      GIT_AUTHOR_NAME: AUTHOR.name,
      GIT_AUTHOR_EMAIL: AUTHOR.email,
      GIT_COMMITTER_NAME: AUTHOR.name,
      GIT_COMMITTER_EMAIL: AUTHOR.email,
    },
  });
  return stdout.trim();
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
