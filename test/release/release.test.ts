import { execFile } from "node:child_process";
import { appendFile, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/action-bundle.js";
import { release, ReleaseError } from "../../scripts/release.js";

const run = promisify(execFile);
const HOME_URL = "https://github.com/claude-team-orchestrator/claude-team-orchestrator.git";

/**
 * The release script on a clone of this repository's last commit, whose `origin` is the
 * project's GitHub home as package.json names it; git's `pushInsteadOf` sends the pushes to a
 * local bare repository instead, so the test sees exactly what a release publishes.
 */
describe("npm run release", () => {
  let dir: string;
  let clone: string;
  let home: string;
  const said: string[] = [];
  const git = async (cwd: string, ...args: string[]) =>
    (await run("git", args, { cwd, encoding: "utf8" })).stdout.trim();
  const commitAll = async (message: string) => {
    await git(clone, "add", "-A");
    await git(clone, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message);
  };
  const doRelease = (push = true) => release({ root: clone, push, say: (line) => void said.push(line) });

  beforeEach(async () => {
    said.length = 0;
    dir = await mkdtemp(join(tmpdir(), "release-"));
    clone = join(dir, "clone");
    home = join(dir, "home.git");
    await git(dir, "init", "-q", "--bare", home);
    await git(dir, "clone", "-q", "--no-local", ROOT, clone);
    await git(clone, "remote", "set-url", "origin", HOME_URL);
    await git(clone, "config", `url.${home}.pushInsteadOf`, HOME_URL);
    // The bundle check builds the action from the clone's sources with this checkout's packages.
    await symlink(join(ROOT, "node_modules"), join(clone, "node_modules"));
    await appendFile(join(clone, ".git", "info", "exclude"), "node_modules\n");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("tags the commit v<version> and v<major> and pushes both to the project's home", async () => {
    const { version } = JSON.parse(await readFile(join(clone, "package.json"), "utf8")) as {
      version: string;
    };
    const major = `v${version.split(".")[0]}`;
    const result = await doRelease();
    const head = await git(clone, "rev-parse", "HEAD");
    expect(result).toEqual({ version, tags: [`v${version}`, major], commit: head });
    // Annotated tags: ls-remote's peeled lines (^{}) name the commit each tag points at.
    const remoteTags = await git(home, "for-each-ref", "--format=%(refname) %(*objectname)", "refs/tags");
    expect(remoteTags.split("\n").sort()).toEqual([
      `refs/tags/${major} ${head}`,
      `refs/tags/v${version} ${head}`,
    ]);
    expect(said.join("\n")).toContain(
      `workflows with \`uses: claude-team-orchestrator/claude-team-orchestrator/action@${major}\` now run this commit`,
    );
    expect(said.join("\n")).toContain("npm publish");

    // A second release of the same version is refused, and the major tag stays where it was.
    await expect(doRelease()).rejects.toThrow(
      new ReleaseError(
        `v${version} is already tagged: raise the version (npm version patch --no-git-tag-version), commit, and release again`,
      ),
    );
  });

  it("moves the major tag forward on the next release of that major version", async () => {
    await doRelease();
    const pkgPath = join(clone, "package.json");
    const pkg = JSON.parse(await readFile(pkgPath, "utf8")) as { version: string };
    const [major, minor] = pkg.version.split(".");
    pkg.version = `${major}.${Number(minor) + 1}.0`;
    await writeFile(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
    await commitAll("Version bump");
    await doRelease();
    const head = await git(clone, "rev-parse", "HEAD");
    const remoteTags = await git(
      home,
      "for-each-ref",
      "--format=%(refname:short) %(*objectname)",
      "refs/tags",
    );
    expect(remoteTags.split("\n")).toContain(`v${major} ${head}`);
    expect(remoteTags.split("\n")).toContain(`v${pkg.version} ${head}`);
  });

  it("refuses, with the way out, what would publish something users' workflows cannot run", async () => {
    await writeFile(join(clone, "scratch.txt"), "x");
    await expect(doRelease()).rejects.toThrow(
      "the working tree has uncommitted changes: commit or stash them, then release",
    );
    await rm(join(clone, "scratch.txt"));

    await git(clone, "remote", "set-url", "origin", "https://github.com/someone-else/fork.git");
    await expect(doRelease()).rejects.toThrow(
      'package.json\'s repository is claude-team-orchestrator/claude-team-orchestrator, but remote "origin" is https://github.com/someone-else/fork.git',
    );
    await git(clone, "remote", "set-url", "origin", HOME_URL);

    const workflowPath = join(clone, ".github/workflows/orchestrator-task.yml");
    const workflow = await readFile(workflowPath, "utf8");
    await writeFile(workflowPath, workflow.replace(/uses: \S+\/action@v\d+/, "uses: ./action"));
    await commitAll("Local action");
    await expect(doRelease()).rejects.toThrow(
      /orchestrator-task\.yml runs \.\/action, but this release is claude-team-orchestrator\/claude-team-orchestrator\/action@v\d+: set its action step to `uses: claude-team-orchestrator/,
    );
    await writeFile(workflowPath, workflow);
    await commitAll("Published action");

    await appendFile(join(clone, "action/src/index.ts"), "\nexport const changed = 1;\n");
    await commitAll("Change the action without rebuilding it");
    await expect(doRelease()).rejects.toThrow(
      "action/dist/index.js is not built from these sources: run `npm run build:action`, commit, and release again",
    );
    // Nothing was tagged or pushed by any refused release.
    expect(await git(clone, "tag", "--list")).toBe("");
    expect(await git(home, "for-each-ref", "refs/tags")).toBe("");
  });
});
