import type { IncomingMessage, ServerResponse } from "node:http";
import { BodyAbortedError, BodyTooLargeError, readBodyWithin } from "../request-body.js";
import { ApiError, type ApiErrorBody } from "./api-error.js";

/** Reads a JSON request body of at most `maxBytes`; rejects other content types and bad JSON. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError(415, {
      code: "unsupported_media_type",
      message: 'send the body as JSON with "Content-Type: application/json"',
    });
  }
  let body: Buffer;
  try {
    body = await readBodyWithin(req, maxBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      // The rest is left unread; `Connection: close` ends the socket after the answer instead of
      // draining megabytes that would be thrown away.
      throw new ApiError(
        413,
        { code: "body_too_large", message: `the request body is larger than ${maxBytes} bytes` },
        { connection: "close" },
      );
    }
    if (error instanceof BodyAbortedError) {
      throw new ApiError(408, { code: "body_aborted", message: error.message }, { connection: "close" });
    }
    throw error;
  }
  const text = body.toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ApiError(400, { code: "invalid_json", message: `the body is not valid JSON: ${detail}` });
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  status: number,
  error: ApiErrorBody,
  headers: Readonly<Record<string, string>> = {},
): void {
  sendJson(res, status, { error }, headers);
}
