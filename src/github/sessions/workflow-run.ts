import { acceptRun, type RunExpectation, type RunKey, type RunOrigin } from "../../core/accept-run.js";
import type { RepoRef } from "../github-client.js";
import type { SessionRecord } from "./session-record.js";

export type { RunKey } from "../../core/accept-run.js";

/** The fields of a workflow run (webhook payload or REST answer) the App reads. */
export interface WorkflowRunLike extends RunOrigin {
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

/** What runs of a session must be (core/accept-run.ts): its repository, its task workflow, the run ids it recorded. */
export function sessionRunExpectation(args: {
  sessionId: string;
  repo: RepoRef;
  record: Pick<SessionRecord, "workflowFile" | "tasks" | "runs">;
}): RunExpectation {
  const { record } = args;
  return {
    repository: `${args.repo.owner}/${args.repo.repo}`,
    workflowFile: record.workflowFile,
    sessionId: args.sessionId,
    knownRunId: (key) =>
      record.tasks[key.taskId]?.attempts === key.attempt ? record.runs[key.taskId]?.runId : undefined,
  };
}

/**
 * The key of a run believed to be an attempt of the expected session, else null. A run named
 * for that session but refused is reported: someone made a run look like one of ours.
 */
export function acceptedRunKey(
  run: WorkflowRunLike,
  expected: RunExpectation,
  warnings: string[],
): RunKey | null {
  const judged = judgeRun(run, expected, warnings);
  return judged && !judged.duplicate ? judged.key : null;
}

/**
 * Like `acceptedRunKey`, but also names the attempt of a run that is a second run of it (same
 * workflow, event and repository, another run id): the session stops such a run, believing none of it.
 */
export function judgeRun(
  run: WorkflowRunLike,
  expected: RunExpectation,
  warnings: string[],
): { key: RunKey; duplicate: boolean } | null {
  const verdict = acceptRun(run, expected);
  if (verdict.accepted) return { key: verdict.key, duplicate: false };
  // A restack run of the session is no attempt, and no impostor either (restack-runs.ts reads it).
  if (verdict.restackOf) return null;
  if (expected.sessionId !== undefined && namesSession(run, expected.sessionId))
    warnings.push(`not believed as a task attempt: ${verdict.reason}`);
  return verdict.duplicateOf ? { key: verdict.duplicateOf, duplicate: true } : null;
}

/** `acceptedRunKey` over several runs: the accepted ones with their keys. */
export function acceptedRuns<Run extends WorkflowRunLike>(
  runs: readonly Run[],
  expected: RunExpectation,
  warnings: string[],
): Array<{ run: Run; key: RunKey }> {
  const accepted: Array<{ run: Run; key: RunKey }> = [];
  for (const run of runs) {
    const key = acceptedRunKey(run, expected, warnings);
    if (key) accepted.push({ run, key });
  }
  return accepted;
}

function namesSession(run: WorkflowRunLike, sessionId: string): boolean {
  return (run.display_title ?? "").includes(`[${sessionId}]`);
}
