import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitIn, isolateGit, makeTempDir, removeTempDirs } from "../support/git-fixtures.js";

/** `npm run demo` end to end: the real Claude Code CLI, the scripted model, real git, real tests. */

beforeAll(isolateGit);
afterAll(removeTempDirs);

const TSX_LOADER = pathToFileURL(resolve("node_modules/tsx/dist/loader.mjs")).href;

describe("npm run demo", () => {
  it("runs the textkit tasks offline and leaves branches whose code passes its own tests", async () => {
    const dir = await makeTempDir("orchestrator-demo-test-");
    const child = spawn(
      process.execPath,
      ["--import", TSX_LOADER, resolve("src/demo/run-demo.ts"), "--dir", dir],
      {
        env: { ...process.env, ANTHROPIC_API_KEY: undefined, CLAUDE_CODE_OAUTH_TOKEN: undefined },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on("exit", (exit) => done(exit)));

    expect(output).toContain("7 of 7 tasks succeeded");
    expect(code).toBe(0);
    expect(output).toMatch(/node --test: tests \d+, pass \d+, fail 0/);
    expect(output).toContain("→  creme-brulee-a-recipe");
    expect(output).toContain("The model was scripted for this demo");
    expect(output).toContain("ANTHROPIC_API_KEY=sk-ant-... npx orchestrator run");

    const repo = join(dir, "textkit");
    const branches = (await gitIn(repo, ["branch", "--format=%(refname:short)"])).split("\n").sort();
    expect(branches).toEqual([
      "main",
      "textkit/changelog",
      "textkit/cli",
      "textkit/docs",
      "textkit/project-setup",
      "textkit/slugify",
      "textkit/tests",
      "textkit/word-count",
    ]);
    // cli builds on both parallel tasks: git merged their src/index.js edits.
    const index = await gitIn(repo, ["show", "textkit/cli:src/index.js"]);
    expect(index).toContain('export { slugify } from "./slugify.js";');
    expect(index).toContain('export { wordCount } from "./word-count.js";');
    // Claude Code really ran: its stream-json result is in the task log.
    expect(await readFile(join(repo, ".orchestrator", "logs", "slugify.log"), "utf8")).toContain(
      '"type":"result"',
    );
    expect(existsSync(join(repo, ".orchestrator", "worktrees", "slugify"))).toBe(false);
    // Real Claude Code CLI processes: minutes on a loaded machine; the limit is only a safety net.
  }, 300_000);
});
