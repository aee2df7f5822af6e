import { dispatchedRunOrigin } from "../../core/accept-run.js";
import { formatRunName } from "../../core/dispatch-inputs.js";
import type { TaskGraph } from "../../core/task-graph.js";
import { describeApiError, httpStatus, type GitHubClient } from "../github-client.js";
import { listDispatchRuns } from "./dispatch-task.js";
import type { LoadedSession } from "./load-session.js";
import { acceptedRuns, sessionRunExpectation, type WorkflowRunLike } from "./workflow-run.js";

/**
 * For a sweep: the current state of the runs of running tasks, read from GitHub (their
 * `completed` events may have been missed). A run that was deleted is reported as completed
 * with the conclusion `deleted`: its attempt can never report otherwise. Runs listed for tasks
 * whose run id is unknown are matched by the one rule for runs (core/accept-run.ts), never by
 * their title alone.
 */
export async function sweepRuns(args: {
  client: GitHubClient;
  session: LoadedSession;
  graph: TaskGraph;
  warnings: string[];
}): Promise<WorkflowRunLike[]> {
  const { client, session } = args;
  const { record } = session;
  const found: WorkflowRunLike[] = [];
  const unknown: string[] = [];
  for (const id of args.graph.order) {
    const task = record.tasks[id];
    if (task?.status !== "running") continue;
    const runId = record.runs[id]?.runId;
    if (runId === undefined) {
      unknown.push(id);
      continue;
    }
    try {
      const { data } = await client.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", {
        ...session.repo,
        run_id: runId,
      });
      found.push(data);
    } catch (error) {
      if (httpStatus(error) === 404) {
        // The run the App recorded for this attempt, as the App knows it: of the task workflow,
        // dispatched in the session's repository.
        found.push({
          id: runId,
          display_title: formatRunName({ sessionId: session.sessionId, taskId: id, attempt: task.attempts }),
          ...dispatchedRunOrigin({
            repository: `${session.repo.owner}/${session.repo.repo}`,
            workflowFile: record.workflowFile,
          }),
          status: "completed",
          conclusion: "deleted",
        });
      } else args.warnings.push(`could not read run ${runId}: ${describeApiError(error)}`);
    }
  }
  if (unknown.length === 0) return found;
  try {
    const runs = await listDispatchRuns({
      client,
      repo: session.repo,
      workflowFile: record.workflowFile,
      dispatchRef: record.dispatchRef,
    });
    const expected = sessionRunExpectation({ sessionId: session.sessionId, repo: session.repo, record });
    for (const { run, key } of acceptedRuns(runs, expected, args.warnings)) {
      if (unknown.includes(key.taskId) && record.tasks[key.taskId]?.attempts === key.attempt) found.push(run);
    }
  } catch (error) {
    args.warnings.push(`could not list the task workflow's runs: ${describeApiError(error)}`);
  }
  return found;
}
