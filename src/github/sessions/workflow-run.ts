import { parseRunName } from "../../core/dispatch-inputs.js";

/** The fields of a workflow run (webhook payload or REST answer) the App reads. */
export interface WorkflowRunLike {
  /** Octokit types ids as `number | bigint`; run ids fit in a double. */
  id: number | bigint;
  /** The evaluated `run-name`: carries session, task and attempt. */
  display_title?: string | null;
  name?: string | null;
  status?: string | null;
  conclusion?: string | null;
  html_url?: string;
  run_started_at?: string | null;
  created_at?: string;
  updated_at?: string;
  run_attempt?: number;
}

export interface RunKey {
  sessionId: string;
  taskId: string;
  attempt: number;
}

/** Which session, task and attempt a run belongs to, from its run-name; null for other runs. */
export function runKeyFromWorkflowRun(run: WorkflowRunLike): RunKey | null {
  return parseRunName(run.display_title ?? "");
}
