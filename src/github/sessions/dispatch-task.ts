import { encodeDispatchInputs, formatRunName, type TaskRunRequest } from "../../core/dispatch-inputs.js";
import {
  apiErrorMessage,
  clientBaseUrl,
  describeApiError,
  httpStatus,
  isRateLimited,
  type GitHubClient,
  type RepoRef,
} from "../github-client.js";
import type { AppConfig } from "./app-config.js";
import type { SessionRuntime } from "./session-runtime.js";
import type { WorkflowRunLike } from "./workflow-run.js";

/**
 * Sends one dispatch of one task attempt — the first write of the pass that decided it, so a
 * task made ready by an event starts as soon as GitHub allows (issue 10):
 *
 * - Never retried blindly (Probot retries POSTs on 5xx): a 5xx may mean the run was created, so
 *   the run is looked for by its run-name instead.
 * - `return_run_details: true` returns the run id; GitHub Enterprise Server ≤ 3.20 rejects the
 *   parameter, so dispatch again without it (nothing was created by the rejected call) and find
 *   the run by its run-name.
 *
 * One dispatch per attempt: inside a process the per-session queue lets one pass at a time decide,
 * and a pass whose save failed goes on from its own record, not the older saved one
 * (advance-session.ts). Two processes deciding the same attempt at once (two replicas woken by
 * the two events GitHub sends when a run ends) may each dispatch it: the attempt then has two
 * runs, and the one its saved record does not name is cancelled by the next pass that sees it
 * (a duplicate, believed in nothing: core/accept-run.ts). Claim refs once made every dispatch
 * exactly-once across processes at the price of one more write per task, ahead of the dispatch.
 *
 * When is it safe to dispatch an attempt again? Only when its dispatch has **provably** created
 * no run, which the App takes to mean one of:
 *
 * - GitHub refused the dispatch for a rate limit (403/429 naming one): a rate-limited request is
 *   refused before anything is done (outcome `unsent`);
 * - the dispatch got a 5xx or no answer, and a listing of the task workflow's dispatch runs
 *   created since a minute before the dispatch, read at least `dispatchSettleMs` after it, holds
 *   no run named for the attempt (outcome `uncertain`, settled by the session pass). GitHub
 *   creates a dispatched run before it answers (the 200 carries its id) and lists it within
 *   seconds, so a run absent minutes later was not created.
 *
 * Should a late run still appear, the attempt has two runs for a moment: the one not linked to
 * the attempt is cancelled as an extra (session-pass.ts `observeRuns`).
 */

export type DispatchOutcome =
  /** Our dispatch went through. The run id is unknown when the server could not say and the run was not listed yet. */
  | { kind: "dispatched"; runId?: number; runUrl?: string }
  /** GitHub refused the dispatch: no run exists; the attempt failed with this reason. */
  | { kind: "rejected"; reason: string }
  /** The dispatch may or may not have created a run (5xx, network) and none was found yet. */
  | { kind: "uncertain"; note: string }
  /** GitHub refused the dispatch for a rate limit: provably no run; send again later. */
  | { kind: "unsent"; note: string };

export async function dispatchTask(args: {
  client: GitHubClient;
  repo: RepoRef;
  /** The branch the workflow runs from (the default branch: dispatchable workflows live there). */
  dispatchRef: string;
  workflowFile: string;
  request: TaskRunRequest;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<DispatchOutcome> {
  const { client, repo, request } = args;
  const runName = formatRunName(request);
  const inputs = encodeDispatchInputs(request);
  const host = clientBaseUrl(client);
  const send = (withDetails: boolean) =>
    client.request("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", {
      ...repo,
      workflow_id: args.workflowFile,
      ref: args.dispatchRef,
      inputs,
      ...(withDetails ? { return_run_details: true } : {}),
      request: { retries: 0 },
    });

  let withDetails = !args.runtime.noRunDetails.has(host);
  for (;;) {
    try {
      const response = await send(withDetails);
      const data = response.data as { workflow_run_id?: unknown; html_url?: unknown } | undefined;
      if (response.status === 200 && typeof data?.workflow_run_id === "number") {
        const outcome: DispatchOutcome = { kind: "dispatched", runId: data.workflow_run_id };
        if (typeof data.html_url === "string") outcome.runUrl = data.html_url;
        return outcome;
      }
      // 204: created, id unknown (an older server may ignore the parameter instead of refusing it).
      const found = await findRunByName({ ...args, runName });
      return found ? { kind: "dispatched", ...runRef(found) } : { kind: "dispatched" };
    } catch (error) {
      const status = httpStatus(error);
      if (withDetails && (status === 422 || status === 400) && rejectsRunDetails(error)) {
        // The server validated the request and created nothing: dispatching again is safe.
        args.runtime.noRunDetails.add(host);
        withDetails = false;
        continue;
      }
      if (isRateLimited(error)) {
        return {
          kind: "unsent",
          note: `GitHub refused the dispatch for a rate limit (${describeApiError(error)})`,
        };
      }
      if (status !== undefined && status >= 400 && status < 500) {
        return {
          kind: "rejected",
          reason: rejectionReason({ error, workflowFile: args.workflowFile, ref: args.dispatchRef }),
        };
      }
      const found = await findRunByName({ ...args, runName });
      if (found) return { kind: "dispatched", ...runRef(found) };
      return {
        kind: "uncertain",
        note: `the dispatch got no clear answer (${describeApiError(error)}); waiting for the run to appear`,
      };
    }
  }
}

function runRef(run: WorkflowRunLike): { runId: number; runUrl?: string } {
  return run.html_url ? { runId: Number(run.id), runUrl: run.html_url } : { runId: Number(run.id) };
}

function rejectsRunDetails(error: unknown): boolean {
  return /return_run_details/i.test(apiErrorMessage(error));
}

/** Inputs a task workflow of an earlier release lacks, and what needs them. */
const NEWER_INPUTS = [
  { input: "issue", feature: "issue sessions" },
  { input: "mode", feature: "planners and restacking" },
  { input: "feedback", feature: "review follow-ups" },
] as const;

function rejectionReason(args: { error: unknown; workflowFile: string; ref: string }): string {
  const status = httpStatus(args.error);
  if (status === 404) {
    return (
      `the task workflow \`.github/workflows/${args.workflowFile}\` was not found on \`${args.ref}\` ` +
      `(or the App lacks the Actions: write permission); install it from the README and retry`
    );
  }
  // Inputs added after the first release are sent only when used; a workflow copied before them
  // refuses them by name (GitHub: "Unexpected inputs provided: [...]").
  const message = apiErrorMessage(args.error);
  const missing = /unexpected inputs/i.test(message)
    ? NEWER_INPUTS.filter(({ input }) => new RegExp(`\\b${input}\\b`).test(message))
    : [];
  if (missing.length > 0) {
    const names = missing.map(({ input }) => `\`${input}\``).join(" and ");
    return (
      `the task workflow \`.github/workflows/${args.workflowFile}\` on \`${args.ref}\` is older than ${missing.map(({ feature }) => feature).join(" and ")} ` +
      `(it has no ${names} input): update the task workflow from the orchestrator's README, then retry`
    );
  }
  return `GitHub refused to start the task workflow: ${describeApiError(args.error)}`;
}

/**
 * Looks for a dispatched run by its run-name among the workflow's newest dispatch runs, a few
 * times: a run shows up in the list a moment after the dispatch.
 */
export async function findRunByName(args: {
  client: GitHubClient;
  repo: RepoRef;
  workflowFile: string;
  dispatchRef: string;
  runName: string;
  config: AppConfig;
}): Promise<WorkflowRunLike | null> {
  const { attempts, delayMs } = args.config.runLookup;
  for (let attempt = 0; attempt < Math.max(1, attempts); attempt++) {
    if (attempt > 0) await args.config.sleep(delayMs);
    const runs = await listDispatchRuns(args).catch(() => null);
    const found = runs?.find((run) => run.display_title === args.runName);
    if (found) return found;
  }
  return null;
}

/** The newest runs of the task workflow started by workflow_dispatch (one page). */
export async function listDispatchRuns(args: {
  client: GitHubClient;
  repo: RepoRef;
  workflowFile: string;
  dispatchRef: string;
}): Promise<WorkflowRunLike[]> {
  const { data } = await args.client.request(DISPATCH_RUNS_ROUTE, dispatchRunsQuery(args));
  return data.workflow_runs;
}

const DISPATCH_RUNS_ROUTE = "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs";

/** The task workflow's runs started by workflow_dispatch on the dispatch ref, newest first. */
function dispatchRunsQuery(args: { repo: RepoRef; workflowFile: string; dispatchRef: string }) {
  return {
    ...args.repo,
    workflow_id: args.workflowFile,
    event: "workflow_dispatch",
    branch: args.dispatchRef,
    per_page: 100,
  };
}

/** Pages read at most when listing runs since a time (10,000 runs). */
const MAX_LISTING_PAGES = 100;

/**
 * Every dispatch run of the task workflow created since `since` — the listing that proves a run
 * absent. Runs come newest first, so pages are read until one reaches back before `since` (the
 * `created` filter would do it in one, but GitHub's own description types it as a bare
 * date-time). Throws when it cannot be read whole (no proof then).
 */
export async function listDispatchRunsSince(args: {
  client: GitHubClient;
  repo: RepoRef;
  workflowFile: string;
  dispatchRef: string;
  since: Date;
}): Promise<WorkflowRunLike[]> {
  const runs: WorkflowRunLike[] = [];
  let pages = 0;
  const iterator = args.client.paginate.iterator(DISPATCH_RUNS_ROUTE, dispatchRunsQuery(args));
  const since = args.since.getTime();
  for await (const page of iterator) {
    const items = page.data as WorkflowRunLike[];
    runs.push(...items);
    const oldest = items.at(-1)?.created_at;
    if (oldest !== undefined && Date.parse(oldest) < since) break;
    if (++pages >= MAX_LISTING_PAGES) throw new Error("too many runs to list since the dispatch");
  }
  return runs;
}
