import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findGitHubToken } from "../../src/cli/github-token.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A PATH holding only a stand-in `gh` that prints `output` and exits with `code` (and records its argv). */
function ghOnPath(script: string): { PATH: string; argvFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "gh-"));
  dirs.push(dir);
  const argvFile = join(dir, "argv");
  writeFileSync(join(dir, "gh"), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\n${script}\n`);
  chmodSync(join(dir, "gh"), 0o755);
  return { PATH: dir, argvFile };
}

describe("the token for --issue", () => {
  it("takes GITHUB_TOKEN, then GH_TOKEN, before asking gh", async () => {
    const { PATH } = ghOnPath("echo from-gh");
    expect(
      await findGitHubToken({ env: { PATH, GITHUB_TOKEN: " t1 ", GH_TOKEN: "t2" }, host: "github.com" }),
    ).toEqual({
      token: "t1",
      source: "GITHUB_TOKEN",
    });
    expect(await findGitHubToken({ env: { PATH, GH_TOKEN: "t2" }, host: "github.com" })).toEqual({
      token: "t2",
      source: "GH_TOKEN",
    });
  });

  it("asks the gh CLI for its login on the host", async () => {
    const { PATH } = ghOnPath("echo gho_fromcli");
    expect(await findGitHubToken({ env: { PATH }, host: "github.example.com" })).toEqual({
      token: "gho_fromcli",
      source: "gh auth token",
    });
  });

  it("says how to get one when there is neither a variable nor a gh login", async () => {
    await expect(findGitHubToken({ env: { PATH: "" }, host: "github.com" })).rejects.toThrow(
      "--issue reads the issue from GitHub and needs a token: set GITHUB_TOKEN (a token that can read the repository's issues), or install the GitHub CLI and run `gh auth login`",
    );
    const { PATH } = ghOnPath("echo 'no oauth token found' >&2; exit 1");
    await expect(findGitHubToken({ env: { PATH }, host: "github.com" })).rejects.toThrow(
      "the GitHub CLI has no login for github.com: run `gh auth login --hostname github.com`, or set GITHUB_TOKEN",
    );
  });
});
