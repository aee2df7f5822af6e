/**
 * A client that streams a large body the way an attacker (or a slow phone) would: chunk by chunk,
 * each written only once the socket took the last, and stops when the server answers or hangs
 * up. `written` is what the connection accepted: far below the total means the server cut the
 * upload off instead of reading it.
 */
import { request } from "node:http";

export interface UploadResult {
  status: number | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  written: number;
  /** The socket error, if the connection ended with one (EPIPE, ECONNRESET). */
  error: string | undefined;
}

export function streamUpload(args: {
  url: string;
  path: string;
  headers: Record<string, string>;
  totalBytes: number;
  /** Sent first (e.g. the start of a JSON document with a marker in it). */
  prefix?: string;
  /** Declare Content-Length up front (default: chunked, nothing declared). */
  declareLength?: boolean;
  /** Go on writing after the answer, as an attacker would (default: stop at the answer). */
  ignoreAnswer?: boolean;
}): Promise<UploadResult> {
  const chunk = Buffer.alloc(64 * 1024, "a");
  return new Promise((resolve) => {
    const req = request(new URL(args.path, args.url), {
      method: "POST",
      agent: false,
      headers: {
        // Keep-alive, as browsers and fetch ask: a server then drains an unread body to reuse the socket.
        connection: "keep-alive",
        ...args.headers,
        ...(args.declareLength ? { "content-length": String(args.totalBytes) } : {}),
      },
    });
    const result: UploadResult = { status: undefined, headers: {}, body: "", written: 0, error: undefined };
    let stopped = false;
    req.on("response", (res) => {
      if (!args.ignoreAnswer) stopped = true;
      result.status = res.statusCode;
      result.headers = res.headers;
      res.setEncoding("utf8");
      res.on("data", (text: string) => (result.body += text));
      res.on("end", () => {
        if (!args.ignoreAnswer || result.written >= args.totalBytes) req.destroy();
      });
      res.on("error", () => req.destroy());
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      stopped = true;
      result.error ??= error.code ?? error.message;
    });
    req.on("close", () => resolve(result));
    const pump = (): void => {
      while (!stopped && result.written < args.totalBytes) {
        const piece =
          result.written === 0 && args.prefix !== undefined
            ? Buffer.from(args.prefix)
            : chunk.subarray(0, Math.min(chunk.length, args.totalBytes - result.written));
        result.written += piece.length;
        if (!req.write(piece)) {
          req.once("drain", pump);
          return;
        }
      }
      if (stopped) return;
      req.end();
      // Everything was written and nobody hung up: done once the answer has been read.
      if (result.status !== undefined) req.destroy();
    };
    pump();
  });
}
