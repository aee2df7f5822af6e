import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runCommand } from "../cli/run-command.js";
import { parseTasksFile } from "../core/parse-tasks-file.js";
import { git, identityEnv } from "../runner/git.js";
import { demoScript } from "./demo-script.js";
import { writeExampleProject } from "./example-project.js";
import { offlineClaudeEnv, startScriptedModelServer } from "./scripted-model-server.js";

/**
 * `npm run demo`: the whole local path, offline and without credentials. A temporary git repo
 * holds the small example project "textkit" and this repository's tasks/tasks.json; then
 * `orchestrator run` (the same function the CLI calls) runs every task with the real Claude Code
 * CLI, whose model is a scripted server on 127.0.0.1 that writes prepared, working code.
 *
 * Usage: npm run demo [-- --dir DIR]   (DIR: where to create the repository; default a temp dir)
 */

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DEMO_IDENTITY = { name: "Demo Developer", email: "demo@example.invalid" };

export async function runDemo(options: { dir?: string; out?: NodeJS.WriteStream } = {}): Promise<number> {
  const out = options.out ?? process.stdout;
  const say = (text = "") => out.write(`${text}\n`);
  const startedAt = Date.now();
  const root =
    options.dir === undefined ? await mkdtemp(join(tmpdir(), "orchestrator-demo-")) : resolve(options.dir);
  const repo = join(root, "textkit");
  const claudePath = join(PROJECT_ROOT, "node_modules", ".bin", "claude");
  if (!existsSync(claudePath)) {
    say(`The demo needs the pinned Claude Code CLI at ${claudePath}: run \`npm install\` first.`);
    return 1;
  }

  say("Orchestrator demo: the textkit example, run by the real Claude Code CLI with a SCRIPTED model");
  say("(a local server on 127.0.0.1 answers instead of Anthropic's API: no network, no credentials).");
  say();

  // 1. The repository: the example project plus the tasks file, committed on main.
  const tasksFile = join(PROJECT_ROOT, "tasks", "tasks.json");
  await createRepo({ repo, tasksFile });
  say(`Repository: ${repo}`);

  // 2. The scripted model the CLI talks to.
  const today = new Date().toISOString().slice(0, 10);
  const server = await startScriptedModelServer({ script: demoScript({ today }) });
  const home = join(root, "claude-home");
  await mkdir(home, { recursive: true });
  let exitCode: number;
  try {
    // 3. `orchestrator run` in the repository, exactly as a user would start it.
    say(`Running: orchestrator run  (tasks/tasks.json, Claude Code at node_modules/.bin/claude)`);
    say();
    exitCode = await runCommand([], {
      cwd: repo,
      env: {
        ...process.env,
        ...offlineClaudeEnv({ url: server.url, home }),
        ORCHESTRATOR_CLAUDE_PATH: claudePath,
      },
      stdout: out,
      stderr: process.stderr,
    });
  } finally {
    await server.close();
  }

  // 4. What the run made.
  say();
  say("Branches and commits (git log --oneline --graph --all):");
  say(indent((await git(["log", "--oneline", "--graph", "--all", "--decorate"], { cwd: repo })).stdout));
  const finalBranch = await lastBranch(repo, tasksFile);
  if (exitCode === 0 && finalBranch !== undefined)
    exitCode = await checkResult({ repo, root, branch: finalBranch, say });

  say();
  say(`Done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s. The repository is at ${repo}`);
  say(`  cd ${repo} && git log --all --stat   # every task's branch and commit`);
  say(`  cat ${repo}/.orchestrator/logs/cli.log   # what the agent did (Claude Code's stream-json)`);
  say();
  say("The model was scripted for this demo: its answers are prepared in src/demo/textkit-files.ts.");
  say("To run tasks with the real model, in your own repository with a tasks/tasks.json:");
  say("  ANTHROPIC_API_KEY=sk-ant-... npx orchestrator run");
  say(
    "(or log in once with `claude` and run `npx orchestrator run`; `npx orchestrator run --help` for options).",
  );
  return exitCode;
}

async function createRepo(args: { repo: string; tasksFile: string }): Promise<void> {
  const { repo } = args;
  await mkdir(join(repo, "tasks"), { recursive: true });
  await writeExampleProject(repo);
  await copyFile(args.tasksFile, join(repo, "tasks", "tasks.json"));
  const schema = join(PROJECT_ROOT, "tasks", "tasks.schema.json");
  if (existsSync(schema)) await copyFile(schema, join(repo, "tasks", "tasks.schema.json"));
  const env = identityEnv(DEMO_IDENTITY);
  await git(["init", "--quiet", "--initial-branch=main"], { cwd: repo });
  await git(["config", "user.name", DEMO_IDENTITY.name], { cwd: repo });
  await git(["config", "user.email", DEMO_IDENTITY.email], { cwd: repo });
  await git(["add", "--all"], { cwd: repo });
  await git(["-c", "commit.gpgsign=false", "commit", "--quiet", "-m", "textkit: README, license and tasks"], {
    cwd: repo,
    env,
  });
}

/** The branch of the file's last task that nothing depends on: it holds everyone's work. */
async function lastBranch(repo: string, tasksFile: string): Promise<string | undefined> {
  const parsed = parseTasksFile({ text: await readFile(tasksFile, "utf8"), fileName: tasksFile });
  if (!parsed.ok) return undefined;
  const sinks = parsed.graph.order.filter((id) => (parsed.graph.dependents.get(id) ?? []).length === 0);
  const last = sinks[sinks.length - 1];
  const branch = last === undefined ? undefined : parsed.graph.byId.get(last)?.branch;
  if (branch === undefined) return undefined;
  const { exitCode } = await git(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], {
    cwd: repo,
    okExitCodes: [1],
  });
  return exitCode === 0 ? branch : undefined;
}

/** Clones the final branch and runs its tests and CLI: the work is real code, not text. */
async function checkResult(args: {
  repo: string;
  root: string;
  branch: string;
  say: (text?: string) => void;
}): Promise<number> {
  const { say } = args;
  const check = join(args.root, "final-check");
  await git(["clone", "--quiet", "--branch", args.branch, args.repo, check], { cwd: args.root });
  say(`Checking ${args.branch}, which holds every task's work (a clone at ${check}):`);
  const tests = await node(["--test"], check);
  const counts = tests.output.split("\n").filter((line) => /^# (tests|pass|fail) /.test(line));
  say(`  node --test: ${counts.map((line) => line.slice(2)).join(", ")}`);
  if (existsSync(join(check, "bin", "textkit.js"))) {
    const slug = await node(["bin/textkit.js", "slugify", "Crème Brûlée: a recipe!"], check);
    say(`  node bin/textkit.js slugify "Crème Brûlée: a recipe!"  →  ${slug.output.trim()}`);
  }
  if (tests.code !== 0) say(tests.output);
  return tests.code === 0 ? 0 : 1;
}

function node(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd, encoding: "utf8" }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      done({ code, output: `${stdout}${stderr}` });
    });
  });
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { dir: { type: "string" } } });
  process.exitCode = await runDemo(values.dir === undefined ? {} : { dir: values.dir });
}
