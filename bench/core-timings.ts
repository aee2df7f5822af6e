import { stringify } from "yaml";
import { parseTasksFile } from "../src/core/parse-tasks-file.js";
import { countStatuses, observationOf, reconcile, type TaskObservations } from "../src/core/reconcile.js";
import { step, type SessionMachine } from "../src/core/session-machine.js";
import type { SessionState } from "../src/core/session-state.js";
import type { TaskGraph } from "../src/core/task-graph.js";
import { randomDag, randomTasks, seededRandom } from "../test/support/random-dag.js";
import type { Benchmark } from "./benchmark.js";
import { medianMs } from "./stats.js";

/** Wall-time of the two core operations whose size is bounded by the tasks file (DESIGN §8). */

const VALIDATE_TASKS = 10_000;
const RECONCILE_TASKS = 1_000;
const TARGET_VALIDATE_MS = 1_000;
const TARGET_RECONCILE_MS = 10;

/** A realistic 10,000-task file: names, multi-line prompts, dependencies, a few options. */
function tasksFileObject(): object {
  const tasks = randomTasks({ shape: "layered", size: VALIDATE_TASKS, seed: 10_000 });
  return {
    max_parallel_agents: 8,
    defaults: { retries: 1, timeout_minutes: 45 },
    tasks: tasks.map((task, i) => ({
      id: task.id,
      name: `Task number ${i}`,
      description: `Part ${i} of a large refactoring.`,
      prompt: `Implement part ${i}.\nKeep the public API unchanged and add tests for the new code.\n`,
      dependencies: task.dependencies,
      estimate_minutes: task.estimateMinutes,
    })),
  };
}

/** A 1,000-task session half-way: driven by the reconciler itself, so the state is reachable. */
function midRunSession(): { graph: TaskGraph; tasks: TaskObservations; maxParallel: number } {
  const graph = randomDag({ shape: "layered", size: RECONCILE_TASKS, seed: 1_000 });
  const maxParallel = 16;
  const random = seededRandom(7);
  const machine: SessionMachine = { graph, limits: { maxParallel } };
  let state: SessionState = { tasks: {} };
  let finished = 0;
  let failures = 0;
  while (finished < RECONCILE_TASKS / 2) {
    state = step(machine, state, { type: "advance" }).state;
    const running = graph.order.filter((id) => state.tasks[id]?.status === "running");
    const id = running[Math.floor(random() * running.length)] as string;
    // Two tasks at the end of a path fail, so the observation has failures without skipping half the graph.
    const succeeded = failures >= 2 || (graph.dependents.get(id)?.length ?? 0) > 0;
    if (!succeeded) failures++;
    const attempt = state.tasks[id]?.attempts ?? 1;
    state = step(machine, state, { type: "attempt_ended", id, attempt, succeeded, costUsd: 0.25 }).state;
    finished++;
  }
  state = step(machine, state, { type: "advance" }).state;
  return { graph, tasks: state.tasks, maxParallel };
}

export const coreTimings: Benchmark = {
  name: "timings",
  description: "validating a 10,000-task file; one reconcile of a 1,000-task session mid-run",
  async run() {
    const object = tasksFileObject();
    const json = JSON.stringify(object, null, 2);
    const yaml = stringify(object);
    const check = (text: string, fileName: string) => {
      const result = parseTasksFile({ text, fileName });
      if (!result.ok)
        throw new Error(`benchmark file is invalid: ${JSON.stringify(result.issues.slice(0, 3))}`);
      return result;
    };
    const jsonMs = medianMs(() => check(json, "tasks.json"), { runs: 9, warmup: 2 });
    const yamlMs = medianMs(() => check(yaml, "tasks.yaml"), { runs: 3, warmup: 1 });

    const session = midRunSession();
    const counts = countStatuses(session.graph.order.map((id) => observationOf(session.tasks, id).status));
    const input = {
      graph: session.graph,
      tasks: session.tasks,
      limits: { maxParallel: session.maxParallel },
    };
    const reconcileMs = medianMs(() => reconcile(input), { runs: 500, warmup: 50 });

    const verdict = (ms: { wall: number; cpu: number }, target: number) =>
      `< ${target} ms: ${ms.wall < target ? "met" : ms.cpu < target ? "met in CPU time" : "MISSED"}`;
    const digits = (ms: { wall: number; cpu: number }, places: number) => [
      ms.wall.toFixed(places),
      ms.cpu.toFixed(places),
    ];
    const kib = (text: string) => `${Math.round(Buffer.byteLength(text) / 1024)} KiB`;
    return [
      {
        title: "Core timings (median of runs)",
        columns: ["operation", "input", "wall ms", "CPU ms", "target"],
        rows: [
          [
            "parseTasksFile (JSON)",
            `${VALIDATE_TASKS} tasks, ${kib(json)}`,
            ...digits(jsonMs, 1),
            verdict(jsonMs, TARGET_VALIDATE_MS),
          ],
          [
            "parseTasksFile (YAML)",
            `${VALIDATE_TASKS} tasks, ${kib(yaml)}`,
            ...digits(yamlMs, 1),
            verdict(yamlMs, TARGET_VALIDATE_MS),
          ],
          [
            "reconcile",
            `${RECONCILE_TASKS} tasks: ${Object.entries(counts)
              .filter(([, n]) => n > 0)
              .map(([status, n]) => `${n} ${status}`)
              .join(", ")}`,
            ...digits(reconcileMs, 3),
            verdict(reconcileMs, TARGET_RECONCILE_MS),
          ],
        ],
        notes: [
          "parseTasksFile = syntax + schema + graph checks + building the graph (runs: JSON 9, YAML 3; reconcile 500).",
          "YAML: most of that time is the yaml package's own parseDocument (measured alone: about the same).",
        ],
      },
    ];
  },
};
