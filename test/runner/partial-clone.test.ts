import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remoteGitEnv } from "../../action/src/git-credentials.js";
import { prefetchBranchContents } from "../../src/runner/partial-clone.js";
import { startGitHttpServer, type GitHttpServer } from "../action/git-http-server.js";

/**
 * The contents a branch's preparation needs, fetched in one request in a blobless clone of a
 * remote served over http behind a token (as GitHub serves the task workflow's checkout).
 */

const run = promisify(execFile);
const TOKEN = "partial-clone-test-token";
let dir: string;
let server: GitHttpServer;

async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run("git", args, {
    cwd,
    env: {
      ...process.env,
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_TERMINAL_PROMPT: "0",
      GIT_AUTHOR_NAME: "Test",
      GIT_AUTHOR_EMAIL: "test@example.com",
      GIT_COMMITTER_NAME: "Test",
      GIT_COMMITTER_EMAIL: "test@example.com",
      ...env,
    },
  });
  return stdout.trim();
}

async function commit(cwd: string, files: Record<string, string>, message: string): Promise<void> {
  for (const [path, content] of Object.entries(files)) await writeFile(join(cwd, path), content);
  await git(cwd, ["add", "--all"]);
  await git(cwd, ["commit", "--quiet", "-m", message]);
}

const env = () => remoteGitEnv({ remoteUrl: server.url, token: TOKEN });

async function clone(name: string, filter: string[]): Promise<string> {
  const path = join(dir, name);
  await git(dir, ["clone", "--quiet", ...filter, server.url, path], env());
  return path;
}

/** The ids of objects of these commits' trees that the clone lacks. */
async function missing(cwd: string, commits: string[]): Promise<string[]> {
  const listed = await git(cwd, [
    "rev-list",
    "--objects",
    "--missing=print",
    ...commits.map((c) => `${c}^{tree}`),
  ]);
  return listed.split("\n").filter((line) => line.startsWith("?"));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "partial-clone-"));
  const bare = join(dir, "origin.git");
  await git(dir, ["init", "--quiet", "--bare", "--initial-branch=main", bare]);
  await git(bare, ["config", "uploadpack.allowFilter", "true"]);
  await git(bare, ["config", "uploadpack.allowAnySHA1InWant", "true"]);
  const seed = join(dir, "seed");
  await git(dir, ["init", "--quiet", "--initial-branch=main", seed]);
  const shared = "one\ntwo\nthree\nfour\nfive\n";
  await commit(seed, { "shared.txt": shared, "old.txt": "old\n" }, "base");
  await git(seed, ["branch", "dep-a"]);
  await git(seed, ["branch", "dep-b"]);
  await commit(seed, { "history.txt": "first version\n" }, "history");
  await commit(seed, { "history.txt": "second version\n", "old.txt": "newer on main\n" }, "main moves on");
  await git(seed, ["checkout", "--quiet", "dep-a"]);
  await commit(seed, { "shared.txt": shared.replace("one", "ONE"), "a.txt": "a\n" }, "a");
  await git(seed, ["checkout", "--quiet", "dep-b"]);
  await commit(seed, { "shared.txt": shared.replace("five", "FIVE"), "b.txt": "b\n" }, "b");
  await git(seed, ["push", "--quiet", bare, "main", "dep-a", "dep-b"]);
  server = await startGitHttpServer({ bareRepo: bare, token: TOKEN });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("prefetchBranchContents", () => {
  it("fetches, with the token, every content the checkout and the merge will read", async () => {
    const cwd = await clone("blobless", ["--filter=blob:none"]);
    const trees = [
      "origin/dep-a",
      "origin/dep-b",
      await git(cwd, ["merge-base", "origin/dep-a", "origin/dep-b"]),
    ];
    expect((await missing(cwd, trees)).length).toBeGreaterThan(0);

    const fetched = await prefetchBranchContents({
      cwd,
      remote: "origin",
      start: "origin/dep-a",
      merged: ["origin/dep-b"],
      env: env(),
    });
    expect(fetched).toBeGreaterThan(0);
    expect(await missing(cwd, trees)).toEqual([]);
    // Checkout and merge now run without the token: one fetch on demand would be refused (401).
    const refused = server.refused;
    await git(cwd, ["checkout", "--quiet", "-B", "task", "origin/dep-a"]);
    await git(cwd, ["merge", "--quiet", "--no-edit", "origin/dep-b"]);
    expect(await git(cwd, ["show", "HEAD:shared.txt"])).toBe("ONE\ntwo\nthree\nfour\nFIVE");
    expect(server.refused).toBe(refused);
    // Nothing else was fetched: main's history.txt as it was is still only on the remote.
    expect(await missing(cwd, ["origin/main~1"])).toEqual([
      `?${await git(cwd, ["rev-parse", "origin/main~1:history.txt"])}`,
    ]);
  });

  it("asks nothing of the remote in a full clone", async () => {
    const cwd = await clone("full", []);
    const requests = server.authorizations.length + server.refused;
    const fetched = await prefetchBranchContents({
      cwd,
      remote: "origin",
      start: "origin/dep-a",
      merged: ["origin/dep-b"],
      env: env(),
    });
    expect(fetched).toBe(0);
    expect(server.authorizations.length + server.refused).toBe(requests);
  });
});
