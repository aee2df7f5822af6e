import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiErrorBody } from "./http-api/api-error.js";
import { sendError } from "./http-api/json-io.js";
import type { WarningLog } from "./sessions/warnings.js";

/** Long enough to recognise a route, short enough that a 16 KiB junk URL is not a 16 KiB log line. */
const MAX_LOGGED_PATH = 200;

/**
 * Answers a request the server will not serve (too large, forged, malformed) and logs one line:
 * method, path, status and the sizes seen. Never the body, the query or any header: a refused
 * request is an attacker's text, and its headers may carry a signature or a token.
 * The connection is closed after the answer, so an unread body is never drained.
 */
export function refuseRequest(args: {
  req: IncomingMessage;
  res: ServerResponse;
  log: WarningLog;
  status: number;
  error: ApiErrorBody;
  /** The path as the router saw it (undefined: the URL could not be parsed). */
  path: string | undefined;
  readBytes?: number | undefined;
  declaredBytes?: number | undefined;
}): void {
  const { req, res, status, error } = args;
  const method = (req.method ?? "?").slice(0, 16);
  const path = args.path === undefined ? "(unparsable URL)" : args.path.slice(0, MAX_LOGGED_PATH);
  args.log.warn(
    {
      method,
      path,
      status,
      ...(args.readBytes === undefined ? {} : { readBytes: args.readBytes }),
      ...(args.declaredBytes === undefined ? {} : { declaredBytes: args.declaredBytes }),
    },
    `refused ${method} ${path}: ${status} ${error.code}`,
  );
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendError(res, status, error, { connection: "close" });
}
