import { readFileSync } from "node:fs";

let cached: string | undefined;

/** The package version, from package.json two levels up (src/github or dist/github alike). */
export function appVersion(): string {
  if (cached === undefined) {
    try {
      const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
      const version = (JSON.parse(text) as { version?: unknown }).version;
      cached = typeof version === "string" ? version : "unknown";
    } catch {
      cached = "unknown";
    }
  }
  return cached;
}
