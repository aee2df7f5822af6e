import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  answerEventStream,
  answerMessage,
  errorBody,
  estimateTokens,
  isAgentConversation,
  parseMessagesRequest,
  scriptContext,
  type MessagesRequest,
  type ModelAnswer,
  type ReplyIds,
} from "./scripted-model-protocol.js";
import type { ModelScript, ScriptedReply } from "./scripted-model-script.js";

export {
  fileWritingScript,
  type FileWritingRule,
  type ModelScript,
  type ScriptContext,
  type ScriptedReply,
  type ScriptedToolUse,
  type ScriptedUsage,
  type ToolResult,
} from "./scripted-model-script.js";

/**
 * A stand-in for the Anthropic API that lets the real Claude Code CLI run offline: point
 * `ANTHROPIC_BASE_URL` at `url`, give any `ANTHROPIC_API_KEY`, and the script decides every
 * answer. Used by the runner tests, the action and local-executor tests, and the demo.
 *
 * Measured with Claude Code 2.1.330 in print mode: a one-Write task makes exactly two requests,
 * both `POST /v1/messages?beta=true` with `stream: true` and the full tool list (the first
 * asks, the second carries the tool result). No side requests were seen, with or without
 * `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`; side requests that other versions or modes make
 * (no tools offered) still get a short answer that does not reach the script. Other endpoints:
 * count_tokens is answered with an estimate, anything else with a 404 in the API's error shape.
 */

export interface RecordedRequest {
  method: string;
  /** Path with query, e.g. `/v1/messages?beta=true`. */
  path: string;
  kind: "conversation" | "side" | "count_tokens" | "other";
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  body: unknown;
  /** What the script answered, for conversation requests. */
  reply?: ScriptedReply;
}

export interface ScriptedModelServer {
  /** Base URL for ANTHROPIC_BASE_URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const SIDE_ANSWER = "OK.";

/**
 * The environment that runs the real Claude Code CLI against a scripted server with nothing
 * leaving the machine (checked with Claude Code 2.1.330, as root too):
 * - a throw-away HOME, so ~/.claude and ~/.claude.json of the user are never read or written;
 * - any API key (the server does not check it) and the server's URL;
 * - CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1: no telemetry, error reporting or update checks;
 * - a proxy on a closed local port for everything but loopback, so anything that would still
 *   try the internet fails at once instead of reaching it.
 * Entries set to undefined remove credentials the developer's own shell may carry.
 */
export function offlineClaudeEnv(options: { url: string; home: string }): NodeJS.ProcessEnv {
  return {
    HOME: options.home,
    ANTHROPIC_BASE_URL: options.url,
    ANTHROPIC_API_KEY: "sk-ant-scripted-model",
    ANTHROPIC_AUTH_TOKEN: undefined,
    CLAUDE_CODE_OAUTH_TOKEN: undefined,
    CLAUDE_CONFIG_DIR: undefined,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    HTTPS_PROXY: "http://127.0.0.1:9",
    HTTP_PROXY: "http://127.0.0.1:9",
    NO_PROXY: "127.0.0.1,localhost",
    https_proxy: "http://127.0.0.1:9",
    http_proxy: "http://127.0.0.1:9",
    no_proxy: "127.0.0.1,localhost",
  };
}

export async function startScriptedModelServer(options: {
  script: ModelScript;
}): Promise<ScriptedModelServer> {
  const requests: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let replies = 0;
  const nextIds = (): ReplyIds => {
    replies++;
    const messageId = `msg_scripted_${replies}`;
    return { messageId, toolUseId: (index: number) => `toolu_scripted_${replies}_${index}` };
  };

  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const body = parseJson(raw);
      const path = req.url ?? "/";
      const record = (kind: RecordedRequest["kind"], reply?: ScriptedReply) =>
        requests.push({
          method: req.method ?? "GET",
          path,
          kind,
          headers: req.headers,
          body,
          ...(reply === undefined ? {} : { reply }),
        });
      const pathname = path.split("?")[0] ?? "";

      if (req.method === "POST" && pathname === "/v1/messages/count_tokens") {
        record("count_tokens");
        return sendJson(res, 200, { input_tokens: estimateTokens(body) });
      }
      if (req.method !== "POST" || pathname !== "/v1/messages") {
        record("other");
        return sendJson(res, 404, errorBody(404, `The scripted model server does not serve ${pathname}.`));
      }
      const request = parseMessagesRequest(body);
      if (request === undefined) {
        record("other");
        return sendJson(res, 400, errorBody(400, "Expected a Messages API request body."));
      }
      if (!isAgentConversation(request)) {
        record("side");
        return sendAnswer(
          res,
          request,
          { text: SIDE_ANSWER, usage: { inputTokens: 10, outputTokens: 2 } },
          nextIds(),
        );
      }

      const reply = runScript(options.script, request);
      record("conversation", reply);
      if ("hang" in reply) {
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      }
      if ("drop" in reply) {
        res.socket?.destroy();
        return;
      }
      if ("error" in reply)
        return sendJson(
          res,
          reply.error.status,
          errorBody(reply.error.status, reply.error.message),
          reply.error.headers,
        );
      return sendAnswer(res, request, reply, nextIds());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const res of hanging) res.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets from the CLI would otherwise hold close() open.
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * A script that throws answers 400 with its message: the CLI gives up at once on a 400 (it
 * retries 5xx for minutes), so a broken script fails a test quickly and says why.
 */
function runScript(script: ModelScript, request: MessagesRequest): ScriptedReply {
  try {
    return script(scriptContext(request));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { error: { status: 400, message: `The model script failed: ${message}` } };
  }
}

function sendAnswer(res: ServerResponse, request: MessagesRequest, answer: ModelAnswer, ids: ReplyIds): void {
  if (request.stream === true) {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.end(answerEventStream(answer, request.model, ids));
    return;
  }
  sendJson(res, 200, answerMessage(answer, request.model, ids));
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, { ...headers, "content-type": "application/json", "request-id": "req_scripted" });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(""));
  });
}

function parseJson(raw: string): unknown {
  if (raw === "") return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}
