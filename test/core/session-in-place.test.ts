import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { observationOf, reconcile, type TaskObservation } from "../../src/core/reconcile.js";
import {
  SessionInPlace,
  step,
  type SessionEvent,
  type SessionMachine,
} from "../../src/core/session-machine.js";
import type { SessionState } from "../../src/core/session-state.js";
import { simulateSession, type ScheduledTask } from "../../src/core/simulate-session.js";
import { graphFromTasks, type TaskGraph } from "../../src/core/task-graph.js";
import { DAG_SHAPES, randomInt, randomTasks, seededRandom, type Random } from "../support/random-dag.js";
import { shapeDependencies, TASK_FILE_SHAPES } from "../support/task-file-shapes.js";
import { makeTask } from "../support/random-dag.js";

/**
 * `SessionInPlace` keeps the reconciler's frontier (task-frontier.ts) alive across events instead
 * of reading every task on every decision. These hold it to the two definitions it replaces: the
 * pure `step` (which builds its frontier afresh from the state, and which the machine's property
 * tests hold to `reconcile` after every step), and `reconcile`'s own pass over the whole graph.
 */

function randomGraph(random: Random, shape: (typeof DAG_SHAPES)[number], size: number): TaskGraph {
  const tasks = randomTasks({ shape, size, seed: randomInt(random, 0, 1e9), maxRetries: 2 }).map((task) =>
    task.dependencies.length > 0 && random() < 0.2 ? { ...task, base: "merged" as const } : task,
  );
  return graphFromTasks(tasks);
}

/** Any event the adapters may send, aimed mostly at tasks where it does something. */
function randomEvent(random: Random, graph: TaskGraph, state: SessionState): SessionEvent {
  const ids = graph.order;
  const pick = (list: readonly string[]) => list[Math.floor(random() * list.length)] as string;
  const withStatus = (status: string) => ids.filter((id) => observationOf(state.tasks, id).status === status);
  const running = withStatus("running");
  const roll = random();
  const target = running.length > 0 && roll < 0.55 ? pick(running) : pick(ids);
  const attempt = observationOf(state.tasks, target).attempts + (random() < 0.1 ? 1 : 0);
  if (roll < 0.3) return { type: "advance" };
  if (roll < 0.5)
    return {
      type: "attempt_ended",
      id: target,
      attempt,
      succeeded: random() < 0.7,
      ...(random() < 0.5 && { costUsd: randomInt(random, 0, 30) / 10 }),
    };
  if (roll < 0.53) return { type: "dispatch_failed", id: target, attempt, reason: "refused" };
  if (roll < 0.56) return { type: "dispatch_withdrawn", id: target, attempt };
  if (roll < 0.6) return { type: "attempt_interrupted", id: target, attempt, costUsd: 0.1 };
  if (roll < 0.62) return { type: "resume" };
  if (roll < 0.72) {
    const succeeded = withStatus("succeeded");
    return { type: "merged", id: succeeded.length > 0 ? pick(succeeded) : target };
  }
  if (roll < 0.8) return { type: "retry", tasks: random() < 0.5 ? "failed" : [pick(ids), pick(ids)] };
  if (roll < 0.81) return { type: "cancel" };
  return {
    type: "run_seen",
    id: target,
    attempt: observationOf(state.tasks, target).attempts + randomInt(random, 0, 1),
    active: random() < 0.5,
    ...(random() < 0.1 && { duplicate: true }),
  };
}

describe("SessionInPlace", () => {
  it("gives the same actions and state as step, event after event, whatever happens", () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer(),
          shape: fc.constantFrom(...DAG_SHAPES),
          size: fc.integer({ min: 1, max: 40 }),
          maxParallel: fc.integer({ min: 1, max: 5 }),
          budgetUsd: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
        }),
        ({ seed, shape, size, maxParallel, budgetUsd }) => {
          const random = seededRandom(seed);
          const graph = randomGraph(random, shape, size);
          const machine: SessionMachine = { graph, limits: { maxParallel, budgetUsd } };
          let pure: SessionState = { tasks: {} };
          const session = new SessionInPlace(machine, { tasks: {} });
          for (let k = 0; k < 6 * size + 20; k++) {
            const event = randomEvent(random, graph, pure);
            const expected = step(machine, pure, event);
            const actions = session.apply(event);
            expect(actions, `event ${k}: ${JSON.stringify(event)}`).toEqual(expected.actions);
            expect(session.state).toEqual(expected.state);
            pure = expected.state;
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("plans exactly the schedule a simulation reading the whole graph every step gives", () => {
    const graphs: TaskGraph[] = [];
    for (const shape of TASK_FILE_SHAPES) {
      const deps = shapeDependencies(shape, 300);
      graphs.push(
        graphFromTasks(
          deps.map((list, i) =>
            makeTask(
              `t${i}`,
              list.map((d) => `t${d}`),
              { estimateMinutes: 1 + ((i * 5) % 7) },
            ),
          ),
        ),
      );
    }
    const random = seededRandom(42);
    for (const shape of DAG_SHAPES) for (let k = 0; k < 5; k++) graphs.push(randomGraph(random, shape, 120));
    for (const graph of graphs) {
      for (const agents of [1, 3, 8]) {
        const simulated = simulateSession({ graph, agents });
        expect(simulated.schedule).toEqual(referenceSchedule(graph, agents));
      }
    }
  });
});

/**
 * The simulation as it was written first: `reconcile` reads the whole observation at every
 * decision; starts and ends are recorded by hand. Quadratic, and the definition of the order.
 */
function referenceSchedule(graph: TaskGraph, agents: number): ScheduledTask[] {
  const tasks: Record<string, TaskObservation> = {};
  const schedule: ScheduledTask[] = [];
  const running: ScheduledTask[] = [];
  const freeAgents = Array.from({ length: agents }, (_, i) => i + 1);
  let now = 0;
  for (;;) {
    const decision = reconcile({ graph, tasks, limits: { maxParallel: agents } });
    for (const start of decision.start) {
      tasks[start.id] = { status: "running", attempts: start.attempt };
      const entry = {
        id: start.id,
        start: now,
        end: now + (graph.byId.get(start.id)?.estimateMinutes ?? 1),
        agent: freeAgents.shift() ?? 0,
      };
      schedule.push(entry);
      running.push(entry);
    }
    if (decision.finished !== null || running.length === 0) return schedule;
    now = Math.min(...running.map((entry) => entry.end));
    for (let i = running.length - 1; i >= 0; i--) {
      const entry = running[i] as ScheduledTask;
      if (entry.end !== now) continue;
      running.splice(i, 1);
      freeAgents.push(entry.agent);
      tasks[entry.id] = { status: "succeeded", attempts: 1 };
    }
    freeAgents.sort((a, b) => a - b);
  }
}
