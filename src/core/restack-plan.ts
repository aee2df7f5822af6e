import type { TaskObservation } from "./reconcile.js";
import type { TaskGraph } from "./task-graph.js";

/**
 * Which dependents of a task get their branch restacked, and where to: the pure part of
 * restacking (the App carries it out in src/github/sessions/restack-dependents.ts).
 *
 * A dependent is restacked when its branch was built on the dependency's branch alone
 * (`base: dependencies` with that one dependency: its pull request targets that branch) and it
 * already has work to move: an attempt that ended (succeeded, or failed with a pull request) and
 * a pull request not merged yet.
 * One with several dependencies started from a merge of their branches, which a rebase cannot
 * replay faithfully; one that has not run yet, or is running, starts or goes on from the new base
 * anyway.
 */

export type RestackWhy = "revised" | "merged";

export interface RestackAsk {
  /** The dependent whose branch is rebased. */
  id: string;
  /** The dependency whose branch moved or merged. */
  onto: string;
  why: RestackWhy;
  /** The dependency's tip the branch was built on, when known (a merged pull request's head). */
  from?: string | undefined;
}

export type RestackDecision =
  | {
      restack: true;
      /** The dependent's branch. */
      branch: string;
      /** Where it goes: the dependency's branch (revised) or the base branch (merged). */
      base: string;
      /** The dependency's branch it was built on. */
      dependencyBranch: string;
      /** The dependent's attempt whose branch this is. */
      attempt: number;
    }
  | { restack: false; why: string };

/** The dependents built on `id`'s branch alone: those a change or merge of it restacks. */
export function dependentsOnBranchOf(graph: TaskGraph, id: string): string[] {
  return (graph.dependents.get(id) ?? []).filter((dependent) => {
    const task = graph.byId.get(dependent);
    return task?.base === "dependencies" && task.dependencies.length === 1 && task.dependencies[0] === id;
  });
}

export function decideRestack(args: {
  graph: TaskGraph;
  tasks: Readonly<Record<string, TaskObservation | undefined>>;
  baseBranch: string;
  ask: RestackAsk;
  /** Whether the dependent's current attempt has a pull request (its branch was pushed). */
  hasPullRequest: boolean;
}): RestackDecision {
  const { graph, ask } = args;
  const task = graph.byId.get(ask.id);
  const dependency = graph.byId.get(ask.onto);
  if (!task || !dependency) return { restack: false, why: `${ask.id} or ${ask.onto} is not in the session` };
  if (!dependentsOnBranchOf(graph, ask.onto).includes(ask.id))
    return {
      restack: false,
      why: `${ask.id} is not built on ${ask.onto}'s branch alone (base "${task.base}", ${task.dependencies.length} dependencies)`,
    };
  const state = args.tasks[ask.id];
  if (state?.merged === true) return { restack: false, why: `${ask.id}'s pull request is merged already` };
  const attempt = state?.attempts ?? 0;
  const ended = state?.status === "succeeded" || state?.status === "failed";
  if (attempt === 0 || !ended || !args.hasPullRequest)
    return {
      restack: false,
      why: `${ask.id} has no finished work with a pull request to move (${state?.status ?? "pending"})`,
    };
  return {
    restack: true,
    branch: task.branch,
    base: ask.why === "merged" ? args.baseBranch : dependency.branch,
    dependencyBranch: dependency.branch,
    attempt,
  };
}
