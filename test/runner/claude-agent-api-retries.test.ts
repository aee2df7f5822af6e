import { describe, expect, it } from "vitest";
import { modelApiOf } from "../../src/runner/claude-agent-model-api.js";
import { ClaudeStreamReader } from "../../src/runner/claude-agent-output.js";

/** An `api_retry` line as the pinned CLI prints it (measured; see claude-agent-api-retries.ts). */
function retryLine(attempt: number, status: number | null, error: string): string {
  return JSON.stringify({
    type: "system",
    subtype: "api_retry",
    attempt,
    max_retries: 10,
    retry_delay_ms: 500,
    error_status: status,
    error,
    session_id: "s",
  });
}

function read(lines: string[]): ClaudeStreamReader {
  const reader = new ClaudeStreamReader();
  reader.push(`${lines.join("\n")}\n`);
  return reader;
}

describe("the model fault rule", () => {
  it("stops on the first 401 or 403", () => {
    expect(read([retryLine(1, 401, "authentication_failed")]).modelFault).toEqual({
      kind: "model_auth",
      status: 401,
    });
    expect(read([retryLine(1, 403, "authentication_failed")]).modelFault?.kind).toBe("model_auth");
  });

  it("stops after five tries in a row without an HTTP answer, not four", () => {
    const lines = [1, 2, 3, 4, 5].map((attempt) => retryLine(attempt, null, "unknown"));
    expect(read(lines.slice(0, 4)).modelFault).toBeUndefined();
    expect(read(lines).modelFault).toEqual({ kind: "model_unreachable", tries: 5 });
  });

  it("starts counting again after an answer, and after an HTTP status", () => {
    const noAnswer = (attempt: number) => retryLine(attempt, null, "unknown");
    const answer = JSON.stringify({ type: "assistant", message: { content: [] } });
    expect(read([noAnswer(1), noAnswer(2), noAnswer(3), answer, noAnswer(1), noAnswer(2)]).modelFault).toBe(
      undefined,
    );
    const overloaded = retryLine(3, 529, "overloaded");
    expect(read([noAnswer(1), noAnswer(2), overloaded, noAnswer(4), noAnswer(5)]).modelFault).toBe(undefined);
  });

  it("leaves overloaded, rate-limited and 5xx answers to the CLI's retries", () => {
    const lines = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) =>
      retryLine(attempt, attempt % 2 === 0 ? 529 : 500, attempt % 2 === 0 ? "overloaded" : "server_error"),
    );
    const reader = read([...lines, retryLine(9, 429, "rate_limit")]);
    expect(reader.modelFault).toBeUndefined();
    expect(reader.retriesInARow).toHaveLength(9);
  });
});

describe("modelApiOf", () => {
  it("defaults to Anthropic's API and connects to it directly", () => {
    expect(modelApiOf({})).toEqual({
      baseUrl: "https://api.anthropic.com",
      connectTo: { host: "api.anthropic.com", port: 443 },
    });
  });

  it("names ANTHROPIC_BASE_URL without its credentials or query", () => {
    expect(
      modelApiOf({ ANTHROPIC_BASE_URL: "https://user:s3cret@gateway.corp:8443/anthropic?key=abc" }),
    ).toEqual({
      baseUrl: "https://gateway.corp:8443/anthropic",
      connectTo: { host: "gateway.corp", port: 8443 },
    });
  });

  it("connects through the proxy unless NO_PROXY lists the host", () => {
    const env = { ANTHROPIC_BASE_URL: "https://gateway.corp", HTTPS_PROXY: "http://u:p@proxy.corp:3128" };
    expect(modelApiOf(env)).toEqual({
      baseUrl: "https://gateway.corp",
      connectTo: { host: "proxy.corp", port: 3128 },
      proxy: "proxy.corp:3128",
    });
    expect(modelApiOf({ ...env, NO_PROXY: "localhost,.corp" }).proxy).toBeUndefined();
    expect(modelApiOf({ ...env, no_proxy: "*" }).proxy).toBeUndefined();
    // A plain-http base URL uses HTTP_PROXY, not HTTPS_PROXY.
    expect(modelApiOf({ ...env, ANTHROPIC_BASE_URL: "http://127.0.0.1:8080" }).proxy).toBeUndefined();
  });

  it("names Bedrock and Vertex without probing a host", () => {
    expect(modelApiOf({ CLAUDE_CODE_USE_BEDROCK: "1" })).toEqual({ baseUrl: "Amazon Bedrock" });
    expect(modelApiOf({ CLAUDE_CODE_USE_VERTEX: "true" })).toEqual({ baseUrl: "Google Vertex AI" });
  });
});
