import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/run-command.js";
import {
  fileWritingScript,
  offlineClaudeEnv,
  startScriptedModelServer,
} from "../../src/demo/scripted-model-server.js";
import { commitFiles, isolateGit, makeTempDir, removeTempDirs } from "../support/git-fixtures.js";
import { captureIo, makeProject } from "./local-fixtures.js";

beforeAll(isolateGit);
afterAll(removeTempDirs);

const claudePath = resolve("node_modules/.bin/claude");

/**
 * The session budget reaches the agent as its cap: the real Claude Code CLI, on the scripted
 * model, is started with `--max-budget-usd` = what the budget has left, and stops there.
 */
describe("orchestrator run with a session budget", { timeout: 180_000 }, () => {
  it("caps each attempt at what the budget has left, so Claude Code stops there and nothing more starts", async () => {
    const project = await makeProject({ tasks: [] });
    await commitFiles({
      cwd: project.repo,
      files: {
        "tasks/tasks.json": `${JSON.stringify({
          budget_usd: 0.0001,
          max_parallel_agents: 1,
          tasks: [
            { id: "greet", prompt: "Add a greeting file.", estimate_minutes: 5 },
            { id: "farewell", prompt: "Add a farewell file.", estimate_minutes: 1 },
          ],
        })}\n`,
      },
      message: "tasks with a budget",
    });
    const home = join(await makeTempDir("orchestrator-claude-home-"), "home");
    await mkdir(home);
    const model = await startScriptedModelServer({
      script: fileWritingScript([
        {
          promptIncludes: "greeting",
          files: [{ path: "greeting.txt", content: "Hello.\n" }],
          summary: "Added it.",
        },
        {
          promptIncludes: "farewell",
          files: [{ path: "farewell.txt", content: "Bye.\n" }],
          summary: "Added it.",
        },
      ]),
    });
    const capture = captureIo(project);
    capture.io.env = {
      ...project.env,
      ...offlineClaudeEnv({ url: model.url, home }),
      ORCHESTRATOR_CLAUDE_PATH: claudePath,
    };
    let code: number;
    try {
      code = await runCommand([], capture.io);
    } finally {
      await model.close();
    }
    expect(code).toBe(1);
    const log = await readFile(join(project.repo, ".orchestrator", "logs", "greet.log"), "utf8");
    // The CLI's own account: it stopped at the cap it was given, the whole budget.
    expect(log).toContain('"subtype":"error_max_budget_usd"');
    const state = JSON.parse(await readFile(join(project.repo, ".orchestrator", "state.json"), "utf8")) as {
      tasks: Record<string, { status: string; reason?: string; costUsd?: number }>;
    };
    expect(state.tasks.greet?.status).toBe("failed");
    expect(state.tasks.greet?.reason).toContain("Claude stopped:");
    expect(state.tasks.farewell).toMatchObject({ status: "skipped" });
    expect(state.tasks.farewell?.reason).toMatch(
      /^the session budget of \$0\.0001 was reached \(\$0\.\d{4} spent\)$/,
    );
  });
});
