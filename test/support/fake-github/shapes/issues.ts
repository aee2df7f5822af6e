/** The `issue` shape, with the sub-issue and dependency summaries GitHub adds to it. */
import type { FakeAccount, FakeIssue, FakeRepo } from "../state.js";
import { appShape, nodeId, userShape, type ShapeContext } from "./accounts.js";

export function issueShape(ctx: ShapeContext, issue: FakeIssue): Record<string, unknown> {
  const repo = ctx.state.requireRepo(issue.repo);
  const api = `${ctx.api}/repos/${repo.fullName}`;
  const url = `${api}/issues/${issue.number}`;
  const relations = ctx.state.issueRelations;
  const closed = issue.state === "closed";
  const isClosed = (id: number): boolean => issueById(ctx, id)?.state === "closed";
  const subIssues = relations.subIssues.get(issue.id) ?? [];
  const completed = subIssues.filter(isClosed).length;
  const blockedBy = relations.blockedBy.get(issue.id) ?? [];
  const blocking = relations.blocking(issue.id);
  const parentId = relations.parentOf.get(issue.id);
  const parent = parentId === undefined ? undefined : issueById(ctx, parentId);
  const comments = [...ctx.state.comments.values()].filter(
    (comment) => comment.repo === repo.fullName && comment.issueNumber === issue.number,
  ).length;
  return {
    id: issue.id,
    node_id: nodeId("Issue", issue.id),
    url,
    repository_url: api,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${ctx.web}/${repo.fullName}/issues/${issue.number}`,
    number: issue.number,
    state: closed ? "closed" : "open",
    state_reason: closed ? "completed" : null,
    title: issue.title,
    body: issue.body,
    user: userShape(ctx, issue.user),
    labels: [],
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments,
    closed_at: closed ? issue.createdAt : null,
    created_at: issue.createdAt,
    updated_at: issue.createdAt,
    author_association: association(repo, issue.user),
    performed_via_github_app: issue.viaAppId === undefined ? null : appShape(ctx),
    sub_issues_summary: {
      total: subIssues.length,
      completed,
      percent_completed: subIssues.length === 0 ? 0 : Math.floor((completed * 100) / subIssues.length),
    },
    // `blocked_by`/`blocking` count the open ones, the `total_` fields all of them.
    issue_dependencies_summary: {
      blocked_by: blockedBy.filter((id) => !isClosed(id)).length,
      blocking: blocking.filter((id) => !isClosed(id)).length,
      total_blocked_by: blockedBy.length,
      total_blocking: blocking.length,
    },
    parent_issue_url: parent === undefined ? null : `${ctx.api}/repos/${parent.repo}/issues/${parent.number}`,
    ...(issue.pullRequest
      ? {
          pull_request: {
            url: `${api}/pulls/${issue.number}`,
            html_url: `${ctx.web}/${repo.fullName}/pull/${issue.number}`,
            diff_url: `${ctx.web}/${repo.fullName}/pull/${issue.number}.diff`,
            patch_url: `${ctx.web}/${repo.fullName}/pull/${issue.number}.patch`,
          },
        }
      : {}),
  };
}

export function issueById(ctx: ShapeContext, id: number): FakeIssue | undefined {
  for (const issue of ctx.state.issues.values()) if (issue.id === id) return issue;
  return undefined;
}

function association(repo: FakeRepo, user: FakeAccount): string {
  if (user.login === repo.owner.login) return "OWNER";
  const permission = repo.permissions.get(user.login);
  return permission === undefined || permission === "none" || permission === "read" ? "NONE" : "COLLABORATOR";
}
