import type { IncomingMessage } from "node:http";

/**
 * Reading a request body with a bound. Everything the server reads goes through here, so no
 * route (and no library behind one) ever holds more than its limit of one request in memory.
 */
export class BodyTooLargeError extends Error {
  constructor(
    readonly limit: number,
    /** Bytes read before stopping (0 when the declared Content-Length alone was too large). */
    readonly readBytes: number,
    readonly declaredBytes: number | undefined,
  ) {
    super(`the request body is larger than ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/** The client went away (or the request timed out) before the body ended. */
export class BodyAbortedError extends Error {
  constructor(readonly readBytes: number) {
    super("the request ended before its body did");
    this.name = "BodyAbortedError";
  }
}

/** The Content-Length header as a number, or undefined when absent or not a plain number. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers["content-length"];
  if (typeof header !== "string" || !/^[0-9]+$/.test(header.trim())) return undefined;
  return Number(header);
}

/**
 * Reads the body, at most `maxBytes`. Past the limit it stops at once and leaves the rest unread
 * (paused, never drained): the caller answers 413 with `Connection: close`, and the socket is
 * closed after the answer. `onChunk` sees every chunk as it arrives (e.g. to feed an HMAC).
 */
export function readBodyWithin(
  req: IncomingMessage,
  maxBytes: number,
  onChunk?: (chunk: Buffer) => void,
): Promise<Buffer> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > maxBytes) {
    return Promise.reject(new BodyTooLargeError(maxBytes, 0, declared));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("close", onAbort);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        stop();
        req.pause();
        chunks.length = 0;
        reject(new BodyTooLargeError(maxBytes, size, declared));
        return;
      }
      onChunk?.(chunk);
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onAbort = (): void => {
      stop();
      chunks.length = 0;
      reject(new BodyAbortedError(size));
    };
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onAbort);
    req.once("close", onAbort);
  });
}
