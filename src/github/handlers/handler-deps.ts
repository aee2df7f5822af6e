import type { AppConfig, SessionRuntime } from "../sessions/index.js";

/** What every webhook handler needs besides the event: the use-cases' settings and runtime. */
export interface HandlerDeps {
  config: AppConfig;
  /** This process's in-memory session runtime (queues, caches); nothing in it matters for correctness. */
  runtime: SessionRuntime;
  /** The App's own id: its comments and check runs are recognised by it. */
  appId: number;
  /**
   * `name:` of the task workflow: its `workflow_job` events whose job is not named like the run
   * (a workflow changed by hand) are still picked, at the cost of reading the run.
   */
  workflowName: string;
}
