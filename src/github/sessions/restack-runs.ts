import { acceptRestackRun } from "../../core/accept-run.js";
import { inert, plainLine, safeUrl } from "../../core/inert-text.js";
import { dependentsOnBranchOf, type RestackAsk } from "../../core/restack-plan.js";
import type { TaskGraph } from "../../core/task-graph.js";
import { describeApiError, httpStatus, type GitHubClient } from "../github-client.js";
import type { LoadedSession } from "./load-session.js";
import { failureAnnotation } from "./read-run-result.js";
import type { RestackFacts, TaskFacts } from "./session-record.js";
import { taskCheckExternalId, taskCheckName } from "./task-checks.js";
import type { WorkflowRunLike } from "./workflow-run.js";

/**
 * How restack runs end (restack-dependents.ts dispatched them). A run is believed by the same rule
 * as an attempt's (core/accept-run.ts `acceptRestackRun`), and only as the restack the task's
 * `restack` fact names: the run id it recorded, or — when the dispatch could not say it — the
 * first run under the restack's name created after the dispatch. Success needs nothing more. A
 * failure (a conflict above all) is shown on the task's check run: the run's reason, inert (it
 * names the files, which come from the agent's work), and how to fix it. A rebased branch is
 * followed by the tasks built on it: their restacks are returned, to be carried out.
 */

/** How the Action begins the failure of a conflicting restack (action/src/restack.ts). */
const RESTACK_CONFLICT_PREFIX = "Restack conflict: ";

/** Runs created this long before the dispatch's time (clocks differ) may still be the restack's. */
const CLOCK_SLACK_MS = 60_000;

export async function observeRestackRuns(args: {
  client: GitHubClient;
  session: LoadedSession;
  graph: TaskGraph;
  runs: readonly WorkflowRunLike[];
  summaryUrl: string | undefined;
  now: Date;
  warnings: string[];
}): Promise<RestackAsk[]> {
  const { session } = args;
  const follow: RestackAsk[] = [];
  const { record } = session;
  const expected = {
    repository: `${session.repo.owner}/${session.repo.repo}`,
    workflowFile: record.workflowFile,
    sessionId: session.sessionId,
  };
  for (const run of args.runs) {
    const verdict = acceptRestackRun(run, expected);
    if (!verdict.accepted) continue;
    const { key } = verdict;
    const facts = record.runs[key.taskId];
    const restack = facts?.restack;
    if (!facts || !restack || record.tasks[key.taskId]?.attempts !== key.attempt) continue;
    if (restack.runId === undefined) {
      const created = Date.parse(run.created_at ?? "");
      if (Number.isNaN(created) || created < Date.parse(restack.at) - CLOCK_SLACK_MS) continue;
      restack.runId = Number(run.id);
      if (run.html_url) restack.runUrl = run.html_url;
    }
    if (restack.runId !== Number(run.id) || run.status !== "completed" || restack.state !== "dispatched")
      continue;
    restack.endedAt = run.updated_at ?? args.now.toISOString();
    if (run.conclusion === "success") {
      restack.state = "succeeded";
      // Tasks built on this branch follow it: their own commits onto its new tip.
      for (const id of dependentsOnBranchOf(args.graph, key.taskId))
        follow.push({ id, onto: key.taskId, why: "revised", from: restack.tipBefore });
      // The check run showed an earlier restack's failure: the task's own check is written again.
      if (restack.checkShowsFailure) {
        delete facts.check;
        delete restack.checkShowsFailure;
      }
      continue;
    }
    restack.state = "failed";
    const annotation =
      run.conclusion === "failure"
        ? await failureAnnotation({ client: args.client, repo: session.repo, run })
        : null;
    // The Action's annotation starts "Task <id>: ", which the check run of that task need not repeat.
    const said = annotation?.message.replace(/^Task \S+: /, "");
    restack.reason = said || `the restack run ended as "${run.conclusion ?? "unknown"}"`;
    if (restack.reason.startsWith(RESTACK_CONFLICT_PREFIX)) {
      restack.conflict = true;
      restack.reason = restack.reason.slice(RESTACK_CONFLICT_PREFIX.length);
    }
    await showOnCheck({ ...args, taskId: key.taskId, facts, restack });
  }
  return follow;
}

/** For a sweep: the restack runs still going, read from GitHub (their `completed` may have been missed). */
export async function sweepRestackRuns(args: {
  client: GitHubClient;
  session: LoadedSession;
  warnings: string[];
}): Promise<WorkflowRunLike[]> {
  const found: WorkflowRunLike[] = [];
  for (const facts of Object.values(args.session.record.runs)) {
    const runId = facts.restack?.state === "dispatched" ? facts.restack.runId : undefined;
    if (runId === undefined) continue;
    try {
      const { data } = await args.client.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", {
        ...args.session.repo,
        run_id: runId,
      });
      found.push(data);
    } catch (error) {
      if (httpStatus(error) !== 404)
        args.warnings.push(`could not read restack run ${runId}: ${describeApiError(error)}`);
    }
  }
  return found;
}

/**
 * The task's check run shows the failed restack: the one last written for the task is updated
 * (so the task's own projection, which compares with the check it recorded, leaves it), or one is
 * created when the task has none.
 */
async function showOnCheck(args: {
  client: GitHubClient;
  session: LoadedSession;
  graph: TaskGraph;
  taskId: string;
  facts: TaskFacts;
  restack: RestackFacts;
  summaryUrl: string | undefined;
  now: Date;
  warnings: string[];
}): Promise<void> {
  const { session, taskId, facts, restack } = args;
  const output = restackCheckOutput(args);
  const detailsUrl = safeUrl(restack.runUrl) ?? safeUrl(args.summaryUrl);
  const body = {
    status: "completed" as const,
    conclusion: "failure" as const,
    completed_at: restack.endedAt ?? args.now.toISOString(),
    ...(detailsUrl ? { details_url: detailsUrl } : {}),
    output,
  };
  try {
    if (facts.check !== undefined) {
      await args.client.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", {
        ...session.repo,
        check_run_id: facts.check.id,
        ...body,
      });
    } else {
      const attempt = session.record.tasks[taskId]?.attempts ?? 0;
      await args.client.request("POST /repos/{owner}/{repo}/check-runs", {
        ...session.repo,
        name: taskCheckName(taskId),
        head_sha: session.record.sha,
        external_id: taskCheckExternalId({ sessionId: session.sessionId, taskId, attempt }),
        ...body,
      });
    }
    restack.checkShowsFailure = true;
  } catch (error) {
    args.warnings.push(
      `could not show the failed restack of ${taskId} on its check run: ${describeApiError(error)}`,
    );
  }
}

function restackCheckOutput(args: {
  graph: TaskGraph;
  session: LoadedSession;
  taskId: string;
  facts: TaskFacts;
  restack: RestackFacts;
}): { title: string; summary: string } {
  const { restack, taskId, facts } = args;
  const branch = args.graph.byId.get(taskId)?.branch ?? taskId;
  const after =
    restack.why === "merged" ? `${restack.onto}'s pull request was merged` : `${restack.onto}'s work changed`;
  const what = restack.conflict ? "Restack conflict" : "Restack failed";
  const lines = [
    `**${what}**: ${inert(branch, 200)} could not be rebased onto ${inert(restack.base, 200)} after ${inert(after, 300)}.`,
    "",
    `**Reason:** ${inert(restack.reason ?? "unknown", 2000)}`,
    "",
    "Nothing was pushed: the branch and its pull request are as they were. To fix it, rebase the branch by hand " +
      "onto its new base (the run's reason gives the commands), resolve the conflicts, and push it with " +
      "`--force-with-lease`.",
  ];
  const prUrl = safeUrl(facts.prUrl);
  if (prUrl && facts.prNumber !== undefined) lines.push("", `- Pull request: [#${facts.prNumber}](${prUrl})`);
  const runUrl = safeUrl(restack.runUrl);
  if (runUrl) lines.push(`- Restack run: ${runUrl}`);
  return { title: plainLine(`${what}: ${restack.reason ?? ""}`, 200), summary: lines.join("\n") };
}
