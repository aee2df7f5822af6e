import type { PrepareTaskBranchOptions } from "./prepare-task-branch.js";
import { RUNNER_COMMIT_CONFIG, git, identityEnv, splitNul } from "./git.js";
import { TaskFailure, gitFailure } from "./task-failure.js";

/**
 * Merges one more dependency branch into the task branch being prepared (`--no-ff`, one merge
 * commit naming it). A conflict is aborted and fails the task with `merge_conflict`, naming the
 * branches and files (why it is not handed to the agent: see `prepareTaskBranch`).
 */
export async function mergeDependency(args: {
  options: PrepareTaskBranchOptions;
  other: string;
  otherRef: string;
  into: string[];
  allDependencies: string[];
}): Promise<void> {
  const { options, other, otherRef, into } = args;
  const { cwd } = options;
  const task = options.taskId ? `task ${options.taskId}` : options.branch;
  const message = [
    `Merge dependency branch ${other} for ${task}`,
    `${capitalize(task)} builds on ${args.allDependencies.join(", ")}: its branch starts from ` +
      `${args.allDependencies[0]} with the others merged in.`,
  ];
  try {
    await git(
      [
        ...RUNNER_COMMIT_CONFIG,
        "merge",
        "--no-ff",
        "--no-verify",
        "--quiet",
        "-m",
        message[0] as string,
        "-m",
        message[1] as string,
        otherRef,
      ],
      // The remote's credentials too: in a partial clone the merge fetches the contents it merges.
      { cwd, env: { ...identityEnv(options.author), ...options.remoteEnv } },
    );
  } catch (error) {
    const files = splitNul(
      (await git(["diff", "--name-only", "--diff-filter=U", "-z"], { cwd, okExitCodes: [1] })).stdout,
    );
    await git(["merge", "--abort"], { cwd, okExitCodes: [128], env: options.remoteEnv });
    if (files.length === 0) throw gitFailure(error, `merge ${other} into ${into.join(" + ")}`);
    throw new TaskFailure(
      "merge_conflict",
      `${capitalize(task)} builds on the work of ${args.allDependencies.join(" and ")}, but merging ` +
        `${other} into ${into.join(" + ")} conflicts in ${files.join(", ")}. Those tasks changed the same ` +
        `lines independently. To fix it, make one of them depend on the other so they run in order, ` +
        `or merge ${other} into ${into[0]} by hand, push it, and retry ${task}.`,
      { conflict: { merging: other, into: [...into], files }, cause: error },
    );
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
