import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../../scripts/action-bundle.js";
import packageJson from "../../package.json" with { type: "json" };

const run = promisify(execFile);

/**
 * The npm package as `npm publish` ships it — `npm pack`'s file list, with dist/ compiled as the
 * `prepare` script does — run from outside this clone, in another git repository: what
 * `npx claude-team-orchestrator …` and a global install run. Its dependencies are this
 * checkout's (no network in tests); everything else comes from the tarball alone.
 */
describe("the published package", () => {
  let dir: string;
  let bin: string;
  let project: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "package-"));
    const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
      cwd: ROOT,
      encoding: "utf8",
    });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    await run("tar", ["-xzf", join(dir, packed?.filename ?? ""), "-C", dir]);
    const unpacked = join(dir, "package");
    await rm(join(unpacked, "dist"), { recursive: true, force: true });
    await run("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", join(unpacked, "dist")], { cwd: ROOT });
    await symlink(join(ROOT, "node_modules"), join(unpacked, "node_modules"));
    bin = join(unpacked, "bin", "orchestrator.js");
    project = join(dir, "project");
    await mkdir(project);
    await run("git", ["init", "-q", project]);
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const orchestrator = (...args: string[]) =>
    run("node", [bin, ...args], { cwd: project, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

  it("is named for npx and has one bin, so `npx claude-team-orchestrator` runs the orchestrator", () => {
    expect(packageJson.name).toBe("claude-team-orchestrator");
    expect(Object.keys(packageJson.bin)).toEqual(["orchestrator"]);
    expect(packageJson.engines.node).toBe(">=20.18");
  });

  it("answers --help from another repository", async () => {
    const { stdout } = await orchestrator("--help");
    expect(stdout).toMatch(/^Usage: orchestrator <command>/m);
    expect(stdout).toContain("init");
  });

  it("sets a repository up with files from the package alone, the workflow running the published action", async () => {
    await orchestrator("init", "--github");
    const workflow = parse(
      await readFile(join(project, ".github/workflows/orchestrator-task.yml"), "utf8"),
    ) as {
      jobs: Record<string, { steps: { uses?: string }[] }>;
    };
    const uses = Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => step.uses ?? ""));
    expect(uses).toContain(
      `claude-team-orchestrator/claude-team-orchestrator/action@v${packageJson.version.split(".")[0]}`,
    );
    expect(uses).not.toContain("./action");
    expect(await readFile(join(project, "tasks/tasks.schema.json"), "utf8")).toBe(
      await readFile(join(ROOT, "tasks/tasks.schema.json"), "utf8"),
    );
    const { stdout } = await orchestrator("validate");
    expect(stdout).toContain("✓ tasks/tasks.json: 2 tasks, 2 waves");
  });
});
