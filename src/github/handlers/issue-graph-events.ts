import type { Context } from "probot";
import type { GitHubClient, RepoRef } from "../github-client.js";
import type { AppService } from "../app-service.js";
import { logWarnings, wakeSession } from "../sessions/index.js";
import { latestSessionOnIssue } from "./latest-session.js";

/**
 * A sub-issue was added to or removed from an issue (`sub_issues`), or a "blocked by" link
 * changed (`issue_dependencies`): the session of the parent issue, if one runs, reads its graph
 * again and applies the change to the tasks that have not started (sessions/refresh-issue-graph.ts).
 *
 * One link change sends two events (`sub_issue_added` on the parent and `parent_issue_added` on
 * the child; `blocked_by_added` and `blocking_added`): only the first of each pair is followed,
 * the one whose issue is the parent (or a sub-issue of it). The session is found through its
 * status comment on the parent (1 read of the parent's comments); the wake-up then costs what a
 * pass costs plus reading the graph. Events about issues with no parent cost nothing.
 */
export async function handleSubIssues(
  context: Context<"sub_issues.sub_issue_added" | "sub_issues.sub_issue_removed">,
  service: AppService,
): Promise<void> {
  const parent = context.payload.parent_issue;
  // No comment on the parent: no status comment, so no session to wake (and no request).
  if (parent.comments === 0) return;
  const where = issueOf(parent.url);
  if (where === null) return;
  await wakeParentSession({ context, here: context.repo(), service, ...where });
}

export async function handleIssueDependencies(
  context: Context<"issue_dependencies.blocked_by_added" | "issue_dependencies.blocked_by_removed">,
  service: AppService,
): Promise<void> {
  const blocked = context.payload.blocked_issue as { parent_issue_url?: string | null };
  const where = issueOf(blocked.parent_issue_url ?? null);
  if (where === null) return;
  await wakeParentSession({ context, here: context.repo(), service, ...where });
}

async function wakeParentSession(args: {
  context: Pick<Context, "octokit" | "log">;
  /** The repository the event came from. */
  here: RepoRef;
  service: AppService;
  repo: RepoRef;
  issueNumber: number;
}): Promise<void> {
  const { context, service } = args;
  const { here } = args;
  // Only sessions of the repository the event came from (the installation's client acts there).
  if (
    args.repo.owner.toLowerCase() !== here.owner.toLowerCase() ||
    args.repo.repo.toLowerCase() !== here.repo.toLowerCase()
  )
    return;
  const client = context.octokit as GitHubClient;
  const sessionId = await latestSessionOnIssue({
    client,
    repo: here,
    issueNumber: args.issueNumber,
    appId: service.appId,
  });
  if (sessionId === null) return;
  const woken = await wakeSession({
    client,
    sessionId,
    rereadGraph: true,
    config: service.config,
    runtime: service.runtime,
  });
  if (woken) logWarnings(context.log, woken.warnings);
}

/** `owner/repo` and number of an issue's API URL (`…/repos/acme/widgets/issues/12`). */
function issueOf(url: string | null | undefined): { repo: RepoRef; issueNumber: number } | null {
  if (!url) return null;
  const match = /\/repos\/([^/]+)\/([^/]+)\/issues\/([0-9]+)$/.exec(url);
  if (!match) return null;
  return {
    repo: { owner: decodeURIComponent(match[1] as string), repo: decodeURIComponent(match[2] as string) },
    issueNumber: Number(match[3]),
  };
}
