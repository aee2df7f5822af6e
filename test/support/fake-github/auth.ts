/**
 * Reads the `Authorization` header the way GitHub does for an App: a JWT (RS256, signed by the
 * App's key) for `/app/...` endpoints, an installation token (`ghs_...`) for repository work.
 * The signature is verified once the App's key came from the manifest flow
 * (`state.appPublicKeys`); before that the fake has no key and checks only the shape and `exp`.
 */
import { verify } from "node:crypto";
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
    if (state.appPublicKeys.length > 0 && !signedByApp(credential, state)) {
      return { status: 401, message: "A JSON web token could not be decoded" };
    }
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

/** RS256 by one of the App's keys, issued for the App's id. */
function signedByApp(credential: string, state: FakeGitHubState): boolean {
  const [header = "", payload = "", signature = ""] = credential.split(".");
  const claims = decodeJwt(credential);
  if (claims === undefined || String(claims.iss) !== String(state.app.id)) return false;
  const signed = Buffer.from(`${header}.${payload}`);
  return state.appPublicKeys.some((key) =>
    verify("RSA-SHA256", signed, key, Buffer.from(signature, "base64url")),
  );
}

/** Endpoints GitHub serves without authentication (the manifest flow's code is the credential). */
export function allowsAnonymous(template: string): boolean {
  return template === "/app-manifests/{code}/conversions";
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
