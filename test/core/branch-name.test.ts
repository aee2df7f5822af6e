import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { branchNameProblem } from "../../src/core/branch-name.js";

/** Outside any repository, as `--branch` expands `@{-1}` and friends inside one. */
let outsideRepo: string;
beforeAll(async () => {
  outsideRepo = await mkdtemp(path.join(tmpdir(), "branch-name-"));
});
afterAll(async () => {
  await rm(outsideRepo, { recursive: true, force: true });
});

function gitAccepts(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      "git",
      ["check-ref-format", "--branch", name],
      { cwd: outsideRepo, env: { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(outsideRepo) } },
      (error) => resolve(error === null),
    );
  });
}

async function compareWithGit(names: readonly string[]): Promise<string[]> {
  const mismatches: string[] = [];
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
      const git = await gitAccepts(name);
      const ours = branchNameProblem(name) === undefined;
      if (git !== ours)
        mismatches.push(
          `${JSON.stringify(name)}: git ${git ? "accepts" : "rejects"}, we ${ours ? "accept" : "reject"}`,
        );
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return mismatches;
}

const HAND_PICKED = [
  "main",
  "feature/x",
  "orchestrator/api",
  "a./b",
  "a/.b",
  ".a",
  "a.",
  "a..b",
  "a.lock",
  "a.lock/b",
  "a/b.lock",
  "a.lockx",
  "-a",
  "a-",
  "HEAD",
  "head",
  "HEAD/x",
  "x/HEAD",
  "@{-1}",
  "a@{b",
  "a@b",
  "{",
  "a{b}",
  "/a",
  "a/",
  "a//b",
  "a b",
  "a\tb",
  "a~1",
  "a^",
  "a:b",
  "a?",
  "a*",
  "a[1]",
  "a\\b",
  "a\u007fb",
  "a\u0001b",
  "é",
  "ветка",
  "😀",
  "refs/heads/x",
  "..",
  ".",
  "/",
];

describe("branchNameProblem matches git check-ref-format --branch", () => {
  it("on hand-picked names covering each rule", async () => {
    expect(await compareWithGit(HAND_PICKED)).toEqual([]);
  });

  it("on many generated names", async () => {
    // Mostly ordinary characters, so names are often valid and the structural rules ('.', '/', '@{',
    // ".lock") decide, with the forbidden characters mixed in now and then.
    const alphabet = fc.oneof(
      { arbitrary: fc.constantFrom(..."abé0_"), weight: 5 },
      { arbitrary: fc.constantFrom(".", "/", "-", "@", "{", ".lock", "HEAD"), weight: 4 },
      { arbitrary: fc.constantFrom(..."~^:?*[\\ \t\u0001\u007f}"), weight: 1 },
    );
    const names = fc.sample(fc.string({ unit: alphabet, minLength: 1, maxLength: 8 }), {
      numRuns: 300,
      seed: 42,
    });
    const random = fc.sample(fc.string({ unit: alphabet, minLength: 1, maxLength: 8 }), 100);
    // "@" alone is the one deliberate difference: git accepts it outside a repository but reads it as HEAD inside.
    const all = [...new Set([...names, ...random])].filter((name) => name !== "@");
    expect(await compareWithGit(all)).toEqual([]);
    // The sample must exercise both answers, or it proves nothing.
    const accepted = all.filter((name) => branchNameProblem(name) === undefined).length;
    expect(accepted).toBeGreaterThan(all.length / 5);
    expect(accepted).toBeLessThan(all.length - all.length / 5);
    // About 400 git processes: minutes on a loaded two-core machine; the limit is only a safety net.
  }, 300_000);

  it("rejects '@', which git reads as HEAD in a repository", () => {
    expect(branchNameProblem("@")).toBe('"@" is git\'s shorthand for HEAD');
  });

  it("says why in plain words", () => {
    expect(branchNameProblem("feature..x")).toBe("it contains '..'");
    expect(branchNameProblem("my branch")).toBe("it contains a space");
    expect(branchNameProblem("a\tb")).toBe("it contains a control character (such as a tab or line break)");
    expect(branchNameProblem("x/.hidden")).toBe(`the part ".hidden" starts with '.'`);
    expect(branchNameProblem("x.lock/y")).toBe(`the part "x.lock" ends with '.lock'`);
    expect(branchNameProblem("")).toBe("it is empty");
    expect(branchNameProblem("a\uD800")).toBe("it contains text that is not valid Unicode");
    expect(branchNameProblem("textkit/cli")).toBeUndefined();
  });
});
