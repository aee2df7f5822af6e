import type { IncomingMessage } from "node:http";

/**
 * The client's address for rate limiting. Behind `trustedProxies` reverse proxies, each appends
 * the address it received from to X-Forwarded-For, so the entry that many places from the end is
 * the client as the outermost trusted proxy saw it; entries further left are whatever the client
 * sent and cannot be trusted. With no trusted proxy the socket's address is the client.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: number): string {
  const socket = req.socket.remoteAddress ?? "unknown";
  if (trustedProxies <= 0) return socket;
  const header = req.headers["x-forwarded-for"];
  const list = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  return list[list.length - trustedProxies] ?? socket;
}
