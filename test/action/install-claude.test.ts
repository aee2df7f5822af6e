import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ActionFailure } from "../../action/src/action-failure.js";
import { installClaude } from "../../action/src/install-claude.js";
import { ROOT } from "../../scripts/action-bundle.js";

const REAL_CLAUDE = join(ROOT, "node_modules", ".bin", "claude");
let dir: string;

async function fakeClaude(folder: string, version: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  const path = join(folder, "claude");
  await writeFile(path, `#!/bin/sh\necho "${version} (Claude Code)"\n`);
  await chmod(path, 0o755);
  return folder;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "install-claude-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("installClaude", () => {
  it("uses the real CLI on PATH when it is the pinned version, without npm", async () => {
    const npmCalls: string[][] = [];
    const found = await installClaude({
      version: "2.1.330",
      toolCacheDir: join(dir, "cache-unused"),
      pathVariable: `/nonexistent:${join(ROOT, "node_modules", ".bin")}`,
      npm: async (args) => void npmCalls.push([...args]),
    });
    expect(found).toEqual({ path: REAL_CLAUDE, version: "2.1.330", source: "path" });
    expect(npmCalls).toEqual([]);
  });

  it("ignores another version on PATH and reuses the copy in the tool cache", async () => {
    const wrong = await fakeClaude(join(dir, "old-bin"), "1.0.0");
    const cache = join(dir, "cache");
    const bin = join(cache, "claude-code", "2.1.330", "node_modules", ".bin");
    await mkdir(bin, { recursive: true });
    await symlink(REAL_CLAUDE, join(bin, "claude"));
    const logs: string[] = [];
    const found = await installClaude({
      version: "2.1.330",
      toolCacheDir: cache,
      pathVariable: wrong,
      npm: () => Promise.reject(new Error("npm must not run")),
      log: (message) => logs.push(message),
    });
    expect(found).toEqual({ path: join(bin, "claude"), version: "2.1.330", source: "cache" });
    expect(logs.join("\n")).toContain("it is version 1.0.0, the task needs 2.1.330");
  });

  it("installs the exact version into the tool cache with npm when it is nowhere", async () => {
    const cache = join(dir, "cache-empty");
    const prefix = join(cache, "claude-code", "9.9.9");
    const calls: string[][] = [];
    const found = await installClaude({
      version: "9.9.9",
      toolCacheDir: cache,
      pathVariable: "",
      // Stands in for the registry: lays the package's bin where npm would.
      npm: async (args) => {
        calls.push([...args]);
        await fakeClaude(join(prefix, "node_modules", ".bin"), "9.9.9");
      },
    });
    expect(calls).toEqual([
      [
        "install",
        "--prefix",
        prefix,
        "--no-save",
        "--no-package-lock",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        "@anthropic-ai/claude-code@9.9.9",
      ],
    ]);
    expect(found).toEqual({
      path: join(prefix, "node_modules", ".bin", "claude"),
      version: "9.9.9",
      source: "installed",
    });
  });

  it("fails with install_failed, naming the version, when npm fails", async () => {
    const error = await installClaude({
      version: "0.0.1-missing",
      toolCacheDir: join(dir, "cache-fail"),
      pathVariable: "",
      npm: () =>
        Promise.reject(
          new Error("404 Not Found - GET https://registry.npmjs.org/@anthropic-ai%2fclaude-code"),
        ),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ActionFailure);
    expect((error as ActionFailure).kind).toBe("install_failed");
    expect((error as ActionFailure).message).toMatch(
      /^Could not install @anthropic-ai\/claude-code@0\.0\.1-missing with npm: 404 Not Found/,
    );
  });
});
