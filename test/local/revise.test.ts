import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/run-command.js";
import {
  fileWritingScript,
  offlineClaudeEnv,
  startScriptedModelServer,
} from "../../src/demo/scripted-model-server.js";
import { commitFiles, gitIn, isolateGit, makeTempDir, removeTempDirs } from "../support/git-fixtures.js";
import { captureIo, makeProject, type Project } from "./local-fixtures.js";

beforeAll(isolateGit);
afterAll(removeTempDirs);

const claudePath = resolve("node_modules/.bin/claude");

async function commitTasks(project: Project, tasks: unknown[]): Promise<void> {
  await commitFiles({
    cwd: project.repo,
    files: { "tasks/tasks.json": `${JSON.stringify({ max_parallel_agents: 1, tasks })}\n` },
    message: "tasks",
  });
}

async function run(project: Project, argv: string[], env: NodeJS.ProcessEnv = project.env) {
  const capture = captureIo(project);
  capture.io.env = env;
  const code = await runCommand(argv, capture.io);
  return { code, stdout: capture.stdout(), stderr: capture.stderr() };
}

/**
 * `orchestrator run --revise TASK "TEXT"`: a follow-up on the last session. The real Claude Code
 * CLI on the scripted model does the work, so what the agent was asked is what the model saw.
 */
describe("orchestrator run --revise", { timeout: 240_000 }, () => {
  it("runs the task again on its branch, its first commit kept, with the feedback in the agent's prompt", async () => {
    const project = await makeProject({ tasks: [] });
    await commitTasks(project, [
      { id: "greet", prompt: "Add a greeting file.", retries: 1 },
      { id: "farewell", prompt: "Add a farewell file.", dependencies: ["greet"] },
    ]);
    const home = join(await makeTempDir("orchestrator-claude-home-"), "home");
    await mkdir(home);
    // The first rule only matches a prompt holding the feedback: its file proves the agent saw it.
    const model = await startScriptedModelServer({
      script: fileWritingScript([
        {
          promptIncludes: "Make the greeting louder",
          files: [{ path: "greeting.txt", content: "HELLO!\n" }],
          summary: "Made it louder.",
        },
        { promptIncludes: "greeting", files: [{ path: "greeting.txt", content: "Hello.\n" }] },
        { promptIncludes: "farewell", files: [{ path: "farewell.txt", content: "Bye.\n" }] },
      ]),
    });
    const env = {
      ...project.env,
      ...offlineClaudeEnv({ url: model.url, home }),
      ORCHESTRATOR_CLAUDE_PATH: claudePath,
    };
    try {
      const first = await run(project, [], env);
      expect(first.code, first.stderr).toBe(0);
      const firstTip = await gitIn(project.repo, ["rev-parse", "orchestrator/greet"]);

      const revised = await run(project, ["--revise", "greet", "Make the greeting louder."], env);
      expect(revised.code, revised.stderr + revised.stdout).toBe(0);

      // The first attempt's commit is still on the branch, with the revised attempt's on top.
      await gitIn(project.repo, ["merge-base", "--is-ancestor", firstTip, "orchestrator/greet"]);
      const messages = await gitIn(project.repo, ["log", "--format=%B%x00", "main..orchestrator/greet"]);
      const commits = messages.split("\0").filter((text) => text.trim() !== "");
      expect(commits).toHaveLength(2);
      expect(commits[0]).toContain("Orchestrator-Attempt: 2");
      expect(commits[1]).toContain("Orchestrator-Attempt: 1");
      expect(await gitIn(project.repo, ["show", "orchestrator/greet:greeting.txt"])).toBe("HELLO!");
      // The dependent built on the earlier work is named, with the way to move it.
      expect(revised.stdout).toContain(
        `farewell was built on the earlier work of greet; to move it onto the new work: ` +
          `git rebase --onto orchestrator/greet ${firstTip} orchestrator/farewell`,
      );
      const state = JSON.parse(await readFile(join(project.repo, ".orchestrator", "state.json"), "utf8")) as {
        tasks: Record<string, { status: string; attempts: number; feedback?: string }>;
      };
      expect(state.tasks.greet).toMatchObject({ status: "succeeded", attempts: 2 });
      expect(state.tasks.greet?.feedback).toBeUndefined();

      // Its one retry is used: another revise is refused, and says how to get one more.
      const again = await run(project, ["--revise", "greet", "Even louder."], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(
        'Cannot revise: task "greet" has used all its 2 attempts (retries: 1); a revise is another attempt: ' +
          "raise the task's `retries` to revise it.",
      );
    } finally {
      await model.close();
    }
  });
});

describe("orchestrator run --revise refusals", { timeout: 120_000 }, () => {
  it("names an unknown task, a task with no retries left, and a missing text", async () => {
    const project = await makeProject({ tasks: [{ id: "alpha" }] });
    const agent = ["--agent", project.agentCommand];
    const none = await run(project, [...agent, "--revise", "alpha", "more"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      "There is no session to revise (.orchestrator/state.json does not exist). Run without --revise to start one.",
    );
    expect((await run(project, agent)).code).toBe(0);

    const unknown = await run(project, [...agent, "--revise", "alpah", "more"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /There is no task "alpah" in session local-\S+ \(did you mean "alpha"\?\)\./,
    );

    const noRetries = await run(project, [...agent, "--revise", "alpha", "more"]);
    expect(noRetries.code).toBe(1);
    expect(noRetries.stderr).toContain(
      'Cannot revise: task "alpha" has used its 1 attempt (retries: 0); a revise is another attempt: ' +
        "raise the task's `retries` to revise it.",
    );

    const noText = await run(project, [...agent, "--revise", "alpha"]);
    expect(noText.code).toBe(2);
    expect(noText.stderr).toContain(
      '--revise needs the feedback text: orchestrator run --revise alpha "what to change"',
    );
  });

  it("refuses while another run is using the repository", async () => {
    const project = await makeProject({ tasks: [{ id: "alpha" }] });
    const agent = ["--agent", project.agentCommand];
    expect((await run(project, agent)).code).toBe(0);
    // A live process other than this one holds the run lock: the parent of this test's worker.
    await writeFile(join(project.repo, ".orchestrator", "run.lock"), `${process.ppid}\n`);
    const locked = await run(project, [...agent, "--revise", "alpha", "more"]);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain(
      `Another orchestrator run (pid ${process.ppid}) is using this repository.`,
    );
  });
});
