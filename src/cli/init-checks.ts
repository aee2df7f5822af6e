import { git } from "../runner/git.js";
import { CliError } from "./cli-error.js";
import { findClaude } from "./choose-agent.js";

/**
 * What `orchestrator run` needs besides a tasks file, checked without running anything but
 * `git config`: Claude Code is never started here (starting it may prompt, or spend).
 * `ok: false` is something to fix (with how); `ok: "unknown"` is something init cannot see.
 */
export interface PrerequisiteCheck {
  what: string;
  ok: boolean | "unknown";
  detail: string;
}

export async function checkPrerequisites(args: {
  repoRoot: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}): Promise<PrerequisiteCheck[]> {
  return [await checkGitIdentity(args), await checkClaude(args), checkClaudeLogin(args.env)];
}

/** The runner's author rule (src/local/repo-info.ts commitAuthor): ORCHESTRATOR_AUTHOR_*, else git config. */
async function checkGitIdentity(args: {
  repoRoot: string;
  env: NodeJS.ProcessEnv;
}): Promise<PrerequisiteCheck> {
  const configured = async (key: string) =>
    (
      await git(["config", "--get", key], { cwd: args.repoRoot, env: stringsOf(args.env), okExitCodes: [1] })
    ).stdout.trim();
  const name = args.env.ORCHESTRATOR_AUTHOR_NAME || (await configured("user.name"));
  const email = args.env.ORCHESTRATOR_AUTHOR_EMAIL || (await configured("user.email"));
  if (name && email) return { what: "git identity", ok: true, detail: `${name} <${email}>` };
  const missing = [!name && "user.name", !email && "user.email"].filter(Boolean).join(" and ");
  return {
    what: "git identity",
    ok: false,
    detail:
      `no ${missing} (task commits would be by "Orchestrator <orchestrator@localhost>"). Fix: ` +
      `git config --global user.name "Your Name" && git config --global user.email you@example.com, ` +
      `or set ORCHESTRATOR_AUTHOR_NAME and ORCHESTRATOR_AUTHOR_EMAIL`,
  };
}

/** Found the way `orchestrator run` finds it (choose-agent.ts): ORCHESTRATOR_CLAUDE_PATH, else `claude` on PATH. */
async function checkClaude(args: { cwd: string; env: NodeJS.ProcessEnv }): Promise<PrerequisiteCheck> {
  try {
    const path = await findClaude(args);
    if (path !== null) return { what: "Claude Code", ok: true, detail: path };
    return {
      what: "Claude Code",
      ok: false,
      detail:
        "no `claude` on PATH and ORCHESTRATOR_CLAUDE_PATH not set. Fix: npm install -g @anthropic-ai/claude-code " +
        "(or set ORCHESTRATOR_CLAUDE_PATH to its path)",
    };
  } catch (error) {
    if (error instanceof CliError) {
      return { what: "Claude Code", ok: false, detail: `${error.message} Fix: correct or unset it` };
    }
    throw error;
  }
}

/** Only whether a key is set: its value is never shown, and `claude` is not run to ask about a login. */
function checkClaudeLogin(env: NodeJS.ProcessEnv): PrerequisiteCheck {
  for (const name of ["ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"]) {
    if (env[name]) return { what: "Claude Code login", ok: true, detail: `${name} is set` };
  }
  return {
    what: "Claude Code login",
    ok: "unknown",
    detail:
      "neither ANTHROPIC_API_KEY nor CLAUDE_CODE_OAUTH_TOKEN is set; could not tell whether `claude` is logged in. " +
      "If it is not: run `claude`, then /login (or set ANTHROPIC_API_KEY)",
  };
}

function stringsOf(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
