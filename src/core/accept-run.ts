import { parseRunName } from "./dispatch-inputs.js";
import { parseSessionId } from "./session-id.js";

/**
 * Which workflow runs the App believes are attempts of its tasks. A run's title (its run-name)
 * is chosen by whoever starts the run: a pull request from a fork titled
 * `orchestrator api #1 [<session>]` gets a run with exactly that title, and an agent with a
 * shell can dispatch the task workflow with inputs of its choosing. The title only says which
 * attempt a run claims to be; it is believed only if the run is also
 *
 * - of the session's repository, built from it (`repository` and `head_repository`: not a fork);
 * - of the task workflow (`path` is `.github/workflows/<workflowFile>`);
 * - started by `workflow_dispatch` (what the App does; a pull request or push run is not);
 * - the very run dispatched for that attempt, when the App knows its id (from the dispatch
 *   answer, or the first accepted sighting).
 *
 * Every place that matches runs to attempts (webhooks, sweeps, a session pass) asks this.
 *
 * A restack run (named like the attempt with ` restack` after it, see `formatRunName`) rebases
 * the attempt's branch with no agent: it is never an attempt. `acceptRun` refuses it, naming it
 * in `restackOf` when it passes every other check, and `acceptRestackRun` believes it, by the
 * same rule, as a restack of that attempt's branch.
 */

export interface RunKey {
  sessionId: string;
  taskId: string;
  attempt: number;
}

/** The fields of a workflow run (webhook payload or REST answer) that say what it is and where it came from. */
export interface RunOrigin {
  id: number | bigint;
  display_title?: string | null | undefined;
  event?: string | null | undefined;
  path?: string | null | undefined;
  workflow_id?: number | null | undefined;
  repository?: { full_name?: string | null | undefined } | null | undefined;
  head_repository?: { full_name?: string | null | undefined } | null | undefined;
}

export interface RunExpectation {
  /** The session's repository, "owner/repo". */
  repository: string;
  /** File name of the task workflow under `.github/workflows/` (or its numeric id). */
  workflowFile: string;
  /** Only runs of this session, when the caller knows which session it looks at. */
  sessionId?: string | undefined;
  /** The run id recorded for an attempt, if the App knows it. */
  knownRunId?: ((key: RunKey) => number | undefined) | undefined;
}

export type RunAcceptance =
  | { accepted: true; key: RunKey }
  /**
   * `duplicateOf`: a run of the task workflow, dispatched in the session's repository for an
   * attempt that already has its run (a dispatch retried after an answer was lost, or a second
   * dispatch by hand). Not believed; the session stops it if it runs (see the machine's run_seen).
   */
  | { accepted: false; reason: string; duplicateOf?: RunKey; restackOf?: RunKey };

export const TASK_RUN_EVENT = "workflow_dispatch";

export function acceptRun(run: RunOrigin, expected: RunExpectation): RunAcceptance {
  const judged = judgeOrigin(run, expected);
  if (!judged.accepted) return judged;
  const { key } = judged;
  if (judged.mode === "restack")
    return {
      accepted: false,
      reason: `run ${run.id}: a restack run of ${key.taskId} attempt ${key.attempt} (its branch rebased, no agent), not a task attempt`,
      restackOf: key,
    };
  const known = expected.knownRunId?.(key);
  if (known !== undefined && known !== Number(run.id))
    return {
      accepted: false,
      reason: `run ${run.id}: not the run dispatched for ${key.taskId} attempt ${key.attempt} (run ${known})`,
      duplicateOf: key,
    };
  return { accepted: true, key };
}

/**
 * A restack run believed by the same rule as an attempt (session, repository, not a fork, the
 * task workflow, workflow_dispatch): `key` names the attempt whose branch it rebased. Which
 * restack it is (the App may have dispatched several for one attempt) is the caller's to match.
 */
export function acceptRestackRun(
  run: RunOrigin,
  expected: Omit<RunExpectation, "knownRunId">,
): RunAcceptance {
  const judged = judgeOrigin(run, expected);
  if (!judged.accepted) return judged;
  if (judged.mode !== "restack") return { accepted: false, reason: `run ${run.id}: not a restack run` };
  return { accepted: true, key: judged.key };
}

/** The checks every believed run passes, whatever it does; the mode its name says. */
function judgeOrigin(
  run: RunOrigin,
  expected: Omit<RunExpectation, "knownRunId">,
): (RunAcceptance & { accepted: false }) | { accepted: true; key: RunKey; mode: "task" | "restack" } {
  const refuse = (reason: string): RunAcceptance & { accepted: false } => ({
    accepted: false,
    reason: `run ${run.id}: ${reason}`,
  });
  const named = parseRunName(run.display_title ?? "");
  if (!named) return refuse("not named like a task attempt");
  const key: RunKey = { sessionId: named.sessionId, taskId: named.taskId, attempt: named.attempt };
  if (expected.sessionId !== undefined && key.sessionId !== expected.sessionId)
    return refuse(`named for another session (${key.sessionId})`);
  const session = parseSessionId(key.sessionId);
  if (!session || !sameName(`${session.owner}/${session.repo}`, expected.repository))
    return refuse(`named for a session of another repository (${key.sessionId})`);
  const repository = run.repository?.full_name;
  if (!repository || !sameName(repository, expected.repository))
    return refuse(`of repository ${repository ?? "(unknown)"}, not ${expected.repository}`);
  const head = run.head_repository?.full_name;
  if (!head || !sameName(head, expected.repository))
    return refuse(`built from ${head ?? "an unknown repository"}, not ${expected.repository}`);
  if (run.event !== TASK_RUN_EVENT)
    return refuse(`started by "${run.event ?? "(unknown)"}", not by ${TASK_RUN_EVENT}`);
  if (!isTaskWorkflow(run, expected.workflowFile))
    return refuse(`of workflow ${run.path ?? run.workflow_id ?? "(unknown)"}, not the task workflow`);
  return { accepted: true, key, mode: named.mode };
}

/**
 * Where a run the App dispatched itself comes from, as `acceptRun` checks it: for a run known only
 * by the App's record (deleted on GitHub), so it passes the same rule as one read from GitHub.
 */
export function dispatchedRunOrigin(expected: {
  repository: string;
  workflowFile: string;
}): Pick<RunOrigin, "event" | "path" | "workflow_id" | "repository" | "head_repository"> {
  const repository = { full_name: expected.repository };
  return {
    event: TASK_RUN_EVENT,
    path: `.github/workflows/${expected.workflowFile}`,
    ...(/^[0-9]+$/.test(expected.workflowFile) ? { workflow_id: Number(expected.workflowFile) } : {}),
    repository,
    head_repository: repository,
  };
}

/** Whether the run is of the task workflow: by path, or by id when the workflow is configured by its id. */
function isTaskWorkflow(run: RunOrigin, workflowFile: string): boolean {
  if (/^[0-9]+$/.test(workflowFile)) return run.workflow_id === Number(workflowFile);
  // A `path` may carry the ref it was read at (`.github/workflows/x.yml@refs/heads/main`).
  const path = (run.path ?? "").replace(/@.*$/, "");
  return path === `.github/workflows/${workflowFile}`;
}

/** Owner and repository names compare without regard to case, as on GitHub. */
function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
