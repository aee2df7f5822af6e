import type { Context } from "probot";
import type { WorkflowsPermission } from "../../core/onboarding.js";
import type { AppService } from "../app-service.js";
import { describeApiError, type GitHubClient } from "../github-client.js";
import { offerOnboarding } from "../sessions/index.js";

/**
 * The App was installed on repositories (`installation.created` with its `repositories`) or given
 * more (`installation_repositories.added`): each repository that lacks the task workflow or a
 * tasks file gets the onboarding pull request (sessions/onboarding.ts). Nobody asked anything in
 * these repositories yet, so nothing is said on an issue: when no pull request can be opened
 * (the installation did not grant `workflows: write`, or the user closed it before), the outcome
 * is logged and the first `/orchestrate` there answers with the links.
 *
 * Only repositories the installer picked one by one: an installation on "all repositories" of an
 * account would otherwise open a pull request in every one of them, which nobody asked for. Those
 * are onboarded at their first command. At most MAX_REPOSITORIES per event, one after another
 * (writes are spaced by the client's throttling anyway).
 */
export const MAX_REPOSITORIES = 10;

interface InstalledRepository {
  full_name: string;
}

export async function handleInstallationCreated(
  context: Context<"installation.created">,
  service: AppService,
): Promise<void> {
  const { installation, repositories } = context.payload;
  await onboardRepositories({
    context,
    service,
    selection: installation.repository_selection,
    permissions: installation.permissions,
    repositories: repositories ?? [],
  });
}

export async function handleRepositoriesAdded(
  context: Context<"installation_repositories.added">,
  service: AppService,
): Promise<void> {
  const { installation, repositories_added: added, repository_selection: selection } = context.payload;
  await onboardRepositories({
    context,
    service,
    selection,
    permissions: installation.permissions,
    repositories: added,
  });
}

async function onboardRepositories(args: {
  context: Context<"installation.created" | "installation_repositories.added">;
  service: AppService;
  selection: string;
  permissions: Record<string, string | undefined>;
  repositories: readonly InstalledRepository[];
}): Promise<void> {
  const { context, service } = args;
  if (args.selection !== "selected") {
    context.log.info(
      { repositories: args.repositories.length },
      "installed on all repositories: each is onboarded at its first /orchestrate, not now",
    );
    return;
  }
  if (args.repositories.length > MAX_REPOSITORIES) {
    context.log.info(
      { repositories: args.repositories.length, limit: MAX_REPOSITORIES },
      "installed on more repositories than are onboarded at once: each is onboarded at its first /orchestrate",
    );
    return;
  }
  const workflowsPermission = workflowsPermissionOf(args.permissions);
  const client = context.octokit as GitHubClient;
  for (const { full_name: fullName } of args.repositories) {
    const [owner, repo] = fullName.split("/");
    if (owner === undefined || repo === undefined) continue;
    try {
      const outcome = await offerOnboarding({
        client,
        repo: { owner, repo },
        config: service.config,
        workflowsPermission,
      });
      const fields: Record<string, unknown> = { repository: fullName, outcome: outcome.kind };
      if (outcome.kind !== "nothing_missing") fields.files = outcome.files;
      if (outcome.kind === "pull_created" || outcome.kind === "pull_open") fields.pull = outcome.pull.number;
      if (outcome.kind === "links") {
        fields.reason = outcome.reason;
        if (outcome.detail !== undefined) fields.detail = outcome.detail;
      }
      context.log.info(fields, "onboarding at installation");
    } catch (error) {
      // One repository's failure does not stop the others; its first command onboards it again.
      context.log.error(
        { repository: fullName, err: error },
        `onboarding failed: ${describeApiError(error)}`,
      );
    }
  }
}

/** The installation webhooks carry the permissions the installer granted. */
function workflowsPermissionOf(permissions: Record<string, string | undefined>): WorkflowsPermission {
  return permissions.workflows === "write" ? "granted" : "denied";
}
