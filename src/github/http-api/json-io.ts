import type { IncomingMessage, ServerResponse } from "node:http";
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
  const tooLarge = (): ApiError =>
    new ApiError(413, {
      code: "body_too_large",
      message: `the request body is larger than ${maxBytes} bytes`,
    });
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    // Say so at once rather than read megabytes we will throw away.
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
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
