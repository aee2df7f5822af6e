/** Shapes of pull requests, issue comments and reactions. */
import type { FakeAccount, FakeIssueComment, FakePullRequest, FakeReaction, FakeRepo } from "../state.js";
import { appShape, fullRepositoryShape, nodeId, userShape, type ShapeContext } from "./accounts.js";

/** `pull-request-simple` (lists); `full` adds the counters of `pull-request` (`GET` one). */
export function pullRequestShape(input: {
  ctx: ShapeContext;
  repo: FakeRepo;
  pull: FakePullRequest;
  full: boolean;
}): Record<string, unknown> {
  const { ctx, repo, pull, full } = input;
  const api = `${ctx.api}/repos/${repo.fullName}`;
  const url = `${api}/pulls/${pull.number}`;
  const html = `${ctx.web}/${repo.fullName}/pull/${pull.number}`;
  const side = (branch: string): Record<string, unknown> => ({
    label: `${repo.owner.login}:${branch}`,
    ref: branch,
    sha: ctx.state.resolveCommit(repo, branch)?.sha ?? "0000000000000000000000000000000000000000",
    user: userShape(ctx, repo.owner),
    repo: fullRepositoryShape(ctx, repo),
  });
  const headSha = ctx.state.resolveCommit(repo, pull.head)?.sha ?? "";
  const shape: Record<string, unknown> = {
    url,
    id: pull.id,
    node_id: nodeId("PullRequest", pull.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${pull.number}`,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pull.number}/comments`,
    statuses_url: `${api}/statuses/${headSha}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: userShape(ctx, pull.user),
    body: pull.body,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(pull.head),
    base: side(pull.base),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: `${api}/issues/${pull.number}` },
      comments: { href: `${api}/issues/${pull.number}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${api}/statuses/${headSha}` },
    },
    author_association: association(repo, pull.user),
    auto_merge: null,
    draft: pull.draft,
  };
  if (!full) return shape;
  return {
    ...shape,
    merged: pull.merged,
    mergeable: null,
    rebaseable: null,
    mergeable_state: "unknown",
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
}

export function issueCommentShape(
  ctx: ShapeContext,
  repo: FakeRepo,
  comment: FakeIssueComment,
): Record<string, unknown> {
  const api = `${ctx.api}/repos/${repo.fullName}`;
  const counts = reactionCounts(ctx, comment.id);
  return {
    id: comment.id,
    node_id: nodeId("IssueComment", comment.id),
    url: `${api}/issues/comments/${comment.id}`,
    html_url: `${ctx.web}/${repo.fullName}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
    body: comment.body,
    user: userShape(ctx, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    issue_url: `${api}/issues/${comment.issueNumber}`,
    author_association: association(repo, comment.user),
    performed_via_github_app: comment.viaAppId === undefined ? null : appShape(ctx),
    reactions: { url: `${api}/issues/comments/${comment.id}/reactions`, ...counts },
  };
}

export function reactionShape(ctx: ShapeContext, reaction: FakeReaction): Record<string, unknown> {
  return {
    id: reaction.id,
    node_id: nodeId("Reaction", reaction.id),
    user: userShape(ctx, reaction.user),
    content: reaction.content,
    created_at: reaction.createdAt,
  };
}

const REACTIONS = ["+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"] as const;

function reactionCounts(ctx: ShapeContext, commentId: number): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(REACTIONS.map((name) => [name, 0]));
  let total = 0;
  for (const reaction of ctx.state.reactions.values()) {
    if (reaction.commentId !== commentId) continue;
    counts[reaction.content] = (counts[reaction.content] ?? 0) + 1;
    total += 1;
  }
  return { total_count: total, ...counts };
}

function association(repo: FakeRepo, user: FakeAccount): string {
  if (user.login === repo.owner.login) return "OWNER";
  const permission = repo.permissions.get(user.login);
  return permission === undefined || permission === "none" || permission === "read" ? "NONE" : "COLLABORATOR";
}
