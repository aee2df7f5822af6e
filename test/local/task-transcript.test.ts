import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/run-command.js";
import {
  fileWritingScript,
  offlineClaudeEnv,
  startScriptedModelServer,
} from "../../src/demo/scripted-model-server.js";
import { isolateGit, makeTempDir, removeTempDirs } from "../support/git-fixtures.js";
import { captureIo, makeProject } from "./local-fixtures.js";

beforeAll(isolateGit);
afterAll(removeTempDirs);

/** The real Claude Code CLI, pinned in devDependencies. */
const claudePath = resolve("node_modules/.bin/claude");

// A whole run with the real CLI: on a loaded two-core machine it can take a minute. The limit
// is a safety net; nothing inside waits for time to pass.
describe("orchestrator run with Claude Code", { timeout: 180_000 }, () => {
  it("leaves a readable transcript beside each task's stream-json log, and says where", async () => {
    const project = await makeProject({
      tasks: [{ id: "greet", prompt: "Add a greeting file.\nKeep it short." }],
    });
    const home = join(await makeTempDir("orchestrator-claude-home-"), "home");
    await mkdir(home);
    const model = await startScriptedModelServer({
      script: fileWritingScript([
        {
          promptIncludes: "greeting",
          files: [{ path: "greeting.txt", content: "Hello.\n" }],
          summary: "Added \x1b[31mthe greeting\x1b[0m.",
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

    expect(capture.stderr()).toBe("");
    expect(code).toBe(0);
    const logs = join(project.repo, ".orchestrator", "logs");
    expect(await readFile(join(logs, "greet.log"), "utf8")).toContain('"type":"result"');
    const transcript = await readFile(join(logs, "greet.txt"), "utf8");
    expect(transcript).toContain("Prompt: Add a greeting file.\n");
    expect(transcript).not.toContain("Keep it short.");
    expect(transcript).toContain("→ Write(");
    expect(transcript).toContain("Claude: Added the greeting.\n");
    expect(transcript).toMatch(/\nResult: success · \$\d+\.\d{4} · 2 turns · \d+\.\ds · is_error false\n/);
    expect(transcript).not.toContain("\x1b");
    expect(capture.stdout()).toContain("Logs: .orchestrator/logs/<task>.log (readable: <task>.txt)");
  });
});
