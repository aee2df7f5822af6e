/**
 * Pull requests, issue comments and reactions. Pull requests are issues too: they share the
 * repository's number sequence and take comments through the issues API.
 */
import { issueCommentShape, pullRequestShape, reactionShape } from "../shapes/conversations.js";
import {
  issueKey,
  type FakeIssue,
  type FakeIssueComment,
  type FakePullRequest,
  type FakeRepo,
} from "../state.js";
import {
  actorOf,
  FakeHttpError,
  intParam,
  notFound,
  paginate,
  repoOf,
  stringField,
  type RouteRequest,
  type RouteTable,
} from "./route-types.js";

const MAX_COMMENT_CHARS = 65_536;

export const conversationRoutes: RouteTable = {
  // `head` must be `owner:branch`; GitHub ignores a bare branch name (a common trap), and so
  // does the fake.
  "GET /repos/{owner}/{repo}/pulls": (request) => {
    const repo = repoOf(request);
    const q = request.query;
    const wanted = q.get("state") ?? "open";
    const head = q.get("head");
    const [headOwner, headBranch] =
      head !== null && head.includes(":") ? head.split(/:(.*)/s) : [undefined, undefined];
    const direction = q.get("direction") ?? ((q.get("sort") ?? "created") === "created" ? "desc" : "asc");
    const pulls = [...request.ctx.state.pulls.values()]
      .filter((pull) => pull.repo === repo.fullName)
      .filter((pull) => wanted === "all" || pull.state === wanted)
      .filter(
        (pull) =>
          headBranch === undefined || (sameLogin(headOwner, repo.owner.login) && pull.head === headBranch),
      )
      .filter((pull) => q.get("base") === null || pull.base === q.get("base"))
      .sort((a, b) => (direction === "desc" ? b.number - a.number : a.number - b.number));
    const { page, headers } = paginate({ items: pulls, request, path: `/repos/${repo.fullName}/pulls` });
    return {
      status: 200,
      headers,
      body: page.map((pull) => pullRequestShape({ ctx: request.ctx, repo, pull, full: false })),
    };
  },

  "POST /repos/{owner}/{repo}/pulls": (request) => {
    const repo = repoOf(request);
    const state = request.ctx.state;
    const rawHead = stringField(request.body, "head") ?? "";
    const head = rawHead.includes(":") ? rawHead.slice(rawHead.indexOf(":") + 1) : rawHead;
    const base = stringField(request.body, "base") ?? "";
    const headSha = repo.refs.get(`refs/heads/${head}`);
    const baseSha = repo.refs.get(`refs/heads/${base}`);
    if (headSha === undefined) throw validationFailed({ field: "head", code: "invalid" });
    if (baseSha === undefined) throw validationFailed({ field: "base", code: "invalid" });
    const existing = [...state.pulls.values()].find(
      (pull) =>
        pull.repo === repo.fullName && pull.state === "open" && pull.head === head && pull.base === base,
    );
    if (existing !== undefined) {
      throw validationFailed({
        code: "custom",
        message: `A pull request already exists for ${repo.owner.login}:${head}.`,
      });
    }
    if (headSha === baseSha)
      throw validationFailed({ code: "custom", message: `No commits between ${base} and ${head}` });
    const now = state.timestamp();
    const pull: FakePullRequest = {
      id: state.id(),
      number: repo.nextNumber++,
      repo: repo.fullName,
      user: actorOf(request, repo),
      createdAt: now,
      title: stringField(request.body, "title") ?? "",
      body: stringField(request.body, "body") ?? null,
      head,
      base,
      state: "open",
      draft: request.body.draft === true,
      merged: false,
      mergedAt: null,
      closedAt: null,
      updatedAt: now,
    };
    state.pulls.set(issueKey(repo.fullName, pull.number), pull);
    state.issues.set(issueKey(repo.fullName, pull.number), {
      id: state.id(),
      number: pull.number,
      repo: repo.fullName,
      user: pull.user,
      createdAt: now,
      pullRequest: true,
      title: pull.title,
      body: pull.body,
    });
    return { status: 201, body: pullRequestShape({ ctx: request.ctx, repo, pull, full: true }) };
  },

  "GET /repos/{owner}/{repo}/pulls/{pull_number}": (request) => {
    const { repo, pull } = findPull(request);
    return { status: 200, body: pullRequestShape({ ctx: request.ctx, repo, pull, full: true }) };
  },

  "PATCH /repos/{owner}/{repo}/pulls/{pull_number}": (request) => {
    const { repo, pull } = findPull(request);
    const body = request.body;
    pull.title = stringField(body, "title") ?? pull.title;
    pull.body = stringField(body, "body") ?? pull.body;
    const base = stringField(body, "base");
    if (base !== undefined) {
      if (!repo.refs.has(`refs/heads/${base}`)) throw validationFailed({ field: "base", code: "invalid" });
      pull.base = base;
    }
    const newState = stringField(body, "state");
    if (newState === "open" || newState === "closed") {
      pull.state = newState;
      pull.closedAt = newState === "closed" ? request.ctx.state.timestamp() : null;
    }
    pull.updatedAt = request.ctx.state.timestamp();
    return { status: 200, body: pullRequestShape({ ctx: request.ctx, repo, pull, full: true }) };
  },

  "POST /repos/{owner}/{repo}/issues/{issue_number}/comments": (request) => {
    const { repo, issue } = findIssue(request);
    const state = request.ctx.state;
    const text = checkedBody(request);
    const now = state.timestamp();
    const comment: FakeIssueComment = {
      id: state.id(),
      repo: repo.fullName,
      issueNumber: issue.number,
      user: actorOf(request, repo),
      createdAt: now,
      viaAppId: request.auth.kind === "installation" ? state.app.id : undefined,
      body: text,
      updatedAt: now,
    };
    state.comments.set(comment.id, comment);
    return {
      status: 201,
      body: issueCommentShape(request.ctx, repo, comment),
      headers: { location: `${request.ctx.api}/repos/${repo.fullName}/issues/comments/${comment.id}` },
    };
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}/comments": (request) => {
    const { repo, issue } = findIssue(request);
    const comments = [...request.ctx.state.comments.values()]
      .filter((c) => c.repo === repo.fullName && c.issueNumber === issue.number)
      .sort((a, b) => a.id - b.id);
    const { page, headers } = paginate({
      items: comments,
      request,
      path: `/repos/${repo.fullName}/issues/${issue.number}/comments`,
    });
    return { status: 200, headers, body: page.map((c) => issueCommentShape(request.ctx, repo, c)) };
  },

  "GET /repos/{owner}/{repo}/issues/comments/{comment_id}": (request) => {
    const { repo, comment } = findComment(request);
    return { status: 200, body: issueCommentShape(request.ctx, repo, comment) };
  },

  "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}": (request) => {
    const { repo, comment } = findComment(request);
    comment.body = checkedBody(request);
    comment.updatedAt = request.ctx.state.timestamp();
    return { status: 200, body: issueCommentShape(request.ctx, repo, comment) };
  },

  // Reacting twice with the same content is idempotent: GitHub answers 200 with the existing one.
  "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions": (request) => {
    const { repo, comment } = findComment(request);
    const state = request.ctx.state;
    const content = stringField(request.body, "content") ?? "";
    const user = actorOf(request, repo);
    const existing = [...state.reactions.values()].find(
      (r) => r.commentId === comment.id && r.content === content && r.user.login === user.login,
    );
    if (existing !== undefined) return { status: 200, body: reactionShape(request.ctx, existing) };
    const reaction = { id: state.id(), commentId: comment.id, content, user, createdAt: state.timestamp() };
    state.reactions.set(reaction.id, reaction);
    return { status: 201, body: reactionShape(request.ctx, reaction) };
  },

  "GET /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions": (request) => {
    const { repo, comment } = findComment(request);
    const content = request.query.get("content");
    const reactions = [...request.ctx.state.reactions.values()]
      .filter((r) => r.commentId === comment.id && (content === null || r.content === content))
      .sort((a, b) => a.id - b.id);
    const { page, headers } = paginate({
      items: reactions,
      request,
      path: `/repos/${repo.fullName}/issues/comments/${comment.id}/reactions`,
    });
    return { status: 200, headers, body: page.map((r) => reactionShape(request.ctx, r)) };
  },
};

function validationFailed(error: { field?: string; code: string; message?: string }): FakeHttpError {
  return new FakeHttpError(422, "Validation Failed", { errors: [{ resource: "PullRequest", ...error }] });
}

function checkedBody(request: RouteRequest): string {
  const text = stringField(request.body, "body") ?? "";
  if ([...text].length > MAX_COMMENT_CHARS) {
    throw new FakeHttpError(422, "Validation Failed", {
      errors: [
        {
          resource: "IssueComment",
          field: "body",
          code: "custom",
          message: `body is too long (maximum is ${MAX_COMMENT_CHARS} characters)`,
        },
      ],
      violation: true,
    });
  }
  return text;
}

function findPull(request: RouteRequest): { repo: FakeRepo; pull: FakePullRequest } {
  const repo = repoOf(request);
  const pull = request.ctx.state.pull(repo.fullName, intParam(request, "pull_number"));
  if (pull === undefined) throw notFound();
  return { repo, pull };
}

function findIssue(request: RouteRequest): { repo: FakeRepo; issue: FakeIssue } {
  const repo = repoOf(request);
  const issue = request.ctx.state.issue(repo.fullName, intParam(request, "issue_number"));
  if (issue === undefined) throw notFound();
  return { repo, issue };
}

function findComment(request: RouteRequest): { repo: FakeRepo; comment: FakeIssueComment } {
  const repo = repoOf(request);
  const comment = request.ctx.state.comments.get(intParam(request, "comment_id"));
  if (comment === undefined || comment.repo !== repo.fullName) throw notFound();
  return { repo, comment };
}

function sameLogin(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}
