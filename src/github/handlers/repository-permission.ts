import { httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";

/** Roles that may run orchestrator commands: they can push, so they could run the workflow anyway. */
const ALLOWED_ROLES = new Set(["admin", "maintain", "write"]);

/**
 * The user's role on the repository, asked of the API. `author_association` in the webhook is
 * not enough: it says NONE or CONTRIBUTOR for members of an organization whose membership is
 * private, and says nothing about team-granted roles.
 */
export async function repositoryPermission(args: {
  client: GitHubClient;
  repo: RepoRef;
  username: string;
}): Promise<{ allowed: boolean; role: string }> {
  try {
    const { data } = await args.client.request(
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
      {
        ...args.repo,
        username: args.username,
      },
    );
    // `permission` folds maintain into write and triage into read; `role_name` is precise.
    const role = data.role_name || data.permission;
    return { allowed: ALLOWED_ROLES.has(role) || ALLOWED_ROLES.has(data.permission), role };
  } catch (error) {
    // 404: not a collaborator (and the repository is private).
    if (httpStatus(error) === 404) return { allowed: false, role: "none" };
    throw error;
  }
}

/** Who may command the App, beyond people with write access: bots named by the operator. */
export interface CommandPolicy {
  /** Bot logins (`name[bot]`) allowed to command the App (ORCHESTRATOR_ALLOWED_BOTS). */
  allowedBots: readonly string[];
  /** Branches besides the default one a repository_dispatch may start from (ORCHESTRATOR_DISPATCH_REFS). */
  dispatchRefs: readonly string[];
}

export type SenderVerdict = { allowed: true } | { allowed: false; reason: string; bot: boolean };

/**
 * Whether the sender of an event may command the App. Bots may not, unless the operator named
 * them: a workflow's own token acts as `github-actions[bot]`, the task workflow's included, so
 * an agent with a shell could otherwise start sessions. People need write access.
 */
export async function senderMayCommand(args: {
  client: GitHubClient;
  repo: RepoRef;
  sender: { login: string; type?: string | undefined };
  policy: Pick<CommandPolicy, "allowedBots">;
}): Promise<SenderVerdict> {
  const { login } = args.sender;
  if (isBot(args.sender)) {
    if (isAllowedBot(login, args.policy)) return { allowed: true };
    return {
      allowed: false,
      bot: true,
      reason:
        `${login} is a bot, and bots may not command the orchestrator (workflow tokens act as ` +
        `github-actions[bot], the agents' own included); allow a bot by name with ORCHESTRATOR_ALLOWED_BOTS`,
    };
  }
  const permission = await repositoryPermission({ client: args.client, repo: args.repo, username: login });
  if (permission.allowed) return { allowed: true };
  return {
    allowed: false,
    bot: false,
    reason:
      `only people with write, maintain or admin permission on ${args.repo.owner}/${args.repo.repo} can run ` +
      `orchestrator commands; the permission of ${login} is \`${permission.role}\``,
  };
}

function isBot(sender: { login: string; type?: string | undefined }): boolean {
  return sender.type === "Bot" || sender.login.endsWith("[bot]");
}

/** Whether the operator named this login in ORCHESTRATOR_ALLOWED_BOTS. */
export function isAllowedBot(login: string, policy: Pick<CommandPolicy, "allowedBots">): boolean {
  return policy.allowedBots.some((bot) => bot.toLowerCase() === login.toLowerCase());
}
