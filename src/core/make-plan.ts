import { worstCaseCost, type WorstCaseCost } from "./worst-case-cost.js";
import { simulateSession, type ScheduledTask } from "./simulate-session.js";
import {
  criticalPath,
  criticalPathMinutes,
  makespanLowerBound,
  totalWorkMinutes,
  waves,
  type TaskGraph,
} from "./task-graph.js";

/** What `orchestrator plan` shows: the order a real session would use, on a virtual clock. */
export interface Plan {
  agents: number;
  waves: string[][];
  criticalPath: string[];
  criticalPathMinutes: number;
  totalWorkMinutes: number;
  /** max(critical path, total work ÷ agents): no schedule can finish sooner. */
  lowerBoundMinutes: number;
  makespanMinutes: number;
  /** Sorted by start, then agent. */
  schedule: ScheduledTask[];
  worstCaseCost: WorstCaseCost;
}

/** Durations are the tasks' `estimate_minutes` (1 when unset), as the scheduler itself assumes. */
export function makePlan(args: { graph: TaskGraph; agents: number }): Plan {
  const { graph, agents } = args;
  const simulated = simulateSession({ graph, agents });
  return {
    agents,
    waves: waves(graph),
    criticalPath: criticalPath(graph),
    criticalPathMinutes: criticalPathMinutes(graph),
    totalWorkMinutes: totalWorkMinutes(graph),
    lowerBoundMinutes: makespanLowerBound(graph, agents),
    makespanMinutes: simulated.makespan,
    schedule: [...simulated.schedule].sort((a, b) => a.start - b.start || a.agent - b.agent),
    worstCaseCost: worstCaseCost(graph),
  };
}
