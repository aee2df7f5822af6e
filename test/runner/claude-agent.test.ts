import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileWritingScript, offlineClaudeEnv } from "../../src/demo/scripted-model-server.js";
import { runClaudeAgent } from "../../src/runner/claude-agent.js";
import { claudeAgentArgs } from "../../src/runner/claude-agent-args.js";
import { ClaudeStreamReader, claudeResultFields } from "../../src/runner/claude-agent-output.js";
import { claudePath, useClaudeSandbox } from "./claude-sandbox.js";
import { MARKER_VAR, newMarker, processesWithMarker, withGrowingTimeout } from "./process-tree-probe.js";

/**
 * A safety net, never expected to strike: a busy two-core machine can take many seconds just to
 * start the CLI. Tests that run it get more than vitest's default time for the same reason.
 */
const CLI_TIMEOUT_MS = 90_000;
const CLI_TEST_MS = 120_000;

const sandbox = useClaudeSandbox("claude-agent-");

describe("runClaudeAgent with the real CLI and a scripted model", () => {
  it(
    "makes the CLI write a file and reports cost, turns and summary",
    async () => {
      const prompts: string[] = [];
      const writeGreeting = fileWritingScript([
        {
          promptIncludes: "greeting",
          files: [{ path: "src/greeting.txt", content: "Hello from the scripted model.\n" }],
          summary: "Added the greeting.",
        },
      ]);
      const model = await sandbox.startModel((context) => {
        prompts.push(context.prompt);
        return writeGreeting(context);
      });
      const prompt = "Add a greeting file.\nUse 'single' and \"double\" quotes; $(this) is not a shell.";
      const logFile = join(sandbox.root, "logs", "agent.log");

      const startedAt = Date.now();
      const result = await runClaudeAgent({
        cwd: sandbox.cwd,
        prompt,
        claudePath,
        model: "claude-sonnet-4-5",
        maxTurns: 5,
        maxBudgetUsd: 5,
        env: offlineClaudeEnv({ url: model.url, home: sandbox.home }),
        logFile,
        timeoutMs: CLI_TIMEOUT_MS,
      });
      const elapsed = Date.now() - startedAt;

      expect(result.failure).toBeUndefined();
      expect(result).toMatchObject({ ok: true, exitCode: 0, turns: 2, summary: "Added the greeting." });
      expect(result.costUsd).toBeGreaterThan(0);
      expect(result.durationMs).toBeLessThanOrEqual(elapsed);
      expect(await readFile(join(sandbox.cwd, "src/greeting.txt"), "utf8")).toBe(
        "Hello from the scripted model.\n",
      );
      // The prompt arrived whole through stdin, on every turn.
      expect(prompts).toEqual([prompt, prompt]);
      const conversation = model.requests.filter((request) => request.kind === "conversation");
      expect(conversation).toHaveLength(2);
      expect(conversation[0]?.body).toMatchObject({ model: "claude-sonnet-4-5", stream: true });
      expect(model.requests.filter((request) => request.kind !== "conversation")).toEqual([]);
      const log = await readFile(logFile, "utf8");
      expect(log).toContain('"type":"result"');
      expect(log).toContain('"name":"Write"');
    },
    CLI_TEST_MS,
  );

  it(
    "stops at max turns with a plain-words agent_error",
    async () => {
      const model = await sandbox.startModel(
        fileWritingScript([{ promptIncludes: "", files: [{ path: "a.txt", content: "a" }] }]),
      );
      const result = await runClaudeAgent({
        cwd: sandbox.cwd,
        prompt: "write a",
        claudePath,
        maxTurns: 1,
        env: offlineClaudeEnv({ url: model.url, home: sandbox.home }),
        timeoutMs: CLI_TIMEOUT_MS,
      });

      expect(result.ok).toBe(false);
      expect(result.failure?.kind).toBe("agent_error");
      expect(result.failure?.message).toMatch(/maximum number of turns \(1\).*max_turns/);
      expect(result.costUsd).toBeGreaterThan(0);
    },
    CLI_TEST_MS,
  );

  it(
    "reports tools the permission mode refused",
    async () => {
      const model = await sandbox.startModel((context) =>
        context.turn === 0
          ? {
              toolUse: [
                { name: "Bash", input: { command: 'node -e "console.log(42)"', description: "run" } },
              ],
            }
          : { text: context.toolResults[0]?.isError === true ? "refused" : "ran" },
      );
      const result = await runClaudeAgent({
        cwd: sandbox.cwd,
        prompt: "run node",
        claudePath,
        env: offlineClaudeEnv({ url: model.url, home: sandbox.home }),
        timeoutMs: CLI_TIMEOUT_MS,
      });

      // Refused and nothing edited: the task needs input (claude-agent-attention.test.ts).
      expect(result).toMatchObject({
        ok: false,
        failure: { kind: "needs_input" },
        summary: "refused",
        deniedTools: ["Bash"],
      });
    },
    CLI_TEST_MS,
  );

  it(
    "lets allowedTools grant a command",
    async () => {
      const model = await sandbox.startModel((context) =>
        context.turn === 0
          ? {
              toolUse: [
                { name: "Bash", input: { command: 'node -e "console.log(6*7)"', description: "run" } },
              ],
            }
          : { text: context.toolResults[0]?.content ?? "no result" },
      );
      const result = await runClaudeAgent({
        cwd: sandbox.cwd,
        prompt: "run node",
        claudePath,
        allowedTools: ["Bash(node -e:*)", "Read"],
        env: offlineClaudeEnv({ url: model.url, home: sandbox.home }),
        timeoutMs: CLI_TIMEOUT_MS,
      });

      expect(result).toMatchObject({ ok: true, summary: "42" });
      expect(result.deniedTools).toBeUndefined();
    },
    CLI_TEST_MS,
  );

  it(
    "turns an API 400 into agent_error with the API's message",
    async () => {
      const model = await sandbox.startModel(() => ({
        error: { status: 400, message: "this scripted model rejects the request" },
      }));
      const result = await runClaudeAgent({
        cwd: sandbox.cwd,
        prompt: "anything",
        claudePath,
        env: offlineClaudeEnv({ url: model.url, home: sandbox.home }),
        timeoutMs: CLI_TIMEOUT_MS,
      });

      expect(result.ok).toBe(false);
      expect(result.failure?.kind).toBe("agent_error");
      expect(result.failure?.message).toContain("this scripted model rejects the request");
      expect(result.exitCode).toBe(1);
    },
    CLI_TEST_MS,
  );

  it(
    "without credentials reports not_logged_in with how to log in",
    async () => {
      const noCredentials = {
        HOME: sandbox.home,
        ANTHROPIC_API_KEY: undefined,
        ANTHROPIC_BASE_URL: undefined,
        ANTHROPIC_AUTH_TOKEN: undefined,
        CLAUDE_CODE_OAUTH_TOKEN: undefined,
        CLAUDE_CONFIG_DIR: undefined,
        // Nothing may leave the machine even if the CLI tried.
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        HTTPS_PROXY: "http://127.0.0.1:9",
        https_proxy: "http://127.0.0.1:9",
      };
      const result = await runClaudeAgent({
        cwd: sandbox.cwd,
        prompt: "anything",
        claudePath,
        env: noCredentials,
        timeoutMs: CLI_TIMEOUT_MS,
      });

      expect(result.ok).toBe(false);
      expect(result.failure?.kind).toBe("not_logged_in");
      expect(result.failure?.message).toContain("Not logged in");
      expect(result.failure?.message).toContain("ANTHROPIC_API_KEY");
      expect(result.failure?.message).toContain("claude auth login");
    },
    CLI_TEST_MS,
  );

  it(
    "on a model that never answers, times out and leaves no process behind",
    async () => {
      const model = await sandbox.startModel(() => ({ hang: true }));
      const marker = newMarker();
      const hanging = () =>
        model.requests.filter((request) => request.reply !== undefined && "hang" in request.reply).length;
      // The timeout must strike while the CLI waits on the model: a machine too busy to start the
      // CLI and send its request within the first window gets a longer one.
      let hangingBefore = 0;
      const result = await withGrowingTimeout(
        [2_500, 10_000, 40_000],
        (timeoutMs) => {
          hangingBefore = hanging();
          return runClaudeAgent({
            cwd: sandbox.cwd,
            prompt: "anything",
            claudePath,
            env: { ...offlineClaudeEnv({ url: model.url, home: sandbox.home }), [MARKER_VAR]: marker },
            timeoutMs,
            killGraceMs: 1_000,
          });
        },
        () => hanging() > hangingBefore,
      );

      expect(result.ok).toBe(false);
      expect(result.failure?.kind).toBe("timeout");
      expect(result.failure?.message).toContain("timeout_minutes");
      expect(hanging() - hangingBefore).toBe(1);
      expect(processesWithMarker(marker)).toEqual([]);
    },
    2 * CLI_TEST_MS,
  );

  it("reports a missing CLI as spawn_error with how to install it", async () => {
    const result = await runClaudeAgent({
      cwd: sandbox.cwd,
      prompt: "anything",
      claudePath: join(sandbox.root, "no-such-claude"),
    });

    expect(result).toMatchObject({ ok: false, exitCode: null });
    expect(result.failure?.kind).toBe("spawn_error");
    expect(result.failure?.message).toContain("npm install -g @anthropic-ai/claude-code");
    expect(existsSync(join(sandbox.cwd, "src"))).toBe(false);
  });

  // The CLI's own safety check, which only exists for root: documents why acceptEdits is the default.
  it.runIf(process.getuid?.() === 0)(
    "as root, bypassPermissions without IS_SANDBOX fails with the CLI's reason",
    async () => {
      const model = await sandbox.startModel(() => ({ text: "unused" }));
      const result = await runClaudeAgent({
        cwd: sandbox.cwd,
        prompt: "anything",
        claudePath,
        permissionMode: "bypassPermissions",
        env: { ...offlineClaudeEnv({ url: model.url, home: sandbox.home }), IS_SANDBOX: undefined },
        timeoutMs: CLI_TIMEOUT_MS,
      });

      expect(result.failure?.kind).toBe("exit_code");
      expect(result.failure?.message).toContain("root");
      expect(model.requests).toEqual([]);
    },
    CLI_TEST_MS,
  );
});

describe("claudeAgentArgs", () => {
  it("maps task options to the CLI's flags, prompt never in argv", () => {
    expect(
      claudeAgentArgs({
        model: "opus",
        maxTurns: 12,
        maxBudgetUsd: 2.5,
        allowedTools: ["Bash(npm test)", "Edit"],
        permissionMode: "plan",
      }),
    ).toEqual([
      "--print",
      "--output-format",
      "stream-json",
      "--verbose",
      "--permission-mode",
      "plan",
      "--model",
      "opus",
      "--max-turns",
      "12",
      "--max-budget-usd",
      "2.5",
      "--allowedTools",
      "Bash(npm test)",
      "Edit",
    ]);
    expect(claudeAgentArgs({ allowedTools: [] })).toEqual([
      "--print",
      "--output-format",
      "stream-json",
      "--verbose",
      "--permission-mode",
      "acceptEdits",
    ]);
  });
});

describe("ClaudeStreamReader", () => {
  const lines = [
    { type: "system", subtype: "init" },
    { type: "assistant", message: { content: [] } },
    { type: "user", message: { content: [] } },
    { type: "assistant", message: { content: [] } },
    {
      type: "result",
      subtype: "error_max_budget_usd",
      is_error: true,
      errors: ["Reached maximum budget ($0.5)"],
      total_cost_usd: 0.61,
      num_turns: 2,
      permission_denials: [{ tool_name: "Bash" }, { tool_name: "Bash" }, { tool_name: "WebFetch" }],
    },
  ]
    .map((line) => JSON.stringify(line))
    .join("\n");

  it("reads messages split anywhere across chunks, with or without a final newline", () => {
    const reader = new ClaudeStreamReader();
    for (let i = 0; i < lines.length; i += 7) reader.push(lines.slice(i, i + 7));
    expect(reader.result).toBeUndefined();
    reader.end();

    expect(reader.turnsSeen).toBe(2);
    expect(reader.result).toMatchObject({ is_error: true, total_cost_usd: 0.61, num_turns: 2 });
  });

  it("explains a budget stop and lists each refused tool once", () => {
    const reader = new ClaudeStreamReader();
    reader.push(`${lines}\n`);
    const result = reader.result;
    if (result === undefined) throw new Error("no result read");

    expect(claudeResultFields(result)).toEqual({
      ok: false,
      failure: {
        kind: "agent_error",
        message:
          "Claude stopped: Reached maximum budget ($0.5). Raise max_budget_usd for this task if it needs more.",
      },
      costUsd: 0.61,
      turns: 2,
      deniedTools: ["Bash", "WebFetch"],
    });
  });

  it("treats a rejected API key (401) as model_auth, naming the API", () => {
    const fields = claudeResultFields(
      {
        type: "result",
        is_error: true,
        result: "Failed to authenticate. API Error: 401 invalid x-api-key",
        api_error_status: 401,
      },
      { modelApi: "https://api.anthropic.com" },
    );

    expect(fields.failure?.kind).toBe("model_auth");
    expect(fields.failure?.message).toContain("The model API at https://api.anthropic.com refused");
    expect(fields.failure?.message).toContain("ANTHROPIC_API_KEY");
  });

  it("treats retries used up without an HTTP answer as model_unreachable", () => {
    // The result line the CLI prints after ten retries against a closed port (measured).
    const fields = claudeResultFields({
      type: "result",
      is_error: true,
      result: "API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)",
      terminal_reason: "api_error",
    });

    expect(fields.failure?.kind).toBe("model_unreachable");
    expect(fields.failure?.message).toContain("ECONNREFUSED");
  });
});
