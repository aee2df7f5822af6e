import type { RestackAsk } from "../../core/restack-plan.js";
import type { TaskGraph } from "../../core/task-graph.js";
import type { GitHubClient } from "../github-client.js";
import type { AppConfig } from "./app-config.js";
import type { LoadedSession } from "./load-session.js";
import { restackDependents, restacksForMerge, type MergedPull } from "./restack-dependents.js";
import { observeRestackRuns, sweepRestackRuns } from "./restack-runs.js";
import { registerStacks } from "./restack-stacks.js";
import type { TaskView } from "./session-record.js";
import type { SessionPass } from "./session-pass.js";
import type { SessionRuntime } from "./session-runtime.js";
import type { WorkflowRunLike } from "./workflow-run.js";

/**
 * Restacking's part of a session pass (advance-session.ts), in two steps around the machine's
 * advance: the merges a webhook told of first (the machine learns of them, so tasks waiting for
 * them start in this pass), then the restacks after the attempts' dispatches — the runs' ends
 * read, the restacks asked for carried out, dependents' pull requests stacked on GitHub — and
 * before the check runs are written. A merge is news even after the session ended: pull
 * requests are mostly merged after it.
 */

/** Tells the machine of each merged pull request the record names; the restacks they ask for. */
export async function takeInMerges(args: {
  pass: SessionPass;
  session: LoadedSession;
  graph: TaskGraph;
  merged: readonly MergedPull[] | undefined;
}): Promise<RestackAsk[]> {
  const asks: RestackAsk[] = [];
  for (const merged of args.merged ?? []) {
    const found = restacksForMerge({
      record: args.session.record,
      graph: args.graph,
      merged,
      warnings: args.pass.warnings,
    });
    if (!found) continue;
    await args.pass.apply({ type: "merged", id: merged.taskId });
    asks.push(...found);
  }
  return asks;
}

export async function carryOutRestacks(args: {
  client: GitHubClient;
  session: LoadedSession;
  graph: TaskGraph;
  config: AppConfig;
  runtime: SessionRuntime;
  now: Date;
  pass: SessionPass;
  /** The runs this pass was given (restack runs among them). */
  runs: readonly WorkflowRunLike[];
  sweep: boolean;
  /** Restacks the merges asked for (`takeInMerges`). */
  asks: readonly RestackAsk[];
  /** Attempt outcomes this pass recorded. */
  finished: ReadonlyArray<{ id: string; entry: TaskView }>;
  summaryUrl: string | undefined;
}): Promise<void> {
  const { pass } = args;
  const warnings = pass.warnings;
  const swept = args.sweep ? await sweepRestackRuns({ ...args, warnings }) : [];
  const follow = await observeRestackRuns({ ...args, runs: [...args.runs, ...swept], warnings });
  await restackDependents({ ...args, asks: [...pass.restacks, ...args.asks, ...follow], warnings });
  await registerStacks({ ...args, warnings });
}
