import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentCommandError, parseAgentCommand, runCommandAgent } from "../../src/runner/command-agent.js";
import {
  isAlive,
  MARKER_VAR,
  newMarker,
  processesWithMarker,
  waitFor,
  withGrowingTimeout,
} from "./process-tree-probe.js";

const node = process.execPath;

/** A node script that starts a grandchild ignoring SIGTERM (so only SIGKILL ends it), then idles. */
const SPAWNS_STUBBORN_GRANDCHILD = `
  const { spawn } = require("node:child_process");
  const child = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); require('node:fs').writeFileSync('grandchild.pid', String(process.pid)); setInterval(() => {}, 1000);"], { stdio: "ignore" });
  process.on("SIGTERM", () => {});
  setInterval(() => {}, 1000);
`;

let cwd: string;
let marker: string;

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "command-agent-"));
  marker = newMarker();
});

afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe("runCommandAgent", () => {
  it("gives the prompt on stdin and the caller's env, and succeeds on exit 0", async () => {
    const script = `
      let prompt = "";
      process.stdin.on("data", (chunk) => (prompt += chunk));
      process.stdin.on("end", () => {
        require("node:fs").writeFileSync("prompt.txt", prompt);
        console.log("task " + process.env.ORCHESTRATOR_TASK_ID + " done");
      });
    `;
    const prompt = "Add a README.\nIt has 'quotes' and $(no shell) in it.";
    const result = await runCommandAgent({
      cwd,
      command: [node, "-e", script],
      prompt,
      env: { ORCHESTRATOR_TASK_ID: "readme" },
    });

    expect(result).toMatchObject({ ok: true, exitCode: 0, summary: "task readme done" });
    expect(result.failure).toBeUndefined();
    expect(await readFile(join(cwd, "prompt.txt"), "utf8")).toBe(prompt);
  });

  it("reads cost, turns and summary from a Claude-style JSON last line", async () => {
    const last = {
      type: "result",
      is_error: false,
      result: "Added the README.",
      total_cost_usd: 0.42,
      num_turns: 3,
    };
    const script = `console.log("working..."); console.log(${JSON.stringify(JSON.stringify(last))});`;
    const result = await runCommandAgent({ cwd, command: [node, "-e", script], prompt: "p", env: {} });

    expect(result).toMatchObject({ ok: true, summary: "Added the README.", costUsd: 0.42, turns: 3 });
  });

  it("turns a wrapped Claude 'Not logged in' result into not_logged_in", async () => {
    const last = {
      type: "result",
      is_error: true,
      result: "Not logged in · Please run /login",
      total_cost_usd: 0,
    };
    const script = `console.log(${JSON.stringify(JSON.stringify(last))}); process.exit(1);`;
    const result = await runCommandAgent({ cwd, command: [node, "-e", script], prompt: "p", env: {} });

    expect(result.ok).toBe(false);
    expect(result.failure?.kind).toBe("not_logged_in");
    expect(result.failure?.message).toContain("ANTHROPIC_API_KEY");
    expect(result.exitCode).toBe(1);
  });

  it("fails with the exit code and what the command said on stderr", async () => {
    const script = `console.log("partial work"); console.error("boom: tests failed"); process.exit(3);`;
    const result = await runCommandAgent({ cwd, command: [node, "-e", script], prompt: "p", env: {} });

    expect(result).toMatchObject({ ok: false, exitCode: 3 });
    expect(result.failure?.kind).toBe("exit_code");
    expect(result.failure?.message).toContain("code 3");
    expect(result.failure?.message).toContain("boom: tests failed");
  });

  it("appends stdout and stderr to the log file", async () => {
    const logFile = join(cwd, "logs", "task.log");
    const script = `console.log("to stdout"); console.error("to stderr");`;
    await runCommandAgent({ cwd, command: [node, "-e", script], prompt: "p", env: {}, logFile });
    await runCommandAgent({
      cwd,
      command: [node, "-e", `console.log("second attempt")`],
      prompt: "p",
      env: {},
      logFile,
    });

    const log = await readFile(logFile, "utf8");
    expect(log).toContain("to stdout");
    expect(log).toContain("to stderr");
    expect(log).toContain("second attempt");
  });

  it("on timeout kills the whole process tree, SIGTERM-proof grandchildren included", async () => {
    // The timeout must strike once the grandchild runs; a busy machine gets a longer one.
    const timeouts = [1_000, 5_000, 30_000];
    const result = await withGrowingTimeout(
      timeouts,
      (timeoutMs) =>
        runCommandAgent({
          cwd,
          command: [node, "-e", SPAWNS_STUBBORN_GRANDCHILD],
          prompt: "p",
          env: { [MARKER_VAR]: marker },
          timeoutMs,
          killGraceMs: 300,
        }),
      () => existsSync(join(cwd, "grandchild.pid")),
    );

    expect(result.ok).toBe(false);
    expect(result.failure?.kind).toBe("timeout");
    expect(result.failure?.message).toMatch(/within (1|5|30) s/);
    expect(processesWithMarker(marker)).toEqual([]);
  }, 120_000);

  it("on abort kills the whole process tree and reports a cancellation", async () => {
    const controller = new AbortController();
    const running = runCommandAgent({
      cwd,
      command: [node, "-e", SPAWNS_STUBBORN_GRANDCHILD],
      prompt: "p",
      env: { [MARKER_VAR]: marker },
      killGraceMs: 300,
      signal: controller.signal,
    });
    await waitFor(() => existsSync(join(cwd, "grandchild.pid")), 30_000);
    expect(processesWithMarker(marker)).toHaveLength(2);
    controller.abort();
    const result = await running;

    expect(result.failure?.kind).toBe("cancelled");
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it("stops background processes the agent leaves behind when it exits", async () => {
    // The agent exits once its background process runs (its pid file is there), not after a
    // guess at how long starting one takes.
    const script = `
      const fs = require("node:fs");
      require("node:child_process").spawn(process.execPath, ["-e", "const fs = require('node:fs'); fs.writeFileSync('bg.pid.tmp', String(process.pid)); fs.renameSync('bg.pid.tmp', 'bg.pid'); setInterval(() => {}, 1000)"], { stdio: "ignore" });
      const timer = setInterval(() => { if (fs.existsSync("bg.pid")) { clearInterval(timer); process.exit(0); } }, 20);
    `;
    const result = await runCommandAgent({
      cwd,
      command: [node, "-e", script],
      prompt: "p",
      env: { [MARKER_VAR]: marker },
      killGraceMs: 300,
    });

    expect(result.ok).toBe(true);
    expect(isAlive(Number(await readFile(join(cwd, "bg.pid"), "utf8")))).toBe(false);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it("returns even when a process that escaped the tree keeps the output pipe open", async () => {
    // The grandchild starts its own session (setsid) with an empty environment, so neither the
    // group kill nor the tree's marker reaches it once the agent is gone, and it inherits stdout:
    // the pipe never closes while it lives.
    const script = `
      const child = require("node:child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { detached: true, env: {}, stdio: ["ignore", "inherit", "inherit"] });
      child.unref();
      require("node:fs").writeFileSync("escaped.pid", String(child.pid));
      console.log("left something running");
    `;
    try {
      const result = await runCommandAgent({
        cwd,
        command: [node, "-e", script],
        prompt: "p",
        env: {},
        timeoutMs: 10_000,
      });
      expect(result).toMatchObject({ ok: true, summary: "left something running" });
    } finally {
      process.kill(Number(await readFile(join(cwd, "escaped.pid"), "utf8")), "SIGKILL");
    }
  });

  it("reports a missing command as spawn_error", async () => {
    const result = await runCommandAgent({
      cwd,
      command: ["no-such-agent-xyz", "--go"],
      prompt: "p",
      env: {},
    });

    expect(result).toMatchObject({ ok: false, exitCode: null });
    expect(result.failure?.kind).toBe("spawn_error");
    expect(result.failure?.message).toContain("not found: no-such-agent-xyz");
  });

  it("reports a missing working directory as spawn_error, not as a missing command", async () => {
    const result = await runCommandAgent({
      cwd: join(cwd, "gone"),
      command: [node, "-e", ""],
      prompt: "p",
      env: {},
    });

    expect(result.failure?.kind).toBe("spawn_error");
    expect(result.failure?.message).toContain("working directory");
  });
});

describe("parseAgentCommand", () => {
  it.each([
    ["my-agent", ["my-agent"]],
    ["  claude   -p  --output-format json ", ["claude", "-p", "--output-format", "json"]],
    [
      `agent --name "two words" 'single $HOME quoted'`,
      ["agent", "--name", "two words", "single $HOME quoted"],
    ],
    [`agent --x=""`, ["agent", "--x="]],
    [`agent ''`, ["agent", ""]],
    [`agent a\\ b`, ["agent", "a b"]],
    [`agent "say \\"hi\\""`, ["agent", `say "hi"`]],
    [`agent "C:\\dir"`, ["agent", "C:\\dir"]],
    [`agent 'it''s'`, ["agent", "its"]],
    [`agent | tee log; rm -rf x`, ["agent", "|", "tee", "log;", "rm", "-rf", "x"]],
  ])("splits %s", (input, expected) => {
    expect(parseAgentCommand(input)).toEqual(expected);
  });

  it.each([
    ["", "empty"],
    ["   ", "empty"],
    [`agent "open`, "unclosed"],
    [`agent 'open`, "unclosed"],
    ["agent \\", "backslash"],
  ])("rejects %j (%s)", (input, words) => {
    expect(() => parseAgentCommand(input)).toThrow(AgentCommandError);
    expect(() => parseAgentCommand(input)).toThrow(words);
  });
});
