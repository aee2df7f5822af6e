import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { configEnv, git, gitValue } from "../../src/runner/git.js";
import { ActionFailure } from "./action-failure.js";

/**
 * The job's token reaches git the way the agent cannot see it: the checkout keeps no credential
 * (`persist-credentials: false`), and the git commands that talk to the remote — fetching before
 * the agent starts, pushing after it has exited — get it in their own environment
 * (`GIT_CONFIG_*`, see `configEnv`), never in a file or in the agent's environment.
 *
 * The agent can edit the checkout's `.git` with its file tools, so what those commands read from
 * it is pinned down as well:
 * - the header is sent to the remote's own server only (`http.<origin>/.extraheader`), so a remote
 *   URL or `insteadOf` rewritten to another host gets no token;
 * - no hook runs (`core.hooksPath=/dev/null`): a hook would inherit that environment;
 * - no credential helper runs (an empty `credential.helper` resets the list);
 * - `guardGitConfig` puts back the config the agent found before anything is pushed (a proxy,
 *   `sslVerify=false`, a new remote URL...).
 */
export function remoteGitEnv(args: { remoteUrl: string; token: string }): Record<string, string> | undefined {
  // A remote that is not http(s) (a path, ssh with the runner's own key) takes no token.
  const server = serverOf(args.remoteUrl);
  if (server === null) return undefined;
  const basic = Buffer.from(`x-access-token:${args.token}`, "utf8").toString("base64");
  return configEnv([
    [`http.${server}.extraheader`, `AUTHORIZATION: basic ${basic}`],
    ["core.hooksPath", "/dev/null"],
    ["credential.helper", ""],
  ]);
}

/** The URL of `remote` in the checkout, as actions/checkout set it up (read before the agent runs). */
export async function remoteUrl(cwd: string, remote: string): Promise<string> {
  try {
    return await gitValue(["remote", "get-url", remote], { cwd });
  } catch (error) {
    throw new ActionFailure(
      "bad_input",
      `The checkout has no remote "${remote}" to push to (${error instanceof Error ? error.message : String(error)}). ` +
        "Check out the repository with actions/checkout before this action.",
      { cause: error },
    );
  }
}

/** `scheme://host[:port]/` of an http(s) URL, the scope of the credential; null for any other remote. */
function serverOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
  return `${parsed.protocol}//${parsed.host}/`;
}

/**
 * Files in the checkout's git directory that decide where git sends what, as they were before the
 * agent ran; `restore` puts them back (and removes those it added), so the commands given the
 * token read the configuration actions/checkout wrote, not the agent's.
 */
export async function guardGitConfig(cwd: string): Promise<{ restore(): Promise<string[]> }> {
  const gitDir = await gitValue(["rev-parse", "--absolute-git-dir"], { cwd });
  // `commondir` and `config.worktree` redirect or extend where the config is read from.
  const names = ["config", "config.worktree", "commondir"];
  const before = new Map<string, string | null>();
  for (const name of names) before.set(name, await readFile(join(gitDir, name), "utf8").catch(() => null));
  return {
    /** Puts the files back; returns the names of those the agent had changed. */
    async restore() {
      const changed: string[] = [];
      for (const [name, content] of before) {
        const path = join(gitDir, name);
        const now = await readFile(path, "utf8").catch(() => null);
        if (now === content) continue;
        changed.push(name);
        if (content === null) await rm(path, { force: true, recursive: true });
        else await writeFile(path, content);
      }
      return changed;
    },
  };
}

/**
 * A checkout that kept its credential (actions/checkout without `persist-credentials: false`)
 * would hand it to the agent, which can read `.git/config` and the files it includes: refused
 * before the agent runs, with the fix.
 */
export async function refusePersistedCredentials(cwd: string): Promise<void> {
  const found = await git(["config", "--name-only", "--get-regexp", "^http\\..*\\.extraheader$"], {
    cwd,
    okExitCodes: [1],
  });
  if (found.exitCode !== 0) return;
  throw new ActionFailure(
    "bad_input",
    "The checkout keeps the job's token in its git config (" +
      found.stdout.trim().split("\n").join(", ") +
      "), where the agent can read it. Set `persist-credentials: false` on the actions/checkout step " +
      "(as the orchestrator-task.yml template does): this action gives the token to its own git commands.",
  );
}

/** How the Action's git commands reach the remote for one run (see `remoteGitEnv`). */
export interface RemoteAccess {
  /** For the git commands that talk to the remote; undefined: no token (a public or local remote). */
  env?: Record<string, string>;
  /** Before anything is committed or pushed: the git config back as it was before the agent. */
  afterAgent(): Promise<void>;
}

export async function remoteAccess(args: {
  cwd: string;
  remote: string;
  token: string | undefined;
  log: (message: string) => void;
}): Promise<RemoteAccess> {
  await refusePersistedCredentials(args.cwd);
  const env = args.token
    ? remoteGitEnv({ remoteUrl: await remoteUrl(args.cwd, args.remote), token: args.token })
    : undefined;
  const guard = await guardGitConfig(args.cwd);
  return {
    ...(env ? { env } : {}),
    async afterAgent() {
      const changed = await guard.restore();
      if (changed.length > 0)
        args.log(`The agent changed the checkout's git ${changed.join(", ")}; put back before pushing.`);
    },
  };
}
