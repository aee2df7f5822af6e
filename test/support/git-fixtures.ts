import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

/**
 * Real git repositories in temp directories for runner tests. `isolateGit()` cuts the tests off
 * from the machine's git configuration; `user.useConfigOnly` makes any commit that does not pass
 * an identity explicitly fail, so code under test cannot lean on a developer's `user.name`.
 */

const run = promisify(execFile);

export const TEST_AUTHOR = { name: "Test Orchestrator", email: "orchestrator@example.invalid" } as const;
/** A second person, for commits made "by someone else" (another clone, a user pushing). */
export const OTHER_AUTHOR = { name: "Somebody Else", email: "else@example.invalid" } as const;

const tempDirs: string[] = [];

export async function makeTempDir(prefix = "orchestrator-git-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Deletes every directory `makeTempDir` made; call from `afterAll`. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Points git at a throwaway HOME and global config; call once per test file, before anything else. */
export async function isolateGit(): Promise<void> {
  const home = await makeTempDir("orchestrator-home-");
  const globalConfig = join(home, ".gitconfig");
  await writeFile(
    globalConfig,
    [
      "[init]",
      "\tdefaultBranch = main",
      "[user]",
      "\tuseConfigOnly = true",
      "[advice]",
      "\tdetachedHead = false",
      "",
    ].join("\n"),
  );
  Object.assign(process.env, {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: globalConfig,
  });
  for (const name of ["GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"])
    delete process.env[name];
}

export interface GitIdentity {
  name: string;
  email: string;
}

/** Runs git in `cwd` as `who` and returns trimmed stdout; throws with stderr on failure. */
export async function gitIn(cwd: string, args: string[], who: GitIdentity = OTHER_AUTHOR): Promise<string> {
  const { stdout } = await run("git", args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: who.name,
      GIT_AUTHOR_EMAIL: who.email,
      GIT_COMMITTER_NAME: who.name,
      GIT_COMMITTER_EMAIL: who.email,
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

/** A repository on `main` with one commit (README.md). */
export async function makeRepo(): Promise<string> {
  const dir = await makeTempDir("orchestrator-repo-");
  await gitIn(dir, ["init", "--quiet", "--initial-branch=main"]);
  await writeFiles(dir, { "README.md": "# test repository\n" });
  await gitIn(dir, ["add", "--all"]);
  await gitIn(dir, ["commit", "--quiet", "-m", "Initial commit"]);
  return dir;
}

/** An empty bare repository to push to, by path. */
export async function makeBareRemote(): Promise<string> {
  const dir = await makeTempDir("orchestrator-remote-");
  await gitIn(dir, ["init", "--quiet", "--bare", "--initial-branch=main"]);
  return dir;
}

/**
 * A bare remote with `main` holding one commit, and a first clone of it (the "developer" who
 * pushes branches). `clone` makes more clones, e.g. the checkout an Actions runner would have.
 */
export async function makeRepoWithRemote(): Promise<{ remote: string; seed: string }> {
  const remote = await makeBareRemote();
  const seed = await makeRepo();
  await gitIn(seed, ["remote", "add", "origin", remote]);
  await gitIn(seed, ["push", "--quiet", "origin", "main"]);
  return { remote, seed };
}

export async function cloneRepo(
  remote: string,
  options: { depth?: number; branch?: string } = {},
): Promise<string> {
  const dir = await makeTempDir("orchestrator-clone-");
  const depth = options.depth ? ["--depth", String(options.depth)] : [];
  const branch = options.branch ? ["--branch", options.branch] : [];
  // file:// so --depth is honoured (a plain path clone ignores it).
  await gitIn(dir, ["clone", "--quiet", ...depth, ...branch, `file://${remote}`, "."]);
  return dir;
}

/** Writes files (creating folders); `null` deletes the file. */
export async function writeFiles(cwd: string, files: Record<string, string | null>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(cwd, path);
    if (content === null) {
      await rm(full, { force: true });
      continue;
    }
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}

/**
 * Commits `files` on `branch` (created from `from`, default the current HEAD, if it does not exist)
 * and leaves that branch checked out. Returns the new commit's sha.
 */
export async function commitFiles(options: {
  cwd: string;
  branch?: string;
  from?: string;
  files: Record<string, string | null>;
  message: string;
  who?: GitIdentity;
}): Promise<string> {
  const { cwd, branch } = options;
  if (branch) {
    const exists = await gitIn(cwd, ["branch", "--list", branch]);
    if (exists) await gitIn(cwd, ["checkout", "--quiet", branch]);
    else await gitIn(cwd, ["checkout", "--quiet", "-b", branch, ...(options.from ? [options.from] : [])]);
  }
  await writeFiles(cwd, options.files);
  await gitIn(cwd, ["add", "--all", "--", ...Object.keys(options.files)]);
  await gitIn(cwd, ["commit", "--quiet", "-m", options.message], options.who);
  return gitIn(cwd, ["rev-parse", "HEAD"]);
}

/** Sha of `ref` in `cwd`, or null if it does not exist. */
export async function revParse(cwd: string, ref: string): Promise<string | null> {
  try {
    return await gitIn(cwd, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  } catch {
    return null;
  }
}

/** Whether `ancestor` is reachable from `ref`. */
export async function contains(cwd: string, ref: string, ancestor: string): Promise<boolean> {
  try {
    await gitIn(cwd, ["merge-base", "--is-ancestor", ancestor, ref]);
    return true;
  } catch {
    return false;
  }
}
