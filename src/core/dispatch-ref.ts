import { DEFAULTS } from "./tasks-schema.js";

/**
 * Which refs a `repository_dispatch` may start a session from. Anyone who can send the event
 * chooses the ref, and the tasks file at that ref says what agents do — so a branch an agent can
 * push to (its task branch) must never be one: the agent would write its own next tasks. By
 * default only the repository's default branch is allowed; `ORCHESTRATOR_DISPATCH_REFS` allows
 * more branches by name (`release`, `release/*`, `*`). Tags and commits are refused: a commit
 * can sit on any branch. Task branches are refused whatever is allowed: those under the default
 * prefix (`orchestrator/`) and those of running sessions.
 */
export interface DispatchRefPolicy {
  defaultBranch: string;
  /** Branch names or patterns (a trailing `*` matches any rest) allowed besides the default branch. */
  allowed: readonly string[];
  /** Branches of the tasks of running sessions. */
  taskBranches: ReadonlySet<string>;
}

/** Why a dispatch may not start from `ref`, or undefined when it may (no ref: the default branch). */
export function dispatchRefProblem(ref: string | undefined, policy: DispatchRefPolicy): string | undefined {
  if (ref === undefined) return undefined;
  const branch = ref.replace(/^refs\/heads\//, "");
  if (isTaskBranch(branch, policy.taskBranches)) {
    return `ref "${ref}" is a task branch: sessions never start from a branch agents push to`;
  }
  if (branch === policy.defaultBranch) return undefined;
  if (policy.allowed.some((pattern) => matches(pattern, branch))) return undefined;
  const allowed = [policy.defaultBranch, ...policy.allowed].map((name) => `"${name}"`).join(", ");
  return (
    `ref "${ref}" is not allowed: repository_dispatch starts sessions from ${allowed} only ` +
    `(more branches can be allowed with ORCHESTRATOR_DISPATCH_REFS; tags and commits never)`
  );
}

/** Whether a branch is (or may be) a task branch; refs that name one are always refused. */
export function isTaskBranch(branch: string, taskBranches: ReadonlySet<string> = new Set()): boolean {
  return branch.startsWith(DEFAULTS.branchPrefix) || taskBranches.has(branch);
}

function matches(pattern: string, branch: string): boolean {
  return pattern.endsWith("*") ? branch.startsWith(pattern.slice(0, -1)) : branch === pattern;
}
