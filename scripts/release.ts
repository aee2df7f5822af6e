import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { parse } from "yaml";
import { isMainModule } from "../src/cli/is-main-module.js";
import {
  majorTag,
  projectHome,
  publishedActionRef,
  type PackageIdentity,
} from "../src/core/published-action.js";
import { ACTION_BUNDLE, ROOT, actionBundleState } from "./action-bundle.js";

/**
 * `npm run release [-- --push]`: publishes the version in package.json as the tag users'
 * workflows reference. Users write `uses: <home>/action@v<major>` (the task workflow has exactly
 * that line), so a release is two tags on the current commit: `v<version>` (fixed, for people
 * who pin) and `v<major>` (moved forward, the Actions convention). The action runs from the
 * committed `action/dist` at that commit, so the bundle must be fresh. Nothing is pushed without
 * `--push`; the npm package (`npm publish`) is printed, not run: it needs your npm login.
 *
 * Every check refuses with the way out; none changes a file.
 */

const WORKFLOW = ".github/workflows/orchestrator-task.yml";
const run = promisify(execFile);

export class ReleaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReleaseError";
  }
}

export interface ReleaseOptions {
  root: string;
  push: boolean;
  /** Where the release log goes (stdout for the script). */
  say: (line: string) => void;
  /** The remote users' workflows fetch from (default origin). */
  remote?: string;
}

export interface ReleaseResult {
  version: string;
  tags: string[];
  commit: string;
}

export async function release(options: ReleaseOptions): Promise<ReleaseResult> {
  const { root, say } = options;
  const remote = options.remote ?? "origin";
  const git = async (...args: string[]): Promise<string> =>
    (await run("git", args, { cwd: root, encoding: "utf8" })).stdout.trim();

  const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as PackageIdentity & {
    version: string;
  };
  const home = projectHome(pkg);
  const major = majorTag(pkg);
  const versionTag = `v${pkg.version}`;
  const ref = publishedActionRef(pkg);

  if ((await git("status", "--porcelain")) !== "") {
    throw new ReleaseError("the working tree has uncommitted changes: commit or stash them, then release");
  }
  const uses = await workflowActionRefs(root);
  if (uses.length !== 1 || uses[0] !== ref) {
    throw new ReleaseError(
      `${WORKFLOW} runs ${uses.length === 0 ? "no published action" : uses.join(", ")}, but this release is ${ref}: ` +
        `set its action step to \`uses: ${ref}\`, commit, and release again`,
    );
  }
  // The URL as configured (`git remote get-url` would apply insteadOf rewrites).
  const remoteUrl = await git("config", "--get", `remote.${remote}.url`).catch(() => {
    throw new ReleaseError(
      `there is no git remote "${remote}": add the project's home, https://github.com/${home}.git`,
    );
  });
  const remoteHome = githubHomeOf(remoteUrl);
  if (remoteHome?.toLowerCase() !== home.toLowerCase()) {
    throw new ReleaseError(
      `package.json's repository is ${home}, but remote "${remote}" is ${remoteUrl}: users' workflows ` +
        `fetch the action from ${home}, so release from a clone of it (or change package.json's repository)`,
    );
  }
  if ((await git("tag", "--list", versionTag)) !== "") {
    throw new ReleaseError(
      `${versionTag} is already tagged: raise the version (npm version patch --no-git-tag-version), commit, and release again`,
    );
  }
  say(`checking ${ACTION_BUNDLE} is built from these sources…`);
  if ((await actionBundleState(root)) !== "fresh") {
    throw new ReleaseError(
      `${ACTION_BUNDLE} is not built from these sources: run \`npm run build:action\`, commit, and release again`,
    );
  }

  const commit = await git("rev-parse", "HEAD");
  await git("tag", "-a", versionTag, "-m", `Release ${versionTag}`, commit);
  // -f: the major tag moves forward with every release of that major version.
  await git("tag", "-f", "-a", major, "-m", `Latest ${major} release (${versionTag})`, commit);
  say(`tagged ${commit.slice(0, 12)} as ${versionTag} and ${major}`);
  if (options.push) {
    await git("push", remote, `refs/tags/${versionTag}`);
    await git("push", "--force", remote, `refs/tags/${major}`);
    say(
      `pushed ${versionTag} and ${major} to ${remote}: workflows with \`uses: ${ref}\` now run this commit`,
    );
  } else {
    say(`not pushed. To publish: git push ${remote} ${versionTag} && git push --force ${remote} ${major}`);
  }
  say(
    `the CLI on npm: npm publish (builds dist/ first; then \`npx claude-team-orchestrator\` runs ${versionTag})`,
  );
  return { version: pkg.version, tags: [versionTag, major], commit };
}

/** The `uses:` of every step in the task workflow that runs this project's action. */
async function workflowActionRefs(root: string): Promise<string[]> {
  const workflow = parse(await readFile(join(root, WORKFLOW), "utf8")) as {
    jobs?: Record<string, { steps?: { uses?: string }[] }>;
  };
  return Object.values(workflow.jobs ?? {})
    .flatMap((job) => job.steps ?? [])
    .map((step) => step.uses ?? "")
    .filter((uses) => uses === "./action" || /\/action@/.test(uses));
}

/** `owner/repo` of a GitHub remote URL (the same reading as package.json's), undefined for anything else. */
function githubHomeOf(url: string): string | undefined {
  // package.json may say `owner/repo`; a remote that says so is a local path.
  if (!url.includes("github.com")) return undefined;
  try {
    return projectHome({ repository: url });
  } catch {
    return undefined;
  }
}

if (isMainModule(import.meta.url)) {
  const { values } = parseArgs({
    options: { push: { type: "boolean", default: false }, help: { type: "boolean" } },
  });
  if (values.help === true) {
    console.log(
      "usage: npm run release [-- --push]\n\nTags the version in package.json (v<version>, and moves v<major>) on this commit; --push sends both tags to origin.",
    );
  } else {
    try {
      await release({ root: ROOT, push: values.push, say: (line) => console.log(line) });
    } catch (error) {
      if (!(error instanceof ReleaseError)) throw error;
      console.error(`release: ${error.message}`);
      process.exitCode = 1;
    }
  }
}
