import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Checks `Authorization: Bearer <token>` against the configured token in constant time. Both
 * sides are hashed first: timingSafeEqual needs equal lengths, and comparing digests leaks
 * neither the token's content nor its length through timing.
 */
export type BearerCheck = { ok: true } | { ok: false; reason: "missing" | "malformed" | "wrong" };

export function checkBearerToken(header: string | undefined, expected: string): BearerCheck {
  if (header === undefined || header.trim() === "") return { ok: false, reason: "missing" };
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!match) return { ok: false, reason: "malformed" };
  return tokensEqual(match[1] as string, expected) ? { ok: true } : { ok: false, reason: "wrong" };
}

export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
