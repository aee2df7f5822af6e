import type { TaskRunRequest } from "../../src/core/dispatch-inputs.js";
import { plainLine } from "../../src/core/inert-text.js";
import { decodeRestackDependency } from "../../src/core/restack-inputs.js";
import { restackBranch, type RestackOutcome } from "../../src/runner/restack-branch.js";
import { isTaskFailure } from "../../src/runner/task-failure.js";
import type { Failure } from "./task-result.js";

/**
 * A restack run (`mode: "restack"`): the task's branch rebased onto its dependency's new base
 * (src/runner/restack-branch.ts), with no agent — no Claude Code is installed or started, no
 * tasks file read, no pull request written (the App retargets it and reads this run's end from
 * the run itself). What it is told is in src/core/restack-inputs.ts.
 */

/** How a conflict is named in the failure message, which the App reads from the job's annotation. */
export const RESTACK_CONFLICT_PREFIX = "Restack conflict: ";

export interface RestackRunResult {
  failure?: Failure;
  outcome?: RestackOutcome;
}

export async function runRestack(args: {
  workspace: string;
  remote: string;
  remoteEnv: Record<string, string> | undefined;
  request: TaskRunRequest;
  author: { name: string; email: string };
  log: { info(message: string): void };
}): Promise<RestackRunResult> {
  const { request } = args;
  const decoded = decodeRestackDependency(request.dependencyBranches);
  if (!decoded.ok)
    return { failure: { kind: "bad_input", message: `input "dependency_branches": ${decoded.message}` } };
  const { dependency } = decoded;
  const onto = request.prBase;
  let outcome: RestackOutcome;
  try {
    outcome = await restackBranch({
      cwd: args.workspace,
      remote: args.remote,
      remoteEnv: args.remoteEnv,
      branch: request.branch,
      onto,
      dependency: dependency.branch,
      oldDependencyTip: dependency.oldTip,
      committer: args.author,
    });
  } catch (error) {
    if (isTaskFailure(error)) return { failure: { kind: error.kind, message: error.message } };
    return {
      failure: { kind: "internal_error", message: error instanceof Error ? error.message : String(error) },
    };
  }
  const short = (sha: string) => sha.slice(0, 12);
  switch (outcome.kind) {
    case "up_to_date":
      args.log.info(
        `${request.branch} already builds on ${onto} (${short(outcome.ontoSha)}): nothing to do.`,
      );
      return { outcome };
    case "rebased":
      args.log.info(
        `Restacked ${request.branch} onto ${onto} (${short(outcome.ontoSha)}): ${outcome.replayed} commit` +
          `${outcome.replayed === 1 ? "" : "s"} of the task replayed, now at ${short(outcome.sha)}. ` +
          `The old tip ${short(outcome.previousSha)} is kept as ${outcome.keptRef}.`,
      );
      return { outcome };
    case "conflict":
      return {
        outcome,
        failure: { kind: "restack_conflict", message: conflictMessage(request, onto, outcome) },
      };
  }
}

function conflictMessage(
  request: TaskRunRequest,
  onto: string,
  conflict: Extract<RestackOutcome, { kind: "conflict" }>,
): string {
  const short = (sha: string) => sha.slice(0, 12);
  // File names and the commit subject come from the branch (the agent's work): one plain line each.
  const files = conflict.files.slice(0, 10).map((file) => plainLine(file, 200));
  const more =
    conflict.files.length > files.length ? ` and ${conflict.files.length - files.length} more` : "";
  const at = conflict.stoppedAt
    ? ` (replaying ${short(conflict.stoppedAt.sha)} "${plainLine(conflict.stoppedAt.subject, 72)}")`
    : "";
  return (
    `${RESTACK_CONFLICT_PREFIX}rebasing ${request.branch} onto ${onto} conflicts in ${files.join(", ")}${more}${at}. ` +
    `Nothing was pushed: the branch is as it was (${short(conflict.previousSha)}). To fix it by hand: ` +
    `git fetch origin && git checkout ${request.branch} && ` +
    `git rebase --onto origin/${onto} ${short(conflict.upstream)}, resolve the conflicts, then ` +
    `git push --force-with-lease origin ${request.branch}.`
  );
}
