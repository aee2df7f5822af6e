import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunCommandIo, SignalSource } from "../../src/cli/run-command.js";
import { commitFiles, gitIn, makeRepo, makeTempDir } from "../support/git-fixtures.js";

/**
 * Fixtures for the local executor tests: a repository with a tasks file, and a fast,
 * shell-free node script as the agent that records what it did in a log outside the repository.
 */

export interface FixtureTask {
  id: string;
  dependencies?: string[];
  /**
   * Words the fixture agent obeys: `sleep=MS`, `fail`, `nochange`, `slow-once=PATH`, `hold-once=PATH`,
   * `wait-for=ID` (see AGENT).
   * `{scratch}` stands for the project's scratch directory (outside the repository).
   */
  prompt?: string;
  estimate_minutes?: number;
  allow_no_changes?: boolean;
  branch_name?: string;
  base?: "dependencies" | "merged" | "base_branch";
}

/**
 * The agent: logs `start`, obeys the prompt, writes `<id>.txt` (listing the `*.txt` files it found,
 * so tests see which dependencies' work was in place), logs `end`. `slow-once=PATH` sleeps 30 s if
 * PATH exists, renaming it away first so only the first run is slow (a task interrupted by a crash).
 * `hold-once=PATH` is the same but runs until it is stopped (5 min at most): a test that stops it
 * does not race a sleep. `wait-for=ID` keeps running until task ID's agent has started (at most 60 s, then it fails): two
 * agents provably at once, however slowly the machine starts the second.
 */
const AGENT = `
import { appendFileSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
const id = process.env.ORCHESTRATOR_TASK_ID;
const prompt = readFileSync(0, "utf8");
const log = (event) => appendFileSync(process.env.AGENT_LOG, JSON.stringify({ event, id, pid: process.pid, t: Date.now(),
  session: process.env.ORCHESTRATOR_SESSION_ID, name: process.env.ORCHESTRATOR_TASK_NAME }) + "\\n");
log("start");
const word = (name) => prompt.match(new RegExp(name + "=(\\\\S+)"))?.[1];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const slowFlag = word("slow-once");
let slow = false;
if (slowFlag) { try { renameSync(slowFlag, slowFlag + ".used"); slow = true; } catch {} }
const holdFlag = word("hold-once");
let hold = false;
if (holdFlag) { try { renameSync(holdFlag, holdFlag + ".used"); hold = true; } catch {} }
await sleep(hold ? 300000 : slow ? 30000 : Number(word("sleep") ?? 50));
const peer = word("wait-for");
if (peer) {
  const started = () => readFileSync(process.env.AGENT_LOG, "utf8").includes('"event":"start","id":"' + peer + '"');
  const until = Date.now() + 60000;
  while (!started() && Date.now() < until) await sleep(20);
  if (!started()) { log("end"); console.error(peer + " never started while " + id + " ran"); process.exit(4); }
}
if (/\\bfail\\b/.test(prompt)) { log("end"); console.error("the fixture agent was told to fail"); process.exit(3); }
if (!/\\bnochange\\b/.test(prompt)) {
  const seen = readdirSync(".").filter((name) => name.endsWith(".txt")).sort();
  writeFileSync(id + ".txt", "work of " + id + "; found: " + seen.join(",") + "\\n");
}
log("end");
console.log("fixture agent finished " + id);
`;

export interface AgentEvent {
  event: "start" | "end";
  id: string;
  pid: number;
  t: number;
  session: string;
  name: string;
}

export interface Project {
  repo: string;
  /** The shared agent log (outside the repository). */
  agentLog: string;
  /** `--agent` value running the fixture agent. */
  agentCommand: string;
  /** Environment for the CLI: carries AGENT_LOG to the agents. */
  env: NodeJS.ProcessEnv;
  scratch: string;
  events(): Promise<AgentEvent[]>;
}

export async function makeProject(args: { tasks: FixtureTask[]; maxParallel?: number }): Promise<Project> {
  const repo = await makeRepo();
  const scratch = await makeTempDir("orchestrator-local-");
  const tasks = args.tasks.map((task) =>
    task.prompt === undefined ? task : { ...task, prompt: task.prompt.replaceAll("{scratch}", scratch) },
  );
  const agentFile = join(scratch, "agent.mjs");
  await writeFile(agentFile, AGENT);
  const agentLog = join(scratch, "agents.log");
  await writeFile(agentLog, "");
  await writeTasksFile(repo, { ...args, tasks });
  await gitIn(repo, ["config", "user.name", "Local Tester"]);
  await gitIn(repo, ["config", "user.email", "local@example.invalid"]);
  return {
    repo,
    agentLog,
    agentCommand: `"${process.execPath}" "${agentFile}"`,
    env: { ...process.env, AGENT_LOG: agentLog },
    scratch,
    events: async () =>
      (await readFile(agentLog, "utf8"))
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as AgentEvent),
  };
}

export async function writeTasksFile(
  repo: string,
  args: { tasks: FixtureTask[]; maxParallel?: number },
): Promise<void> {
  const file = {
    ...(args.maxParallel === undefined ? {} : { max_parallel_agents: args.maxParallel }),
    tasks: args.tasks.map((task) => ({ prompt: `do ${task.id}`, ...task })),
  };
  await commitFiles({
    cwd: repo,
    files: { "tasks/tasks.json": `${JSON.stringify(file, null, 2)}\n` },
    message: "tasks",
  });
}

/** A RunCommandIo that captures output and lets the test send signals. */
export function captureIo(project: Project, cwd = project.repo) {
  const out: string[] = [];
  const err: string[] = [];
  const listeners = new Map<string, Set<() => void>>();
  const signals: SignalSource & { send(signal: "SIGINT" | "SIGTERM"): void } = {
    on(signal, listener) {
      (listeners.get(signal) ?? listeners.set(signal, new Set()).get(signal))?.add(listener);
    },
    off(signal, listener) {
      listeners.get(signal)?.delete(listener);
    },
    send(signal) {
      for (const listener of [...(listeners.get(signal) ?? [])]) listener();
    },
  };
  const forced: number[] = [];
  const io: RunCommandIo = {
    cwd,
    env: project.env,
    stdout: { write: (text: string) => out.push(text), isTTY: false },
    stderr: { write: (text: string) => err.push(text) },
    signals,
    forceExit: (code) => forced.push(code),
  };
  return { io, signals, forced, stdout: () => out.join(""), stderr: () => err.join("") };
}

/** The largest number of agents running at one instant, from their own start/end times. */
export function maxOverlap(events: readonly AgentEvent[]): number {
  const points = events.map((e) => ({ t: e.t, delta: e.event === "start" ? 1 : -1 }));
  // Ends before starts at the same millisecond: a slot freed and reused is not an overlap.
  points.sort((a, b) => a.t - b.t || a.delta - b.delta);
  let running = 0;
  let most = 0;
  for (const point of points) {
    running += point.delta;
    most = Math.max(most, running);
  }
  return most;
}

/** Arms `slow-once={scratch}/<name>`: the next agent given it sleeps 30 s, later ones do not. */
export async function armSlowOnce(project: Project, name: string): Promise<void> {
  await writeFile(join(project.scratch, name), "");
}
