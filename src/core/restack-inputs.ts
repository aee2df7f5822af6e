/**
 * What a restack run (`mode: "restack"`) is told, within the task workflow's existing inputs
 * (workflow_dispatch allows 25; no new one is needed):
 *
 * - `branch`: the task's branch, rebased;
 * - `pr_base`: where it goes — the dependency's branch (its work changed) or the base branch (the
 *   dependency merged);
 * - `dependency_branches`: the one dependency branch it was built on, optionally followed by
 *   `:<sha>`, the dependency's tip it was built on when the App knows it (a merged pull
 *   request's head: the branch may be gone). `:` cannot appear in a branch name
 *   (`git check-ref-format`), so the two never mix up.
 */

export interface RestackDependency {
  branch: string;
  /** The dependency's tip the task's branch was built on, when known. */
  oldTip?: string | undefined;
}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

export function encodeRestackDependency(dependency: RestackDependency): string {
  return dependency.oldTip === undefined ? dependency.branch : `${dependency.branch}:${dependency.oldTip}`;
}

/** The dependency of a restack run, or a message saying what is wrong with the input. */
export function decodeRestackDependency(
  dependencyBranches: readonly string[],
): { ok: true; dependency: RestackDependency } | { ok: false; message: string } {
  if (dependencyBranches.length !== 1)
    return {
      ok: false,
      message:
        `a restack run names exactly one dependency branch (the one the task's branch was built on), ` +
        `got ${dependencyBranches.length}`,
    };
  const token = dependencyBranches[0] as string;
  const colon = token.indexOf(":");
  if (colon < 0) return { ok: true, dependency: { branch: token } };
  const branch = token.slice(0, colon);
  const oldTip = token.slice(colon + 1);
  if (branch === "" || !SHA.test(oldTip))
    return {
      ok: false,
      message: `expected "<branch>" or "<branch>:<commit sha>", got "${token.slice(0, 200)}"`,
    };
  return { ok: true, dependency: { branch, oldTip } };
}
