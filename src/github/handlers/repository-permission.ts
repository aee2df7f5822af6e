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
