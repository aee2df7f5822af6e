import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { simulateSession } from "../src/core/simulate-session.js";
import { graphFromTasks, type ResolvedTask, type TaskGraph } from "../src/core/task-graph.js";
import { runLocalSession } from "../src/local/run-local-session.js";
import type { LocalSessionState } from "../src/local/state-file.js";
import type { AgentSpec } from "../src/runner/run-task.js";
import { makeTask, randomTasks } from "../test/support/random-dag.js";
import type { Benchmark, BenchTable } from "./benchmark.js";
import { median, ratio } from "./stats.js";

/**
 * The local executor's own cost, with real git and real processes:
 * 1. per-task overhead: 20 independent tasks one at a time, the agent only copies a file, so a
 *    task's time is the executor's work (worktree, branch, commit, worktree removal, state writes);
 * 2. schedule fidelity: a 20-task DAG whose agents sleep estimate × 200 ms, run with 3 agents;
 *    wall time ÷ the makespan `simulateSession` predicts for the same graph (target ≤ 1.10).
 */

const run = promisify(execFile);
const OVERHEAD_TASKS = 20;
const DAG_TASKS = 20;
const DAG_AGENTS = 3;
const MS_PER_ESTIMATE = 200;
const TARGET_RATIO = 1.1;

/** Sleeps for the milliseconds the prompt names, then writes a file: a fixed-duration agent. */
const SLEEPING_AGENT = `
import { readFileSync, writeFileSync } from "node:fs";
const ms = Number(readFileSync(0, "utf8").match(/sleep=(\\d+)/)?.[1] ?? 0);
setTimeout(() => writeFileSync(process.env.ORCHESTRATOR_TASK_ID + ".txt", "done\\n"), ms);
`;

export const localExecutor: Benchmark = {
  name: "local-executor",
  description: "local executor overhead per task and wall time vs. the simulated makespan",
  async run() {
    const scratch = await mkdtemp(join(tmpdir(), "orchestrator-bench-"));
    try {
      return [await perTaskOverhead(scratch), await scheduleFidelity(scratch)];
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  },
};

async function perTaskOverhead(scratch: string): Promise<BenchTable> {
  const repo = await makeRepo(join(scratch, "overhead"));
  const source = join(scratch, "payload.txt");
  await writeFile(source, "payload\n");
  const tasks = Array.from({ length: OVERHEAD_TASKS }, (_, i) => makeTask(`t${i}`));
  const agent: AgentSpec = { kind: "command", command: ["cp", source, "work.txt"] };
  const { state, wallMs } = await session({ repo, graph: graphFromTasks(tasks), agent, parallel: 1 });
  const perTask = taskDurations(state);
  return {
    title: `Per-task overhead: ${OVERHEAD_TASKS} tasks run one at a time, the agent copies one file`,
    columns: ["tasks", "succeeded", "median ms/task", "min", "max", "session wall ms", "wall ÷ tasks"],
    rows: [
      [
        String(OVERHEAD_TASKS),
        String(succeeded(state)),
        perTask.length > 0 ? median(perTask).toFixed(0) : "–",
        perTask.length > 0 ? Math.min(...perTask).toFixed(0) : "–",
        perTask.length > 0 ? Math.max(...perTask).toFixed(0) : "–",
        wallMs.toFixed(0),
        (wallMs / OVERHEAD_TASKS).toFixed(0),
      ],
    ],
    notes: [
      "A task's time runs from its recorded start to its recorded end: worktree add, branch from base, agent (cp),",
      "commit, worktree removal and the state-file writes around it. Session wall time adds start-up and the summary.",
    ],
  };
}

async function scheduleFidelity(scratch: string): Promise<BenchTable> {
  const repo = await makeRepo(join(scratch, "dag"));
  const agentFile = join(scratch, "sleeping-agent.mjs");
  await writeFile(agentFile, SLEEPING_AGENT);
  const generated = randomTasks({ shape: "layered", size: DAG_TASKS, seed: 2026, estimates: { min: 2, max: 10 } });
  const tasks: ResolvedTask[] = generated.map((task) => ({
    ...task,
    prompt: `sleep=${task.estimateMinutes * MS_PER_ESTIMATE}`,
  }));
  const graph = graphFromTasks(tasks);
  const predicted = simulateSession({ graph, agents: DAG_AGENTS }).makespan * MS_PER_ESTIMATE;
  const agent: AgentSpec = { kind: "command", command: [process.execPath, agentFile] };
  const { state, wallMs } = await session({ repo, graph, agent, parallel: DAG_AGENTS });
  const firstStart = Math.min(...Object.values(state.runs).map((run) => Date.parse(run.startedAt ?? "")));
  const lastEnd = Math.max(...Object.values(state.runs).map((run) => Date.parse(run.endedAt ?? "")));
  const tasksSpan = lastEnd - firstStart;
  const wallRatio = wallMs / predicted;
  return {
    title: `Schedule fidelity: ${DAG_TASKS}-task layered DAG, ${DAG_AGENTS} agents, each sleeps estimate × ${MS_PER_ESTIMATE} ms`,
    columns: ["succeeded", "simulated makespan ms", "first start → last end ms", "session wall ms", "span ÷ sim", "wall ÷ sim"],
    rows: [
      [
        `${succeeded(state)}/${DAG_TASKS}`,
        predicted.toFixed(0),
        tasksSpan.toFixed(0),
        wallMs.toFixed(0),
        ratio(tasksSpan / predicted),
        ratio(wallRatio),
      ],
    ],
    notes: [
      `Target: wall ÷ simulated makespan ≤ ${TARGET_RATIO.toFixed(2)} — ${wallRatio <= TARGET_RATIO ? "met" : "MISSED"}.`,
      "The gap is the executor's per-task overhead (see above) on the critical path, plus node start-up of each agent.",
    ],
  };
}

async function session(args: {
  repo: string;
  graph: TaskGraph;
  agent: AgentSpec;
  parallel: number;
}): Promise<{ state: LocalSessionState; wallMs: number }> {
  const tasksFileText = JSON.stringify(args.graph.tasks.map((task) => task.id));
  const started = performance.now();
  const result = await runLocalSession({
    cwd: args.repo,
    tasksFile: join(args.repo, "tasks.json"),
    tasksFileText,
    graph: args.graph,
    agent: args.agent,
    parallel: args.parallel,
    baseBranch: "main",
    author: { name: "Bench", email: "bench@example.invalid" },
  });
  return { state: result.state, wallMs: performance.now() - started };
}

async function makeRepo(dir: string): Promise<string> {
  const git = (args: string[]) => run("git", args, { cwd: dir });
  await run("mkdir", ["-p", dir]);
  await git(["init", "--quiet", "--initial-branch=main"]);
  await writeFile(join(dir, "README.md"), "# bench\n");
  await git(["add", "--all"]);
  await git(["-c", "user.name=Bench", "-c", "user.email=bench@example.invalid", "commit", "--quiet", "-m", "init"]);
  return dir;
}

function taskDurations(state: LocalSessionState): number[] {
  return Object.values(state.runs)
    .filter((run) => run.startedAt !== undefined && run.endedAt !== undefined)
    .map((run) => Date.parse(run.endedAt as string) - Date.parse(run.startedAt as string));
}

function succeeded(state: LocalSessionState): number {
  return Object.values(state.tasks).filter((task) => task.status === "succeeded").length;
}
