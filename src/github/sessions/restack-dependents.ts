import type { TaskRunRequest } from "../../core/dispatch-inputs.js";
import { decideRestack, dependentsOnBranchOf, type RestackAsk } from "../../core/restack-plan.js";
import { encodeRestackDependency } from "../../core/restack-inputs.js";
import type { TaskGraph } from "../../core/task-graph.js";
import { describeApiError, type GitHubClient } from "../github-client.js";
import type { AppConfig } from "./app-config.js";
import { dispatchTask } from "./dispatch-task.js";
import type { LoadedSession } from "./load-session.js";
import { taskFacts, type RestackFacts, type SessionRecord } from "./session-record.js";
import type { SessionRuntime } from "./session-runtime.js";

/**
 * Carries out restacks: a dependent's branch rebased onto its dependency's new base by a short
 * run of the task workflow with `mode: "restack"` (no agent; action/src/restack.ts). Which
 * dependents and where is decided in core/restack-plan.ts; what the App remembers of each is the
 * task's `restack` fact (session-record.ts), beside the core's state. When the dependency merged,
 * the dependent's pull request is retargeted to the base branch at once (its old base is merged;
 * no branch is ever deleted here). How the run ends is read by restack-runs.ts.
 */

/** A merged pull request of a task, as its `pull_request.closed` webhook tells it. */
export interface MergedPull {
  /** The task its result block names (believed only if the record names this pull request). */
  taskId: string;
  number: number;
  /** The head's sha at the merge: the dependency's tip its dependents were built on. */
  headSha: string;
}

/** A restack run gets this many minutes at most: a fetch, a rebase and a push. */
export const RESTACK_TIMEOUT_MINUTES = 10;

/**
 * The restacks a merged pull request asks for: the machine is told of the merge (the task is
 * `merged`), and each dependent built on its branch is restacked onto the base branch. A pull
 * request the record does not name for that task (a copied result block) asks for nothing.
 */
export function restacksForMerge(args: {
  record: SessionRecord;
  graph: TaskGraph;
  merged: MergedPull;
  warnings: string[];
}): RestackAsk[] | null {
  const { record, merged } = args;
  if (!args.graph.byId.has(merged.taskId)) return null;
  if (record.runs[merged.taskId]?.prNumber !== merged.number) {
    args.warnings.push(
      `pull request #${merged.number} names task "${merged.taskId}" but is not the pull request the session recorded for it; not restacking`,
    );
    return null;
  }
  return dependentsOnBranchOf(args.graph, merged.taskId).map((id) => ({
    id,
    onto: merged.taskId,
    why: "merged" as const,
    from: merged.headSha,
  }));
}

export async function restackDependents(args: {
  client: GitHubClient;
  session: LoadedSession;
  graph: TaskGraph;
  config: AppConfig;
  runtime: SessionRuntime;
  now: Date;
  asks: readonly RestackAsk[];
  warnings: string[];
}): Promise<Array<{ taskId: string; runId?: number }>> {
  const { session, graph } = args;
  const { record } = session;
  const dispatched: Array<{ taskId: string; runId?: number }> = [];
  const seen = new Set<string>();
  for (const ask of args.asks) {
    const key = `${ask.id}|${ask.onto}|${ask.why}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const facts = record.runs[ask.id];
    const decision = decideRestack({
      graph,
      tasks: record.tasks,
      baseBranch: record.baseBranch,
      ask,
      hasPullRequest: facts?.prNumber !== undefined,
    });
    if (!decision.restack) continue;
    const ontoAttempt = record.tasks[ask.onto]?.attempts ?? 0;
    const previous = facts?.restack;
    // The same restack asked again (a redelivered webhook, the machine and the merge both asking).
    if (
      previous &&
      previous.onto === ask.onto &&
      previous.why === ask.why &&
      previous.ontoAttempt === ontoAttempt &&
      previous.from === ask.from
    )
      continue;
    const request: TaskRunRequest = {
      sessionId: session.sessionId,
      taskId: ask.id,
      attempt: decision.attempt,
      tasksFile: "",
      branch: decision.branch,
      baseBranch: record.baseBranch,
      baseStrategy: "dependencies",
      dependencyBranches: [encodeRestackDependency({ branch: decision.dependencyBranch, oldTip: ask.from })],
      prBase: decision.base,
      timeoutMinutes: RESTACK_TIMEOUT_MINUTES,
      allowNoChanges: false,
      mode: "restack",
    };
    const nowIso = args.now.toISOString();
    const restack: RestackFacts = {
      onto: ask.onto,
      why: ask.why,
      ontoAttempt,
      ...(ask.from === undefined ? {} : { from: ask.from }),
      base: decision.base,
      state: "dispatched",
      at: nowIso,
      ...(previous?.checkShowsFailure ? { checkShowsFailure: true } : {}),
    };
    // Tasks built on this one's branch follow it once it is rebased (restack-runs.ts): from this tip.
    if (dependentsOnBranchOf(graph, ask.id).length > 0) {
      const tip = await branchTip({ ...args, branch: decision.branch });
      if (tip !== undefined) restack.tipBefore = tip;
    }
    const outcome = await dispatchTask({
      client: args.client,
      repo: session.repo,
      dispatchRef: record.dispatchRef,
      workflowFile: record.workflowFile,
      request,
      config: args.config,
      runtime: args.runtime,
    });
    switch (outcome.kind) {
      case "dispatched":
        if (outcome.runId !== undefined) {
          restack.runId = outcome.runId;
          args.runtime.linkedRuns.add(outcome.runId);
        }
        if (outcome.runUrl !== undefined) restack.runUrl = outcome.runUrl;
        dispatched.push({ taskId: ask.id, ...(outcome.runId === undefined ? {} : { runId: outcome.runId }) });
        break;
      case "uncertain":
        // Not sent again: a run that appears under the restack's name is taken up (restack-runs.ts).
        args.warnings.push(`restack of ${ask.id}: ${outcome.note}`);
        break;
      case "unsent":
      case "rejected":
        restack.state = "failed";
        restack.endedAt = nowIso;
        restack.reason = `the restack run could not be started: ${outcome.kind === "unsent" ? outcome.note : outcome.reason}`;
        args.warnings.push(`restack of ${ask.id}: ${restack.reason}`);
        break;
    }
    taskFacts(record, ask.id).restack = restack;
    if (ask.why === "merged") await retarget({ ...args, taskId: ask.id, base: decision.base });
  }
  return dispatched;
}

/** The branch's tip on GitHub, or undefined (with a warning) when it cannot be read. */
async function branchTip(args: {
  client: GitHubClient;
  session: LoadedSession;
  branch: string;
  warnings: string[];
}): Promise<string | undefined> {
  try {
    const { data } = await args.client.request("GET /repos/{owner}/{repo}/git/ref/{ref}", {
      ...args.session.repo,
      ref: `heads/${args.branch}`,
    });
    return data.object.sha;
  } catch (error) {
    args.warnings.push(`could not read the tip of ${args.branch}: ${describeApiError(error)}`);
    return undefined;
  }
}

/** The dependent's pull request now targets the base branch (its old base, the dependency's branch, is merged). */
async function retarget(args: {
  client: GitHubClient;
  session: LoadedSession;
  taskId: string;
  base: string;
  warnings: string[];
}): Promise<void> {
  const prNumber = args.session.record.runs[args.taskId]?.prNumber;
  if (prNumber === undefined) return;
  try {
    await args.client.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
      ...args.session.repo,
      pull_number: prNumber,
      base: args.base,
    });
  } catch (error) {
    args.warnings.push(
      `could not retarget pull request #${prNumber} of ${args.taskId} to ${args.base}: ${describeApiError(error)}`,
    );
  }
}
