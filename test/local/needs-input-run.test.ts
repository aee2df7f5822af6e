import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRunArgs, runCommand } from "../../src/cli/run-command.js";
import {
  offlineClaudeEnv,
  startScriptedModelServer,
  type ModelScript,
  type ScriptedModelServer,
} from "../../src/demo/scripted-model-server.js";
import { commitFiles, isolateGit, makeTempDir, removeTempDirs } from "../support/git-fixtures.js";
import { captureIo, makeProject, type Project } from "./local-fixtures.js";

beforeAll(isolateGit);
afterAll(removeTempDirs);

const claudePath = resolve("node_modules/.bin/claude");

/**
 * Needs input and limited on one machine: `orchestrator run` with the real Claude Code CLI on the
 * scripted model. A task the CLI refuses a tool and that ends with a question waits for a person
 * (its dependent neither runs nor is skipped), the table and the summary say how to answer, and
 * `--answer` runs it again with the answer; a usage limit makes the run wait for the reset and go
 * on by itself, without a failed attempt.
 */

interface State {
  tasks: Record<string, { status: string; attempts: number; uncounted?: number; reason?: string }>;
  runs: Record<string, { refusedTools?: string[]; question?: string }>;
  outcome?: { conclusion: string };
}

async function projectWith(tasks: object[]): Promise<Project> {
  const project = await makeProject({ tasks: [] });
  await commitFiles({
    cwd: project.repo,
    files: { "tasks/tasks.json": `${JSON.stringify({ max_parallel_agents: 1, tasks })}\n` },
    message: "tasks",
  });
  return project;
}

async function run(
  project: Project,
  model: ScriptedModelServer,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string; state: State }> {
  const home = join(await makeTempDir("orchestrator-claude-home-"), "home");
  await mkdir(home);
  const capture = captureIo(project);
  capture.io.env = {
    ...project.env,
    ...offlineClaudeEnv({ url: model.url, home }),
    ORCHESTRATOR_CLAUDE_PATH: claudePath,
    ...env,
  };
  const code = await runCommand(argv, capture.io);
  const state = JSON.parse(
    await readFile(join(project.repo, ".orchestrator", "state.json"), "utf8"),
  ) as State;
  return { code, stdout: capture.stdout(), stderr: capture.stderr(), state };
}

const write = (path: string) => ({
  toolUse: [{ name: "Write", input: { file_path: path, content: "done\n" } }],
});

describe("orchestrator run: needs input", { timeout: 240_000 }, () => {
  it("waits for a person, says how to answer, and --answer runs the task again with the answer", async () => {
    const project = await projectWith([
      { id: "clean", prompt: "Clean the build output." },
      { id: "docs", prompt: "Document the build.", dependencies: ["clean"] },
    ]);
    const script: ModelScript = (context) => {
      if (context.prompt.includes("Document"))
        return context.turn === 0 ? write("docs.md") : { text: "Documented." };
      if (context.prompt.includes("Use the scratch folder"))
        return context.turn === 0 ? write("clean.md") : { text: "Cleaned the scratch folder." };
      if (context.turn === 0)
        return {
          toolUse: [
            { name: "Bash", input: { command: "rm -rf /tmp/orchestrator-never-there", description: "x" } },
          ],
        };
      return { text: "I could not clean /tmp.\n\nWhich folder should I clean instead?" };
    };
    const model = await startScriptedModelServer({ script });
    try {
      const first = await run(project, model, []);
      expect(first.code).toBe(1);
      expect(first.state.tasks.clean).toMatchObject({ status: "needs_input", attempts: 1, uncounted: 1 });
      // Not a failure: the dependent is neither skipped nor run.
      expect(first.state.tasks.docs).toBeUndefined();
      expect(first.state.outcome?.conclusion).toBe("action_required");
      expect(first.state.runs.clean).toMatchObject({
        refusedTools: ["Bash"],
        question: "Which folder should I clean instead?",
      });
      expect(first.stdout).toMatch(
        /needs input clean: Claude needs input \(refused: Bash; asked a question\)/,
      );
      expect(first.stdout).toContain("refused tools: Bash");
      expect(first.stdout).toContain("question: Which folder should I clean instead?");
      expect(first.stdout).toContain('orchestrator run --answer clean "your answer"');
      expect(first.stdout).toContain("orchestrator run --allow-tools clean");

      // --answer on a task that does not need input is refused, saying which one does.
      const wrong = await run(project, model, ["--answer", "docs", "Use the scratch folder."]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('Task "docs" is pending, not waiting for input');
      expect(wrong.stderr).toContain("Tasks that need input: clean.");

      const second = await run(project, model, ["--answer", "clean", "Use the scratch folder."]);
      expect(second.code).toBe(0);
      expect(second.state.tasks.clean).toMatchObject({ status: "succeeded", attempts: 2 });
      expect(second.state.tasks.docs).toMatchObject({ status: "succeeded", attempts: 1 });
      // The answer reached the agent as feedback in its prompt.
      const prompts = model.requests
        .filter((request) => request.kind === "conversation")
        .map((request) => JSON.stringify(request.body));
      expect(prompts.some((body) => body.includes("Use the scratch folder."))).toBe(true);
    } finally {
      await model.close();
    }
  });
});

describe("orchestrator run: limited", { timeout: 240_000 }, () => {
  it("waits for a usage limit's reset and goes on by itself, without a failed attempt", async () => {
    const project = await projectWith([{ id: "greet", prompt: "Add a greeting.", retries: 0 }]);
    let limitedOnce = false;
    let resetSeconds = 0;
    const script: ModelScript = (context) => {
      if (!limitedOnce) {
        limitedOnce = true;
        resetSeconds = Math.floor(Date.now() / 1000) + 2;
        return {
          error: {
            status: 429,
            message: "You've hit your limit",
            headers: {
              "anthropic-ratelimit-unified-status": "rejected",
              "anthropic-ratelimit-unified-reset": String(resetSeconds),
              "anthropic-ratelimit-unified-representative-claim": "five_hour",
            },
          },
        };
      }
      return context.turn === 0 ? write("greeting.md") : { text: "Added a greeting." };
    };
    const model = await startScriptedModelServer({ script });
    try {
      const result = await run(project, model, [], {
        ANTHROPIC_API_KEY: undefined,
        CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-scripted-model",
      });
      expect(result.stdout).toMatch(
        /limited {3}greet until \d\d:\d\d: The model API answered with a usage limit/,
      );
      expect(result.stdout).toMatch(/waiting {3}for the model API's limit to reset at \d\d:\d\d/);
      expect(result.code).toBe(0);
      // Two attempts, the limited one not counted: the task has no retries, yet it ran again.
      expect(result.state.tasks.greet).toMatchObject({ status: "succeeded", attempts: 2, uncounted: 1 });
      // It started again only once the reset had passed.
      const conversations = model.requests.filter((request) => request.kind === "conversation");
      expect(conversations.length).toBeGreaterThanOrEqual(3);
    } finally {
      await model.close();
    }
  });
});

describe("orchestrator run: --answer and --allow-tools arguments", () => {
  it("reads --answer TASK TEXT and --allow-tools TASK, and refuses what it cannot use", () => {
    expect(parseRunArgs(["--answer", "api", "Use SQLite"]).input).toEqual({
      kind: "answer",
      id: "api",
      text: "Use SQLite",
    });
    expect(parseRunArgs(["tasks.json", "--allow-tools", "api"])).toMatchObject({
      file: "tasks.json",
      input: { kind: "allow", id: "api" },
    });
    expect(() => parseRunArgs(["--answer", "api"])).toThrow(
      '--answer needs a task id and the answer, e.g. --answer api "Use SQLite"',
    );
    expect(() => parseRunArgs(["--answer", "api", "  "])).toThrow("--answer api needs the answer's text");
    expect(() => parseRunArgs(["--answer", "api", "x", "--allow-tools", "api"])).toThrow(
      "give --answer or --allow-tools, not both",
    );
    expect(() => parseRunArgs(["--allow-tools", "api", "--resume"])).toThrow(
      "--allow-tools goes on with the last session itself; give it without --resume or --retry",
    );
  });
});
