import { runSimulatedSession } from "../test/support/simulated-session.js";
import type { Benchmark, BenchTable } from "./benchmark.js";

/**
 * GitHub API requests the App makes over whole sessions (DESIGN §8), reads and writes apart:
 * writes are what GitHub's secondary rate limits meter. The session runs through the real
 * use-cases against the OpenAPI-checked fake GitHub on a virtual clock; what the simulated task
 * Action does (commits, pull requests) is not counted.
 */
/** Issue 10's targets over a 50-task session, constants included. */
const TARGET_READS = 3.0;
const TARGET_WRITES = 3.6;
const SIZES = [10, 50, 200];

export const githubRequests: Benchmark = {
  name: "github-requests",
  description: "GitHub API requests per task over whole sessions, reads and writes apart",
  async run(): Promise<BenchTable[]> {
    const rows: string[][] = [];
    const notes: string[] = [];
    for (const tasks of SIZES) {
      const result = await runSimulatedSession({ tasks, parallel: 5 });
      if (result.violations.length > 0)
        notes.push(`${tasks} tasks: ${result.violations.length} OpenAPI violations`);
      rows.push([
        String(tasks),
        String(result.dispatches),
        String(result.requests.reads),
        String(result.requests.writes),
        result.perTask.reads.toFixed(2),
        result.perTask.writes.toFixed(2),
        result.status.conclusion ?? result.status.state,
      ]);
    }
    notes.push(
      `Target ≤ ${TARGET_READS} reads and ≤ ${TARGET_WRITES} writes per task. Per task the App writes the dispatch, ` +
        "the task's check run and the session record (one save for passes that overlap); per session it adds its summary " +
        "check run, the active-session ref (created and deleted) and the status comment (created, then edited at most " +
        "every 10 minutes or when a failure appears). Through the real server, with webhooks: bench app-turns.",
    );
    return [
      {
        title: "GitHub API requests per session (layered DAGs, 5 at once, every task succeeds)",
        columns: ["tasks", "dispatches", "reads", "writes", "reads/task", "writes/task", "conclusion"],
        rows,
        notes,
      },
    ];
  },
};
