import { git } from "./git.js";

/**
 * A partial clone (the task workflow checks out with `filter: blob:none`) has every commit and
 * tree but only the file contents it checked out. Git fetches the others from the remote when a
 * command needs them, one request per command: the checkout of the start, then each merge (twice,
 * for renames and for contents). Preparing a branch needs the contents of the start, of the
 * branches merged into it and of their merge bases, so they are fetched here, in one request, with
 * the remote's credentials. Anything this misses is still fetched on demand by the command that
 * needs it (which gets the credentials too, see `PrepareTaskBranchOptions.remoteEnv`).
 *
 * Returns how many objects were fetched: 0 in a full clone, where nothing is asked of the remote.
 */
export async function prefetchBranchContents(args: {
  cwd: string;
  remote: string;
  /** Where the branch starts (a ref or commit). */
  start: string;
  /** The refs merged into it, in order. */
  merged: readonly string[];
  env: Record<string, string> | undefined;
}): Promise<number> {
  const { cwd, remote } = args;
  const promisor = await git(["config", "--bool", "--default", "false", `remote.${remote}.promisor`], {
    cwd,
  });
  if (promisor.stdout.trim() !== "true") return 0;
  const commits = [args.start, ...args.merged];
  for (const other of args.merged) {
    const bases = await git(["merge-base", "--all", args.start, other], { cwd, okExitCodes: [1] });
    commits.push(...bases.stdout.split("\n").filter(Boolean));
  }
  // `--missing=print` lists what is absent (as `?<id>`) instead of fetching it.
  const listed = await git(
    ["rev-list", "--objects", "--missing=print", ...commits.map((commit) => `${commit}^{tree}`)],
    { cwd },
  );
  const missing = listed.stdout
    .split("\n")
    .filter((line) => line.startsWith("?"))
    .map((line) => line.slice(1));
  if (missing.length === 0) return 0;
  // How git itself fetches missing objects (promisor-remote.c): by id, no negotiation, no refs.
  await git(
    [
      "-c",
      "fetch.negotiationAlgorithm=noop",
      "fetch",
      "--quiet",
      "--no-tags",
      "--no-write-fetch-head",
      "--recurse-submodules=no",
      "--filter=blob:none",
      "--stdin",
      remote,
    ],
    { cwd, env: args.env, input: `${missing.join("\n")}\n` },
  );
  return missing.length;
}
