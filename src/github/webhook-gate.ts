import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiErrorBody } from "./http-api/api-error.js";
import { sendError } from "./http-api/json-io.js";
import { refuseRequest } from "./refuse-request.js";
import { BodyAbortedError, BodyTooLargeError, declaredLength, readBodyWithin } from "./request-body.js";
import type { WarningLog } from "./sessions/warnings.js";

/** What GitHub sends: `sha256=` and 64 hex digits. */
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;
const JSON_TYPE = /^\s*application\/json\s*(;|$)/i;

/**
 * The door in front of Probot's webhook middleware. Left alone, @octokit/webhooks reads the whole
 * body into memory before checking anything, and on a bad signature logs the error with the
 * event — the whole payload — attached. Here the body is read with a bound while its HMAC is
 * computed, and only a body signed with the secret goes on to Probot (as `req.body`, a string,
 * which @octokit/webhooks takes instead of reading the stream; it verifies the signature again).
 * Everything refused is answered here with one log line and no payload.
 */
export function createWebhookGate(args: {
  secret: string;
  maxBytes: number;
  log: WarningLog;
  /** Probot's middleware (createNodeMiddleware): true when it answered. */
  probot: (req: IncomingMessage, res: ServerResponse) => unknown;
}): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void> {
  return async (req, res, path) => {
    const refuse = (status: number, error: ApiErrorBody, readBytes?: number): void =>
      refuseRequest({
        req,
        res,
        log: args.log,
        status,
        error,
        path,
        readBytes,
        declaredBytes: declaredLength(req),
      });

    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      refuse(405, { code: "method_not_allowed", message: "GitHub posts webhooks: use POST" });
      return;
    }
    if (!JSON_TYPE.test(req.headers["content-type"] ?? "")) {
      refuse(415, {
        code: "unsupported_media_type",
        message: 'webhooks are JSON: set the App\'s webhook content type to "application/json"',
      });
      return;
    }
    const header = req.headers["x-hub-signature-256"];
    const claimed = typeof header === "string" ? SIGNATURE.exec(header.trim())?.[1] : undefined;
    if (claimed === undefined) {
      refuse(400, {
        code: "missing_signature",
        message:
          "the X-Hub-Signature-256 header is missing or not sha256=<hex>; set a webhook secret in the App's settings",
      });
      return;
    }

    const hmac = createHmac("sha256", args.secret);
    let body: Buffer;
    try {
      body = await readBodyWithin(req, args.maxBytes, (chunk) => hmac.update(chunk));
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        refuse(
          413,
          { code: "body_too_large", message: `webhook bodies are limited to ${error.limit} bytes` },
          error.readBytes,
        );
        return;
      }
      if (error instanceof BodyAbortedError) {
        // Nobody is left to answer; the socket is gone or going.
        refuse(408, { code: "body_aborted", message: error.message }, error.readBytes);
        return;
      }
      throw error;
    }
    if (!timingSafeEqual(hmac.digest(), Buffer.from(claimed, "hex"))) {
      refuse(
        400,
        {
          code: "bad_signature",
          message: "the signature does not match the body and the webhook secret",
        },
        body.length,
      );
      return;
    }
    (req as IncomingMessage & { body?: string }).body = body.toString("utf8");
    const answered = await args.probot(req, res);
    if (answered === false && !res.headersSent) {
      sendError(res, 404, { code: "not_found", message: `no such endpoint: ${path}` });
    }
  };
}
