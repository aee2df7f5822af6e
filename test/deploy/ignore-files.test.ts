import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);

function patterns(file: string): string[] {
  return readFileSync(`${ROOT}/${file}`, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

describe("key material and secrets stay out of commits, images and uploads", () => {
  it("git ignores a GitHub App private key and .env wherever they are saved", async () => {
    const names = ["acme-orchestrator.2026-12-01.private-key.pem", "deploy/app.pem", "server.key", ".env"];
    const { stdout } = await run("git", ["check-ignore", "--no-index", ...names], { cwd: ROOT });
    expect(stdout.trim().split("\n")).toEqual(names);
  });

  it.each([".dockerignore", ".gcloudignore"])("%s leaves out keys, .env and the git history", (file) => {
    expect(patterns(file)).toEqual(expect.arrayContaining(["*.pem", "*.key", ".env", ".env.*", ".git"]));
  });
});
