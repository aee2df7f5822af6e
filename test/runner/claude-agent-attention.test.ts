import { describe, expect, it } from "vitest";
import { offlineClaudeEnv, type ModelScript } from "../../src/demo/scripted-model-server.js";
import { runClaudeAgent } from "../../src/runner/claude-agent.js";
import { claudePath, useClaudeSandbox } from "./claude-sandbox.js";

/**
 * "Needs input" and "limited" read from the real Claude Code CLI (the pinned 2.1.x) talking to
 * the scripted model: a tool the CLI refuses, a final question, a 429 with and without a reset.
 */

const TEST_TIMEOUT_MS = 120_000;
const sandbox = useClaudeSandbox("claude-attention-");

async function runWith(script: ModelScript, env: NodeJS.ProcessEnv = {}) {
  const model = await sandbox.startModel(script);
  const result = await runClaudeAgent({
    cwd: sandbox.cwd,
    prompt: "Tidy up the project.",
    claudePath,
    env: { ...offlineClaudeEnv({ url: model.url, home: sandbox.home }), ...env },
    timeoutMs: 90_000,
    killGraceMs: 1_000,
  });
  return { result, model };
}

/** A command acceptEdits refuses: it reaches outside the working directory. */
const REFUSED_BASH = {
  name: "Bash",
  input: { command: "rm -rf /tmp/orchestrator-never-there", description: "clean" },
};

describe("runClaudeAgent: needs input", () => {
  it(
    "a refused tool and no edit is needs_input, naming the tool",
    async () => {
      const { result } = await runWith((context) =>
        context.turn === 0 ? { toolUse: [REFUSED_BASH] } : { text: "I could not run the clean-up command." },
      );
      expect(result.ok).toBe(false);
      expect(result.failure?.kind).toBe("needs_input");
      expect(result.failure?.message).toBe("Claude needs input (refused: Bash) and changed nothing.");
      expect(result.deniedTools).toEqual(["Bash"]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a final question and no edit is needs_input, with the question",
    async () => {
      const { result } = await runWith(() => ({
        text: "I looked at the code.\n\nShould the clean-up also delete the **build** folder?",
      }));
      expect(result.ok).toBe(false);
      expect(result.failure?.kind).toBe("needs_input");
      expect(result.failure?.message).toBe(
        "Claude needs input (asked a question) and changed nothing: Should the clean-up also delete the **build** folder?",
      );
      expect(result.summary).toContain("Should the clean-up");
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a refusal after which the agent still edited files is a success (the refusal is still listed)",
    async () => {
      const { result } = await runWith((context) => {
        if (context.turn === 0) return { toolUse: [REFUSED_BASH] };
        if (context.turn === 1)
          return { toolUse: [{ name: "Write", input: { file_path: "notes.md", content: "x\n" } }] };
        return { text: "Wrote notes.md. Anything else?" };
      });
      expect(result.ok).toBe(true);
      expect(result.failure).toBeUndefined();
      expect(result.deniedTools).toEqual(["Bash"]);
    },
    TEST_TIMEOUT_MS,
  );
});

describe("runClaudeAgent: limited", () => {
  it(
    "a subscription's usage limit (429 with a unified reset) is limited, with the reset time",
    async () => {
      const resetSeconds = Math.floor(Date.now() / 1000) + 3 * 3600;
      const { result, model } = await runWith(
        () => ({
          error: {
            status: 429,
            message: "You've hit your limit",
            headers: {
              "anthropic-ratelimit-unified-status": "rejected",
              "anthropic-ratelimit-unified-reset": String(resetSeconds),
              "anthropic-ratelimit-unified-representative-claim": "five_hour",
            },
          },
        }),
        // A subscription's token (not checked by the scripted server) instead of an API key.
        { ANTHROPIC_API_KEY: undefined, CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-scripted-model" },
      );
      expect(result.ok).toBe(false);
      expect(result.failure?.kind).toBe("limited");
      expect(result.failure?.message).toContain("usage limit");
      expect(result.limitResetsAt).toBe(resetSeconds * 1000);
      // The CLI does not retry a usage limit.
      expect(model.requests.filter((request) => request.kind === "conversation")).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "an API key's 429 rate_limit_error (not to be retried) is limited, with no reset time",
    async () => {
      const { result } = await runWith(() => ({
        error: {
          status: 429,
          message: "rate limited",
          headers: { "retry-after": "30", "x-should-retry": "false" },
        },
      }));
      expect(result.ok).toBe(false);
      expect(result.failure?.kind).toBe("limited");
      expect(result.failure?.message).toContain("a rate limit");
      expect(result.limitResetsAt).toBeUndefined();
    },
    TEST_TIMEOUT_MS,
  );
});
