import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle, git, startActionHarness, type ActionHarness } from "./action-harness.js";

/**
 * The Action's restack mode end to end: the bundled action in a blobless checkout of a remote
 * served over http behind the job's token (as the task workflow checks out), with no Claude Code
 * anywhere (no `claude` on PATH, an empty tool cache): a restack run must never need the agent.
 */

let harness: ActionHarness;
let bundleDir: string;

const DEP = "orchestrator/a";
const TASK = "orchestrator/b";
/** PATH without node_modules/.bin (where the test's own Claude Code CLI is). */
const PATH_WITHOUT_CLAUDE = (process.env.PATH ?? "")
  .split(delimiter)
  .filter((entry) => !entry.includes("node_modules"))
  .join(delimiter);

beforeAll(async () => {
  bundleDir = await mkdtemp(join(tmpdir(), "action-bundle-restack-"));
  harness = await startActionHarness({
    bundle: await buildBundle(bundleDir),
    files: { "README.md": "# Widgets\n", "shared.txt": "original\n" },
    httpRemote: true,
  });
});

afterAll(async () => {
  expect(harness.fake.violations).toEqual([]);
  await harness.close();
  await rm(bundleDir, { recursive: true, force: true });
});

function restackInputs(extra: Record<string, string>): Record<string, string> {
  return {
    session_id: "acme:widgets:777",
    task_id: "b",
    attempt: "1",
    branch: TASK,
    base_branch: "main",
    base_strategy: "dependencies",
    timeout_minutes: "5",
    allow_no_changes: "false",
    mode: "restack",
    ...extra,
  };
}

/** a (dependency) ← b (its dependent) on branches prefixed `prefix`; returns the dependency's tip. */
async function stack(prefix: string, bFiles: Record<string, string>) {
  const dep = `${prefix}${DEP}`;
  const task = `${prefix}${TASK}`;
  // Each stack's dependency adds a file of its own, so main can take each one's change.
  const depFile = `${prefix.replace(/\W/g, "")}-a.txt`;
  const a1 = await harness.commitOnRemote({ branch: dep, files: { [depFile]: "a\n" }, message: "a1" });
  const b1 = await harness.commitOnRemote({ branch: task, from: dep, files: bFiles, message: "b1" });
  return { dep, task, a1, b1, depFile };
}

/** The dependency squash-merged into main (same change, another commit), its branch deleted. */
async function squashMerge(
  { dep, depFile }: { dep: string; depFile: string },
  extra: Record<string, string> = {},
): Promise<string> {
  const main = await harness.commitOnRemote({
    branch: "main",
    files: { [depFile]: "a\n", ...extra },
    message: "a (#1)",
  });
  await git(harness.bare, "update-ref", "-d", `refs/heads/${dep}`);
  return main;
}

describe("the Action's restack mode (no agent)", { timeout: 120_000 }, () => {
  it("after a squash merge: replays only the task's commit onto main, keeps the old tip, opens nothing", async () => {
    const stacked = await stack("squash/", { "b.txt": "b\n" });
    const { dep, task, a1, b1 } = stacked;
    const main = await squashMerge(stacked);
    const requestsBefore = harness.fake.requests.length;

    const run = await harness.runAction({
      inputs: restackInputs({ branch: task, pr_base: "main", dependency_branches: `${dep}:${a1}` }),
      env: { PATH: PATH_WITHOUT_CLAUDE },
      partialClone: true,
    });

    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.conclusion).toBe("success");
    expect(run.stdout).toContain(`Restacked ${task} onto main`);
    // One commit of the task, on top of main; the dependency's a1 is not replayed.
    expect(await git(harness.bare, "rev-list", "--count", `main..${task}`)).toBe("1");
    expect(await git(harness.bare, "rev-parse", `${task}~1`)).toBe(main);
    expect(await git(harness.bare, "log", "-1", "--format=%s", task)).toBe("b1");
    expect(await git(harness.bare, "rev-parse", `refs/orchestrator/replaced/${task}/${b1}`)).toBe(b1);
    // No pull request, no API call at all: the App retargets the pull request itself.
    expect(harness.fake.requests.slice(requestsBefore)).toEqual([]);
  });

  it("a conflict fails the run naming the files, and pushes nothing", async () => {
    const stacked = await stack("conflict/", { "shared.txt": "b's version\n" });
    const { dep, task, a1, b1 } = stacked;
    await squashMerge(stacked, { "shared.txt": "main's version\n" });
    const refsBefore = await git(harness.bare, "for-each-ref", "--format=%(refname) %(objectname)");

    const run = await harness.runAction({
      inputs: restackInputs({ branch: task, pr_base: "main", dependency_branches: `${dep}:${a1}` }),
      env: { PATH: PATH_WITHOUT_CLAUDE },
      partialClone: true,
    });

    expect(run.exitCode).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(
      new RegExp(
        `^Task b: Restack conflict: rebasing ${task} onto main conflicts in shared\\.txt \\(replaying ${b1.slice(0, 12)} "b1"\\)\\. Nothing was pushed`,
      ),
    );
    expect(run.errors[0]).toContain(`git rebase --onto origin/main ${a1.slice(0, 12)}`);
    expect(await git(harness.bare, "for-each-ref", "--format=%(refname) %(objectname)")).toBe(refsBefore);
  });

  it("refuses a restack run that does not name exactly one dependency, before touching anything", async () => {
    const run = await harness.runAction({
      inputs: restackInputs({ pr_base: "main", dependency_branches: "x y" }),
      env: { PATH: PATH_WITHOUT_CLAUDE },
    });
    expect(run.exitCode).not.toBe(0);
    expect(run.errors).toEqual([
      'Task b: input "dependency_branches": a restack run names exactly one dependency branch (the one the ' +
        "task's branch was built on), got 2",
    ]);
  });
});
