import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { projectWith, REPO_ROOT, removeProjects, runCli } from "./cli-test-helpers.js";

afterAll(removeProjects);

const GIT = execFileSync("which", ["git"], { encoding: "utf8" }).trim();
const REPO_SCHEMA = readFileSync(path.join(REPO_ROOT, "tasks/tasks.schema.json"), "utf8");
const REPO_WORKFLOW = readFileSync(path.join(REPO_ROOT, ".github/workflows/orchestrator-task.yml"), "utf8");

const LOGIN_UNKNOWN =
  "  ? Claude Code login: neither ANTHROPIC_API_KEY nor CLAUDE_CODE_OAUTH_TOKEN is set; could not tell whether " +
  "`claude` is logged in. If it is not: run `claude`, then /login (or set ANTHROPIC_API_KEY)";

/** A fresh git repository (realpath: git reports resolved paths). */
function gitRepo(): string {
  const dir = realpathSync(projectWith({}));
  execFileSync("git", ["init", "--quiet", dir]);
  return dir;
}

/**
 * An environment that sees nothing of this machine's: a PATH with only git (plus a stand-in
 * `claude` when asked, never run), a global git config of the test's choosing, no system config.
 */
function isolatedEnv(options: { identity?: boolean; claude?: boolean; extra?: NodeJS.ProcessEnv }): {
  env: NodeJS.ProcessEnv;
  claudePath: string;
} {
  const home = realpathSync(projectWith({}));
  const bin = path.join(home, "bin");
  mkdirSync(bin);
  symlinkSync(GIT, path.join(bin, "git"));
  const claudePath = path.join(bin, "claude");
  if (options.claude) {
    writeFileSync(claudePath, "#!/bin/sh\nexit 1\n");
    chmodSync(claudePath, 0o755);
  }
  const globalConfig = path.join(home, "gitconfig");
  writeFileSync(
    globalConfig,
    options.identity ? "[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n" : "",
  );
  return {
    env: {
      PATH: bin,
      HOME: home,
      GIT_CONFIG_GLOBAL: globalConfig,
      GIT_CONFIG_NOSYSTEM: "1",
      NO_COLOR: "1",
      ...options.extra,
    },
    claudePath,
  };
}

describe("orchestrator init", () => {
  it("in a fresh repository writes a starter tasks file and its schema that validate passes, and reports the checks", async () => {
    const repo = gitRepo();
    const { env, claudePath } = isolatedEnv({
      identity: true,
      claude: true,
      extra: { ANTHROPIC_API_KEY: "test-key-value-not-a-secret" },
    });
    const run = await runCli(["init"], { cwd: repo, env });

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        "✓ wrote tasks/tasks.json (2 example tasks; edit their prompts)",
        "✓ wrote tasks/tasks.schema.json (editors check the tasks file with it)",
        "",
        "Prerequisites:",
        "  ✓ git identity: Ada Lovelace <ada@example.com>",
        `  ✓ Claude Code: ${claudePath}`,
        "  ✓ Claude Code login: ANTHROPIC_API_KEY is set",
        "",
        "Next:",
        "  orchestrator validate",
        "  orchestrator run",
        "",
        "",
      ].join("\n"),
    );
    expect(run.stdout).not.toContain("test-key-value");

    const written = JSON.parse(readFileSync(path.join(repo, "tasks/tasks.json"), "utf8")) as {
      $schema: string;
      tasks: Array<{ id: string; dependencies?: string[] }>;
    };
    expect(written.$schema).toBe("./tasks.schema.json");
    expect(written.tasks.map((task) => [task.id, task.dependencies ?? []])).toEqual([
      ["readme", []],
      ["contributing", ["readme"]],
    ]);
    expect(readFileSync(path.join(repo, "tasks/tasks.schema.json"), "utf8")).toBe(REPO_SCHEMA);
    expect(existsSync(path.join(repo, ".github"))).toBe(false);

    const validate = await runCli(["validate"], { cwd: repo, env });
    expect(validate).toEqual({
      code: 0,
      stdout: "✓ tasks/tasks.json: 2 tasks, 2 waves, critical path readme → contributing (20 min)\n",
      stderr: "",
    });
  });

  it("from a folder inside the repository writes at the repository root", async () => {
    const repo = gitRepo();
    const deeper = path.join(repo, "src", "lib");
    mkdirSync(deeper, { recursive: true });
    const { env } = isolatedEnv({ identity: true, claude: true });
    const run = await runCli(["init"], { cwd: deeper, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^✓ wrote tasks\/tasks.json /);
    expect(existsSync(path.join(repo, "tasks/tasks.json"))).toBe(true);
    expect(existsSync(path.join(deeper, "tasks"))).toBe(false);
  });

  it("leaves an existing tasks file untouched, says so, and still checks the prerequisites", async () => {
    const repo = gitRepo();
    const yaml = "tasks:\n  - id: mine\n    prompt: my own task\n";
    mkdirSync(path.join(repo, "tasks"));
    writeFileSync(path.join(repo, "tasks/tasks.yaml"), yaml);
    const { env } = isolatedEnv({ identity: true, claude: true });

    const run = await runCli(["init"], { cwd: repo, env });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(
      /^• tasks\/tasks.yaml exists; left as it is.\n\nPrerequisites:\n {2}✓ git identity: /,
    );
    expect(readFileSync(path.join(repo, "tasks/tasks.yaml"), "utf8")).toBe(yaml);
    expect(existsSync(path.join(repo, "tasks/tasks.json"))).toBe(false);
    expect(existsSync(path.join(repo, "tasks/tasks.schema.json"))).toBe(false);
  });

  it("outside a git repository refuses, naming the folder, and writes nothing", async () => {
    const dir = realpathSync(projectWith({}));
    const { env } = isolatedEnv({ identity: true, claude: true });
    const run = await runCli(["init"], { cwd: dir, env });
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: `orchestrator init: ${dir} is not inside a git working tree. Run this in a clone of your project (git init).\n`,
    });
    expect(existsSync(path.join(dir, "tasks"))).toBe(false);
  });

  it("reports a missing git identity, a missing Claude Code and an unknown login, each with its fix", async () => {
    const repo = gitRepo();
    const { env } = isolatedEnv({ identity: false, claude: false });
    const run = await runCli(["init"], { cwd: repo, env });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const checks = run.stdout.split("Prerequisites:\n")[1]?.split("\n\n")[0];
    expect(checks).toBe(
      [
        '  ✗ git identity: no user.name and user.email (task commits would be by "Orchestrator <orchestrator@localhost>"). ' +
          'Fix: git config --global user.name "Your Name" && git config --global user.email you@example.com, ' +
          "or set ORCHESTRATOR_AUTHOR_NAME and ORCHESTRATOR_AUTHOR_EMAIL",
        "  ✗ Claude Code: no `claude` on PATH and ORCHESTRATOR_CLAUDE_PATH not set. " +
          "Fix: npm install -g @anthropic-ai/claude-code (or set ORCHESTRATOR_CLAUDE_PATH to its path)",
        LOGIN_UNKNOWN,
      ].join("\n"),
    );
  });

  it("honours ORCHESTRATOR_AUTHOR_NAME/EMAIL, CLAUDE_CODE_OAUTH_TOKEN, and reports a wrong ORCHESTRATOR_CLAUDE_PATH", async () => {
    const repo = gitRepo();
    const { env } = isolatedEnv({
      identity: false,
      claude: true,
      extra: {
        ORCHESTRATOR_AUTHOR_NAME: "Task Bot",
        ORCHESTRATOR_AUTHOR_EMAIL: "bot@example.com",
        ORCHESTRATOR_CLAUDE_PATH: "./no-such-claude",
        CLAUDE_CODE_OAUTH_TOKEN: "token-value-not-a-secret",
      },
    });
    const run = await runCli(["init"], { cwd: repo, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("\n  ✓ git identity: Task Bot <bot@example.com>\n");
    expect(run.stdout).toContain(
      "\n  ✗ Claude Code: ORCHESTRATOR_CLAUDE_PATH is set to ./no-such-claude, but no executable is there. Fix: correct or unset it\n",
    );
    expect(run.stdout).toContain("\n  ✓ Claude Code login: CLAUDE_CODE_OAUTH_TOKEN is set\n");
    expect(run.stdout).not.toContain("token-value");
  });

  it("--github writes the workflow identical to this repository's, names the secret, and never overwrites on a second run", async () => {
    const repo = gitRepo();
    const { env } = isolatedEnv({ identity: true, claude: true });
    const first = await runCli(["init", "--github"], { cwd: repo, env });
    expect(first.code).toBe(0);
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(
      /^✓ wrote tasks\/tasks.json .*\n✓ wrote tasks\/tasks.schema.json .*\n✓ wrote .github\/workflows\/orchestrator-task.yml \(each task runs claude-team-orchestrator\/claude-team-orchestrator\/action@v0\)\n\nPrerequisites:\n/,
    );
    expect(first.stdout).toContain(
      "\n\nGitHub: add the repository secret ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN, from `claude setup-token`)\n" +
        "under Settings → Secrets and variables → Actions, or: gh secret set ANTHROPIC_API_KEY\n",
    );
    expect(first.stdout).toMatch(
      /\n\nNext:\n {2}git add tasks\/tasks.json tasks\/tasks.schema.json .github\/workflows\/orchestrator-task.yml && git commit -m "Add orchestrator" && git push\n {2}then comment \/orchestrate on an issue of the repository \(with the GitHub App installed\)\n\n$/,
    );
    const workflowPath = path.join(repo, ".github/workflows/orchestrator-task.yml");
    expect(readFileSync(workflowPath, "utf8")).toBe(REPO_WORKFLOW);

    // The user edits every file; a second run must keep each edit.
    const edited = {
      "tasks/tasks.json": '{ "tasks": [ { "id": "edited", "prompt": "mine" } ] }\n',
      "tasks/tasks.schema.json": "{}\n",
      ".github/workflows/orchestrator-task.yml": "# my own workflow\n",
    };
    for (const [name, text] of Object.entries(edited)) writeFileSync(path.join(repo, name), text);
    const second = await runCli(["init", "--github"], { cwd: repo, env });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(
      /^• tasks\/tasks.json exists; left as it is.\n• .github\/workflows\/orchestrator-task.yml exists; left as it is.\n\nPrerequisites:\n/,
    );
    for (const [name, text] of Object.entries(edited))
      expect(readFileSync(path.join(repo, name), "utf8")).toBe(text);
  });

  it("writes the schema only when absent: an existing one is kept and said so", async () => {
    const repo = gitRepo();
    mkdirSync(path.join(repo, "tasks"));
    writeFileSync(path.join(repo, "tasks/tasks.schema.json"), "{}\n");
    const { env } = isolatedEnv({ identity: true, claude: true });
    const run = await runCli(["init"], { cwd: repo, env });
    expect(run.stdout).toMatch(
      /^✓ wrote tasks\/tasks.json .*\n• tasks\/tasks.schema.json exists; left as it is.\n/,
    );
    expect(readFileSync(path.join(repo, "tasks/tasks.schema.json"), "utf8")).toBe("{}\n");
  });

  it("--help prints the usage; an argument is a usage error", async () => {
    const repo = gitRepo();
    const help = await runCli(["init", "--help"], { cwd: repo });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: orchestrator init \[--github\]\n/);
    expect(help.stdout).toContain("  --github    also write .github/workflows/orchestrator-task.yml");
    expect(existsSync(path.join(repo, "tasks"))).toBe(false);

    const extra = await runCli(["init", "somewhere"], { cwd: repo });
    expect(extra).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'orchestrator init: unexpected argument "somewhere"\nRun "orchestrator init --help" for usage.\n',
    });
  });

  it("is listed in orchestrator --help", async () => {
    const run = await runCli(["--help"], { cwd: gitRepo() });
    expect(run.stdout).toMatch(/\n {2}init +write a starter tasks file/);
  });
});
