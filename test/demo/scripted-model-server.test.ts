import { afterEach, describe, expect, it } from "vitest";
import {
  fileWritingScript,
  startScriptedModelServer,
  type ScriptContext,
  type ScriptedModelServer,
} from "../../src/demo/scripted-model-server.js";

/**
 * The server against plain HTTP requests shaped like Claude Code's (the real CLI runs against it
 * in test/runner/claude-agent.test.ts). Request bodies copy the CLI's structure: a
 * <system-reminder> block before the prompt, a `system`-role message, tools offered.
 */

let server: ScriptedModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const TOOLS = [{ name: "Write", description: "Writes a file", input_schema: { type: "object" } }];
const FIRST_USER = {
  role: "user",
  content: [
    { type: "text", text: "<system-reminder>\nAttribution rules...\n</system-reminder>\n" },
    { type: "text", text: "Add the docs page\n" },
  ],
};
const ENVIRONMENT = {
  role: "system",
  content: [{ type: "text", text: "# Environment\n - Primary working directory: /w" }],
};
const TOOL_CALL = {
  role: "assistant",
  content: [
    { type: "tool_use", id: "toolu_1", name: "Write", input: { file_path: "docs.md", content: "# Docs" } },
  ],
};
const toolResult = (isError: boolean) => ({
  role: "user",
  content: [
    {
      type: "tool_result",
      tool_use_id: "toolu_1",
      content: isError ? "permission denied" : "File created",
      is_error: isError,
    },
  ],
});

const DOCS_SCRIPT = fileWritingScript([
  { promptIncludes: "docs page", files: [{ path: "docs.md", content: "# Docs\n" }], summary: "Docs added." },
]);

async function post(path: string, body: unknown): Promise<Response> {
  if (server === undefined) throw new Error("start the server first");
  return fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": "sk-test" },
    body: JSON.stringify(body),
  });
}

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((chunk) => chunk.trim() !== "")
    .map((chunk) => {
      const event = /^event: (.+)$/m.exec(chunk)?.[1] ?? "";
      const data = JSON.parse(/^data: (.+)$/m.exec(chunk)?.[1] ?? "{}") as Record<string, unknown>;
      return { event, data };
    });
}

describe("startScriptedModelServer", () => {
  it("streams a scripted tool call as Messages API server-sent events", async () => {
    server = await startScriptedModelServer({ script: DOCS_SCRIPT });
    const response = await post("/v1/messages?beta=true", {
      model: "claude-test",
      stream: true,
      tools: TOOLS,
      messages: [FIRST_USER, ENVIRONMENT],
    });

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const events = parseSse(await response.text());
    expect(events.map((event) => event.event)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    for (const event of events) expect(event.data.type).toBe(event.event);
    expect(events[0]?.data.message).toMatchObject({ role: "assistant", model: "claude-test", content: [] });
    expect(events[1]?.data.content_block).toMatchObject({ type: "tool_use", name: "Write", input: {} });
    const delta = events[2]?.data.delta as { type: string; partial_json: string };
    expect(delta.type).toBe("input_json_delta");
    expect(JSON.parse(delta.partial_json)).toEqual({ file_path: "docs.md", content: "# Docs\n" });
    expect(events[4]?.data).toMatchObject({
      delta: { stop_reason: "tool_use" },
      usage: { output_tokens: 100 },
    });
  });

  it("answers with a JSON message when the request does not stream, ending the turn after tool results", async () => {
    server = await startScriptedModelServer({ script: DOCS_SCRIPT });
    const response = await post("/v1/messages", {
      model: "claude-test",
      tools: TOOLS,
      messages: [FIRST_USER, ENVIRONMENT, TOOL_CALL, toolResult(false)],
    });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      type: "message",
      role: "assistant",
      content: [{ type: "text", text: "Docs added." }],
      stop_reason: "end_turn",
      usage: { input_tokens: 1000, output_tokens: 100 },
    });
  });

  it("gives the script the prompt without system reminders, the turn and the tool results", async () => {
    const seen: ScriptContext[] = [];
    server = await startScriptedModelServer({
      script: (context) => {
        seen.push(context);
        return { text: "ok" };
      },
    });
    await post("/v1/messages", {
      model: "m",
      system: [{ type: "text", text: "You are Claude Code." }],
      tools: TOOLS,
      messages: [FIRST_USER, ENVIRONMENT],
    });
    await post("/v1/messages", {
      model: "m",
      tools: TOOLS,
      messages: [FIRST_USER, ENVIRONMENT, TOOL_CALL, toolResult(true)],
    });

    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({
      prompt: "Add the docs page",
      system: "You are Claude Code.",
      turn: 0,
      hasToolResult: false,
      toolResults: [],
    });
    expect(seen[1]).toMatchObject({
      prompt: "Add the docs page",
      turn: 1,
      hasToolResult: true,
      toolResults: [{ toolUseId: "toolu_1", content: "permission denied", isError: true }],
    });
  });

  it("reports failed writes in fileWritingScript's final text", async () => {
    server = await startScriptedModelServer({ script: DOCS_SCRIPT });
    const response = await post("/v1/messages", {
      model: "m",
      tools: TOOLS,
      messages: [FIRST_USER, TOOL_CALL, toolResult(true)],
    });

    expect(await response.json()).toMatchObject({
      content: [{ text: "Could not write the files: permission denied" }],
    });
  });

  it("answers side requests (no tools offered) itself, without calling the script", async () => {
    let calls = 0;
    server = await startScriptedModelServer({
      script: () => {
        calls++;
        return { text: "scripted" };
      },
    });
    const response = await post("/v1/messages", {
      model: "claude-haiku",
      messages: [FIRST_USER],
      max_tokens: 50,
    });

    expect(await response.json()).toMatchObject({
      content: [{ type: "text", text: "OK." }],
      stop_reason: "end_turn",
    });
    expect(calls).toBe(0);
    expect(server.requests.map((request) => request.kind)).toEqual(["side"]);
  });

  it("answers count_tokens and refuses other endpoints in the API's error shape", async () => {
    server = await startScriptedModelServer({ script: DOCS_SCRIPT });
    const counted = await post("/v1/messages/count_tokens", { model: "m", messages: [FIRST_USER] });
    const models = await fetch(`${server.url}/v1/models`);

    expect(((await counted.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    expect(models.status).toBe(404);
    expect(await models.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    expect(server.requests.map((request) => [request.kind, request.method, request.path])).toEqual([
      ["count_tokens", "POST", "/v1/messages/count_tokens"],
      ["other", "GET", "/v1/models"],
    ]);
  });

  it("returns scripted API errors with their status", async () => {
    server = await startScriptedModelServer({ script: () => ({ error: { status: 529, message: "busy" } }) });
    const response = await post("/v1/messages", {
      model: "m",
      stream: true,
      tools: TOOLS,
      messages: [FIRST_USER],
    });

    expect(response.status).toBe(529);
    expect(await response.json()).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: "busy" },
    });
  });

  it("turns a throwing script into a 400 that names the problem", async () => {
    server = await startScriptedModelServer({
      script: () => {
        throw new Error("no rule for turn 7");
      },
    });
    const response = await post("/v1/messages", { model: "m", tools: TOOLS, messages: [FIRST_USER] });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { message: "The model script failed: no rule for turn 7" },
    });
  });

  it("leaves a hanging request open until the server closes", async () => {
    server = await startScriptedModelServer({ script: () => ({ hang: true }) });
    const pending = post("/v1/messages", { model: "m", stream: true, tools: TOOLS, messages: [FIRST_USER] });
    const settled = pending.then(
      () => "answered",
      () => "failed",
    );
    // Wait for the request to arrive (however long a loaded machine takes), not for a fixed time.
    const open = server;
    for (let polls = 0; open.requests.length === 0; polls++) {
      if (polls > 3_000) throw new Error("the request never reached the server");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    expect(server.requests).toHaveLength(1);
    expect(await Promise.race([settled, Promise.resolve("still open")])).toBe("still open");
    await server.close();
    server = undefined;
    expect(await settled).toBe("failed");
  });
});
