import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/run-command.js";
import { gitIn, isolateGit, removeTempDirs } from "../support/git-fixtures.js";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/start-fake-github.js";
import { captureIo, makeProject, type Project } from "../local/local-fixtures.js";

/**
 * `orchestrator run --issue owner/repo#N`: the sub-issues of an issue on the OpenAPI-checked fake
 * GitHub, run by the real local executor (real git, the fixture agent) like a tasks file.
 */

beforeAll(isolateGit);
afterAll(removeTempDirs);

let fake: FakeGitHub | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const REPO = "acme/widgets";

/** The project's environment without any token of the machine running the tests. */
function envWithout(project: Project, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...project.env, ...extra };
  delete env.GITHUB_TOKEN;
  delete env.GH_TOKEN;
  delete env.GITHUB_API_URL;
  return { ...env, ...extra };
}

async function run(project: Project, env: NodeJS.ProcessEnv, args: string[]) {
  const capture = captureIo(project);
  capture.io.env = env;
  const code = await runCommand(["--agent", project.agentCommand, ...args], capture.io);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

describe("orchestrator run --issue", { timeout: 180_000 }, () => {
  it("runs the open sub-issues in blocked-by order, like a tasks file", async () => {
    const project = await makeProject({ tasks: [] });
    const f = (fake = await startFakeGitHub());
    f.state.addRepo({ fullName: REPO });
    const parent = f.state.addIssue({ repo: REPO, title: "Login" }).number;
    const done = f.state.addIssue({ repo: REPO, title: "Spike", state: "closed" }).number;
    const schema = f.state.addIssue({ repo: REPO, title: "Schema", body: "sleep=10" }).number;
    const api = f.state.addIssue({
      repo: REPO,
      title: "API",
      body: "```orchestrator\nretries: 1\n```",
    }).number;
    for (const child of [done, schema, api]) f.state.addSubIssue(REPO, parent, child);
    f.state.addBlockedBy(REPO, api, schema);
    f.state.addBlockedBy(REPO, schema, done);

    const env = envWithout(project, { GITHUB_TOKEN: f.installationToken(REPO), GITHUB_API_URL: f.url });
    const result = await run(project, env, ["--issue", `${REPO}#${parent}`]);

    expect(result.stderr).toContain(`note: 1 closed sub-issue is done already: #${done}`);
    expect(result.code).toBe(0);
    const events = await project.events();
    const endOfSchema = events.findIndex((e) => e.event === "end" && e.id === `issue-${schema}`);
    const startOfApi = events.findIndex((e) => e.event === "start" && e.id === `issue-${api}`);
    expect(endOfSchema).toBeGreaterThanOrEqual(0);
    expect(startOfApi).toBeGreaterThan(endOfSchema);
    // The API task's branch builds on the schema task's work.
    const files = await gitIn(project.repo, ["ls-tree", "--name-only", `orchestrator/issue-${api}`]);
    expect(files.split("\n")).toEqual(expect.arrayContaining([`issue-${schema}.txt`, `issue-${api}.txt`]));
    // The graph was written as a tasks file the executor read like any other.
    const written = JSON.parse(
      await readFile(join(project.repo, ".orchestrator", "issues", `acme-widgets-${parent}.json`), "utf8"),
    ) as { tasks: Array<{ id: string; retries?: number; prompt: string }> };
    expect(written.tasks.map((task) => task.id)).toEqual([`issue-${schema}`, `issue-${api}`]);
    expect(written.tasks[1]?.retries).toBe(1);
    expect(written.tasks[1]?.prompt).toContain(`Work on GitHub issue #${api} of ${REPO}: API`);
    expect(f.violations).toEqual([]);
  });

  it("takes the token from `gh auth token` (argv, no shell) and reports the graph's problems", async () => {
    const project = await makeProject({ tasks: [] });
    const f = (fake = await startFakeGitHub());
    f.state.addRepo({ fullName: REPO });
    const parent = f.state.addIssue({ repo: REPO, title: "Loop" }).number;
    const a = f.state.addIssue({ repo: REPO, title: "A" }).number;
    const b = f.state.addIssue({ repo: REPO, title: "B" }).number;
    f.state.addSubIssue(REPO, parent, a);
    f.state.addSubIssue(REPO, parent, b);
    f.state.addBlockedBy(REPO, a, b);
    f.state.addBlockedBy(REPO, b, a);
    const bin = join(project.scratch, "bin");
    await mkdir(bin);
    const argsLog = join(project.scratch, "gh-args.json");
    await writeFile(
      join(bin, "gh"),
      `#!${process.execPath}\nrequire("node:fs").writeFileSync(${JSON.stringify(argsLog)}, JSON.stringify(process.argv.slice(2)));\nprocess.stdout.write(${JSON.stringify(f.installationToken(REPO))} + "\\n");\n`,
    );
    await chmod(join(bin, "gh"), 0o755);

    const env = envWithout(project, { PATH: bin, GITHUB_API_URL: f.url });
    const result = await run(project, env, ["--issue", `${REPO}#${parent}`]);

    expect(JSON.parse(await readFile(argsLog, "utf8"))).toEqual(["auth", "token", "--hostname", "127.0.0.1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `orchestrator run: The issue graph of ${REPO}#${parent} has problems; nothing was started:\n` +
        `  "blocked by" cycle: #${a} → #${b} → #${a}, each blocked by the next; remove one of these links\n`,
    );
    expect(await project.events()).toEqual([]);
    expect(f.violations).toEqual([]);
  });

  it("says how to give a token when there is none, and checks the issue's form", async () => {
    const project = await makeProject({ tasks: [] });
    const empty = join(project.scratch, "empty-bin");
    await mkdir(empty);
    const none = await run(project, envWithout(project, { PATH: empty }), ["--issue", `${REPO}#12`]);
    expect(none).toMatchObject({
      code: 1,
      stderr:
        "orchestrator run: no GitHub token to read the issue with: set GITHUB_TOKEN, or install the GitHub CLI (gh) and run `gh auth login`\n",
    });
    const bad = await run(project, envWithout(project, {}), ["--issue", "widgets#12"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--issue needs an issue as OWNER/REPO#NUMBER, e.g. acme/widgets#12 (got "widgets#12")',
    );
    const both = await run(project, envWithout(project, {}), ["tasks/tasks.json", "--issue", `${REPO}#1`]);
    expect(both.stderr).toContain("give a tasks file or --issue, not both");
  });
});
