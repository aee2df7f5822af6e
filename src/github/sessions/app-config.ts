import { TASK_WORKFLOW_NAME } from "../../core/starter-tasks.js";

/**
 * Settings of the session use-cases. Time and sleeping are parameters so tests (and the
 * benchmark) run sessions on a virtual clock.
 */
export interface AppConfig {
  /** File name of the per-task workflow under `.github/workflows/`. */
  workflowFile: string;
  /** Agents at once when neither the trigger nor the tasks file says. */
  defaultParallel: number;
  now: () => Date;
  /** When set, a session whose summary check run another App created is not ours to touch. */
  appId?: number;
  /**
   * The status comment is rewritten at most this often while nothing urgent changed (a failure,
   * the end of the session); the Checks tab stays live meanwhile. 0 writes every change.
   */
  statusCommentIntervalMs: number;
  /** A running task whose workflow run has not appeared this long after dispatch fails. */
  runNeverStartedAfterMs: number;
  /**
   * A dispatch that got no clear answer is settled this long after it was sent: a listing of the
   * runs then shows its run, or proves there is none and it goes out again (dispatch-task.ts).
   */
  dispatchSettleMs: number;
  /** A pass that GitHub failed (a 5xx or rate limit past the client's retries) runs again, this often. */
  passRetries: { attempts: number; delayMs: number };
  /** Looking for a dispatched run by its run-name (GHES fallback, or after a 5xx). */
  runLookup: { attempts: number; delayMs: number };
  /**
   * A finished job's run is read only if the run's own `workflow_run.completed` has not come this
   * long after the job's event (GitHub sends it seconds later): the job event is a second chance,
   * not a second read per task. 0 reads at once.
   */
  jobEventGraceMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_WORKFLOW_FILE = TASK_WORKFLOW_NAME;

export function createAppConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    workflowFile: DEFAULT_WORKFLOW_FILE,
    defaultParallel: 3,
    now: () => new Date(),
    statusCommentIntervalMs: 10 * 60_000,
    runNeverStartedAfterMs: 15 * 60_000,
    dispatchSettleMs: 2 * 60_000,
    passRetries: { attempts: 3, delayMs: 2_000 },
    runLookup: { attempts: 3, delayMs: 1_000 },
    jobEventGraceMs: 30_000,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...overrides,
  };
}
