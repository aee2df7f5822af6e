/**
 * Reads the `Authorization` header the way GitHub does for an App: a JWT (RS256, signed by the
 * App's key) for `/app/...` endpoints, an installation token (`ghs_...`) for repository work.
 * The signature is not verified — the fake has no key — but the JWT's shape and `exp` are.
 */
import type { FakeGitHubState } from "./state.js";

export type AuthKind = "jwt" | "installation" | "token" | "none";

export interface AuthInfo {
  readonly kind: AuthKind;
  /** For installation tokens: which installation the token belongs to. */
  readonly installationId: number | undefined;
}

export interface AuthProblem {
  readonly status: 401;
  readonly message: string;
}

export function readAuth(input: {
  header: string | undefined;
  state: FakeGitHubState;
  acceptAnyToken: boolean;
}): AuthInfo | AuthProblem {
  const { header, state } = input;
  if (header === undefined || header.trim() === "") return { kind: "none", installationId: undefined };
  const match = /^(bearer|token)\s+(\S+)$/i.exec(header.trim());
  const credential = match?.[2];
  if (credential === undefined) return { status: 401, message: "Bad credentials" };
  const jwt = decodeJwt(credential);
  if (jwt !== undefined) {
    const now = Math.floor(state.now().getTime() / 1000);
    if (typeof jwt.exp !== "number" || jwt.exp < now) {
      return {
        status: 401,
        message:
          "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
      };
    }
    if (jwt.iss === undefined) return { status: 401, message: "'Issuer' claim ('iss') must be an Integer" };
    return { kind: "jwt", installationId: undefined };
  }
  const token = state.tokens.get(credential);
  if (token !== undefined) {
    if (Date.parse(token.expiresAt) <= state.now().getTime())
      return { status: 401, message: "Bad credentials" };
    return { kind: "installation", installationId: token.installationId };
  }
  if (input.acceptAnyToken) return { kind: "token", installationId: undefined };
  return { status: 401, message: "Bad credentials" };
}

/** Endpoints that GitHub serves only to the App itself (JWT), not to an installation. */
export function requiresJwt(template: string): boolean {
  return (
    template === "/app" ||
    template.startsWith("/app/") ||
    /^\/(repos\/\{owner\}\/\{repo\}|orgs\/\{org\}|users\/\{username\})\/installation$/.test(template)
  );
}

function decodeJwt(credential: string): Record<string, unknown> | undefined {
  const parts = credential.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0] ?? "", "base64url").toString("utf8"));
    const payload: unknown = JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString("utf8"));
    if (typeof header !== "object" || header === null || !("alg" in header)) return undefined;
    return typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
