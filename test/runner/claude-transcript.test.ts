import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { claudeTranscript, transcriptPathFor } from "../../src/runner/claude-transcript.js";

/**
 * A task log recorded from a real `orchestrator run` with the real CLI against the scripted model
 * (its temporary paths shortened). `.jsonl`, not `.log`: `*.log` files are ignored by git.
 */
const recorded = () => readFile(new URL("./fixtures/claude-stream-write.jsonl", import.meta.url), "utf8");

const line = (message: unknown) => JSON.stringify(message);
const assistant = (...content: unknown[]) => line({ type: "assistant", message: { content } });
const toolResult = (content: unknown, isError = false) =>
  line({
    type: "user",
    message: { content: [{ type: "tool_result", tool_use_id: "t", content, is_error: isError }] },
  });

describe("claudeTranscript", () => {
  it("turns a recorded stream into prompt, calls, results and the final result", async () => {
    const transcript = claudeTranscript(await recorded(), {
      prompt: "Add a greeting file.\nSecond line of the prompt.",
    });
    expect(transcript.split("\n")).toEqual([
      "# Claude Code transcript (readable copy of the .log beside it)",
      "Prompt: Add a greeting file.",
      "== task greeting, attempt 1: preparing branch orchestrator/greeting",
      "== branch orchestrator/greeting starts from main at a20bd942871da6055f0773d068c7a40f9827bd88",
      "== running the agent (Claude Code: node_modules/.bin/claude)",
      "Session started (model claude-opus-5-5)",
      "→ Write(src/greeting.txt)",
      "  ← File created successfully at: src/greeting.txt (file state is current in your context — no need to Read it back)",
      "Claude: Added the greeting.",
      "Result: success · $0.0120 · 2 turns · 0.3s · is_error false",
      "  Added the greeting.",
      "== committing the work on orchestrator/greeting",
      "== done: 1 commit(s), 1 file(s) changed, tip 503675ddcf66be826e6c907eda29b9c2fea176a1",
      "",
    ]);
  });

  it("shows a command's key argument and a long result's first line and size", () => {
    const output = "line one\nline two\nline three\n";
    const transcript = claudeTranscript(
      [
        assistant(
          { type: "thinking", thinking: "not shown" },
          { type: "tool_use", name: "Bash", input: { command: "npm test", description: "run tests" } },
        ),
        toolResult(output),
        assistant({ type: "tool_use", name: "Grep", input: { pattern: "TODO", path: "src" } }),
        toolResult([{ type: "text", text: "no matches" }]),
        assistant({ type: "tool_use", name: "Read", input: { file_path: "/missing" } }),
        toolResult("File does not exist.", true),
        line({
          type: "result",
          subtype: "error_max_turns",
          is_error: true,
          total_cost_usd: 0.5,
          num_turns: 3,
          duration_ms: 61_000,
          errors: ["Reached maximum number of turns (3)"],
        }),
      ].join("\n"),
    );
    expect(transcript).toContain("→ Bash(npm test)\n  ← line one … (29 bytes)\n");
    expect(transcript).toContain("→ Grep(TODO)\n  ← no matches\n");
    expect(transcript).toContain("→ Read(/missing)\n  ✗ error: File does not exist.\n");
    expect(transcript).toContain(
      "Result: error_max_turns · $0.5000 · 3 turns · 61.0s · is_error true\n  error: Reached maximum number of turns (3)\n",
    );
    expect(transcript).not.toContain("not shown");
    expect(transcript).not.toContain("Prompt:");
  });

  it("makes agent text inert: no escape sequences or control characters reach the terminal", () => {
    const hostile =
      "\x1b[31mred\x1b[0m \x1b]0;owned title\x07title \x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ " +
      "\x1b[2J\x1b[Hclear \x9b31mc1\x1b7 bell\x07 back\bspace\rreturn \u202eevil";
    const transcript = claudeTranscript(
      [
        assistant({ type: "text", text: `${hostile}\nsecond line` }),
        assistant({ type: "tool_use", name: "Bash\x1b[2J", input: { command: `echo ${hostile}` } }),
        toolResult(hostile),
        `stderr: ${hostile}`,
        line({ type: "result", subtype: "success", is_error: false, result: hostile }),
      ].join("\n"),
      { prompt: `${hostile}\nrest` },
    );
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(transcript).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(transcript).toContain(
      "Claude: red title link clear c1 bell backspace\n  return evil\n  second line\n",
    );
    expect(transcript).toContain("→ Bash(echo red title link clear c1 bell backspace return evil)\n");
    expect(transcript).toContain("Prompt: red title link clear c1 bell backspace return evil\n");
    expect(transcript).not.toContain("owned title");
    expect(transcript).not.toContain("evil.example");
  });

  it("keeps lines it cannot read (stderr, a cut-off last line) as inert text", () => {
    const transcript = claudeTranscript(
      'Error: spawn failed\n{"type":"assistant","message":{"content":[{"ty',
    );
    expect(transcript).toContain("\nError: spawn failed\n");
    expect(transcript).toContain('\n{"type":"assistant","message":{"content":[{"ty\n');
  });

  it("lives beside the log", () => {
    expect(transcriptPathFor("/repo/.orchestrator/logs/a.b.log")).toBe("/repo/.orchestrator/logs/a.b.txt");
    expect(transcriptPathFor("/tmp/agent-output")).toBe("/tmp/agent-output.txt");
  });
});
