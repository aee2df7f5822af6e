import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, dirname } from "node:path";

/**
 * A git server over http for one bare repository, as GitHub's is for the Action: real
 * `git http-backend` (smart http, fetch and push, the repository's hooks run), behind a check of
 * the `Authorization` header, so a git command without the token is refused with 401.
 */
export interface GitHttpServer {
  /** The repository's URL, e.g. `http://127.0.0.1:4321/origin.git`. */
  url: string;
  /** `Authorization` headers of the requests that carried one; for tests of who sent what. */
  authorizations: string[];
  /** Requests refused for a missing or wrong token. */
  refused: number;
  /** Bytes of response bodies sent so far (packs, ref advertisements): what clients downloaded. */
  bytesSent: number;
  close(): Promise<void>;
}

export async function startGitHttpServer(args: { bareRepo: string; token: string }): Promise<GitHttpServer> {
  const expected = `basic ${Buffer.from(`x-access-token:${args.token}`).toString("base64")}`;
  const root = dirname(args.bareRepo);
  const name = basename(args.bareRepo);
  const state = { authorizations: [] as string[], refused: 0, bytesSent: 0 };
  const server: Server = createServer((req, res) => {
    const authorization = req.headers.authorization ?? "";
    if (authorization) state.authorizations.push(authorization);
    if (authorization.toLowerCase() !== expected.toLowerCase()) {
      state.refused++;
      req.resume();
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="test"' }).end("token required\n");
      return;
    }
    serveWithHttpBackend({ req, res, root, name, sent: (bytes) => (state.bytesSent += bytes) });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${name}`,
    get authorizations() {
      return state.authorizations;
    },
    get refused() {
      return state.refused;
    },
    get bytesSent() {
      return state.bytesSent;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One CGI request to `git http-backend`: the request body on its stdin, its answer parsed back. */
function serveWithHttpBackend(args: {
  req: IncomingMessage;
  res: ServerResponse;
  root: string;
  name: string;
  sent: (bytes: number) => void;
}): void {
  const { req, res } = args;
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: args.root,
    GIT_HTTP_EXPORT_ALL: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    // Set: receive-pack (push) is enabled for an authenticated user.
    REMOTE_USER: "x-access-token",
    REMOTE_ADDR: "127.0.0.1",
    REQUEST_METHOD: req.method ?? "GET",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    ...(req.headers["content-length"] ? { CONTENT_LENGTH: req.headers["content-length"] } : {}),
    ...(req.headers["content-encoding"] ? { HTTP_CONTENT_ENCODING: req.headers["content-encoding"] } : {}),
    ...(req.headers["git-protocol"] ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) } : {}),
  };
  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "inherit"] });
  req.pipe(child.stdin);
  child.stdin.on("error", () => undefined);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (headersDone) {
      args.sent(chunk.length);
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key.toLowerCase() === "status") status = Number.parseInt(value, 10);
      else res.setHeader(key, value);
    }
    res.writeHead(status);
    args.sent(head.length - end - 4);
    res.write(head.subarray(end + 4));
  });
  child.on("close", () => res.end());
  child.on("error", () => res.writeHead(500).end());
}
