import { SessionInPlace, type SessionMachine } from "./session-machine.js";
import type { TaskGraph } from "./task-graph.js";

export interface ScheduledTask {
  id: string;
  start: number;
  end: number;
  /** 1-based agent slot, for timelines. */
  agent: number;
}

export interface SimulatedSession {
  makespan: number;
  schedule: ScheduledTask[];
}

/**
 * Runs a session on a virtual clock with the reconciler itself deciding every start, so `plan`
 * shows exactly the order a real run would use. Each task takes its `estimateMinutes` (or what
 * `duration` says) and succeeds. The machine runs in place (`SessionInPlace`): the events of a
 * session of n tasks cost O(n log n) in all, not a copy of the whole state each.
 */
export function simulateSession(args: {
  graph: TaskGraph;
  agents: number;
  duration?: (id: string) => number;
}): SimulatedSession {
  const { graph } = args;
  const duration = args.duration ?? ((id: string) => graph.byId.get(id)?.estimateMinutes ?? 1);
  const machine: SessionMachine = { graph, limits: { maxParallel: args.agents } };
  // Nothing is ever merged here, so `waiting` reports would only repeat themselves.
  const session = new SessionInPlace(machine, { tasks: {} }, { reportWaiting: false });
  const schedule: ScheduledTask[] = [];
  const running: ScheduledTask[] = [];
  const freeAgents = Array.from({ length: Math.max(1, args.agents) }, (_, i) => i + 1);
  let now = 0;

  for (;;) {
    for (const start of session.apply({ type: "advance" })) {
      if (start.type !== "start") continue;
      const agent = freeAgents.shift() ?? 0;
      const entry = { id: start.id, start: now, end: now + duration(start.id), agent };
      schedule.push(entry);
      running.push(entry);
    }
    if (session.state.outcome !== undefined || running.length === 0) break;

    // Advance to the next finish; every task ending at that instant completes together.
    now = Math.min(...running.map((entry) => entry.end));
    for (let i = running.length - 1; i >= 0; i--) {
      const entry = running[i] as ScheduledTask;
      if (entry.end !== now) continue;
      running.splice(i, 1);
      freeAgents.push(entry.agent);
      session.apply({ type: "attempt_ended", id: entry.id, attempt: 1, succeeded: true });
    }
    freeAgents.sort((a, b) => a - b);
  }
  return { makespan: now, schedule };
}
