import { encodeDispatchInputs, formatRunName, type TaskRunRequest } from "../../core/dispatch-inputs.js";
import {
  apiErrorMessage,
  clientBaseUrl,
  describeApiError,
  httpStatus,
  type GitHubClient,
  type RepoRef,
} from "../github-client.js";
import type { AppConfig } from "./app-config.js";
import { claimTaskAttempt } from "./orchestrator-refs.js";
import type { SessionRuntime } from "./session-runtime.js";
import type { WorkflowRunLike } from "./workflow-run.js";

/**
 * Starts one attempt of one task, at most once across every process (DESIGN §2.3):
 *
 * 1. Claim the attempt (orchestrator-refs.ts): exactly one process wins it; the others adopt it
 *    (the winner's run is matched later by its run-name).
 * 2. Dispatch the task workflow once, never retried blindly (Probot retries POSTs on 5xx):
 *    a 5xx may mean the run was created, so the run is looked for by its run-name instead.
 * 3. `return_run_details: true` returns the run id; GitHub Enterprise Server ≤ 3.20 rejects the
 *    parameter, so dispatch again without it (nothing was created by the rejected call) and find
 *    the run by its run-name.
 */

export type DispatchOutcome =
  /** Our dispatch went through. The run id is unknown when the server could not say and the run was not listed yet. */
  | { kind: "dispatched"; runId?: number; runUrl?: string }
  /** Another process holds the claim for this attempt: it dispatches, we only record it as running. */
  | { kind: "claimed-elsewhere" }
  /** GitHub refused the dispatch: no run exists; the attempt failed with this reason. */
  | { kind: "rejected"; reason: string }
  /** The dispatch may or may not have created a run (5xx, network) and none was found yet. */
  | { kind: "uncertain"; note: string }
  /** The claim itself could not be made (not a conflict): nothing was dispatched, try again later. */
  | { kind: "not-claimed"; reason: string };

export async function dispatchTask(args: {
  client: GitHubClient;
  repo: RepoRef;
  checkRunId: number;
  sha: string;
  /** The branch the workflow runs from (the default branch: dispatchable workflows live there). */
  dispatchRef: string;
  workflowFile: string;
  request: TaskRunRequest;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<DispatchOutcome> {
  const { client, repo, request } = args;
  try {
    const claimed = await claimTaskAttempt({
      client,
      repo,
      checkRunId: args.checkRunId,
      taskId: request.taskId,
      attempt: request.attempt,
      sha: args.sha,
    });
    if (!claimed) return { kind: "claimed-elsewhere" };
  } catch (error) {
    return { kind: "not-claimed", reason: `could not claim the attempt: ${describeApiError(error)}` };
  }

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

function rejectionReason(args: { error: unknown; workflowFile: string; ref: string }): string {
  const status = httpStatus(args.error);
  if (status === 404) {
    return (
      `the task workflow \`.github/workflows/${args.workflowFile}\` was not found on \`${args.ref}\` ` +
      `(or the App lacks the Actions: write permission); install it from the README and retry`
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
  const { data } = await args.client.request(
    "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
    {
      ...args.repo,
      workflow_id: args.workflowFile,
      event: "workflow_dispatch",
      branch: args.dispatchRef,
      per_page: 100,
    },
  );
  return data.workflow_runs;
}
