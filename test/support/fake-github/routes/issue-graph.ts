/**
 * Issues, sub-issues and issue dependencies ("blocked by" / "blocking"). Links are made by
 * database id (`sub_issue_id`, `issue_id`), not by number, as on GitHub.
 */
import { issueById, issueShape } from "../shapes/issues.js";
import type { FakeIssue, FakeRepo } from "../state.js";
import {
  actorOf,
  FakeHttpError,
  intParam,
  notFound,
  paginate,
  repoOf,
  type RouteRequest,
  type RouteTable,
} from "./route-types.js";

export const issueGraphRoutes: RouteTable = {
  // GitHub's limits: a title of at most 256 characters, a body of at most 65,536.
  "POST /repos/{owner}/{repo}/issues": (request) => {
    const repo = repoOf(request);
    const { title, body } = request.body;
    if (typeof title !== "string" || title.trim() === "") throw validationFailed("title is missing");
    if (title.length > 256) throw validationFailed("title is too long (maximum is 256 characters)");
    if (typeof body === "string" && body.length > 65_536)
      throw validationFailed("body is too long (maximum is 65536 characters)");
    const state = request.ctx.state;
    const issue = state.addIssue({
      repo: repo.fullName,
      title,
      ...(typeof body === "string" ? { body } : {}),
      user: actorOf(request, repo).login,
    });
    if (request.auth.kind === "installation") issue.viaAppId = state.app.id;
    return {
      status: 201,
      body: issueShape(request.ctx, issue),
      headers: { location: `${request.ctx.api}/repos/${repo.fullName}/issues/${issue.number}` },
    };
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}": (request) => {
    const { issue } = findIssue(request);
    return { status: 200, body: issueShape(request.ctx, issue) };
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}/sub_issues": (request) => {
    const { repo, issue } = findIssue(request);
    return listOf({
      request,
      ids: request.ctx.state.issueRelations.subIssues.get(issue.id) ?? [],
      path: `/repos/${repo.fullName}/issues/${issue.number}/sub_issues`,
    });
  },

  "POST /repos/{owner}/{repo}/issues/{issue_number}/sub_issues": (request) => {
    const { issue } = findIssue(request);
    const child = linkedIssue(request, "sub_issue_id");
    const relations = request.ctx.state.issueRelations;
    const refusal = relations.subIssueRefusal(issue, child, request.body.replace_parent === true);
    if (refusal !== undefined) throw validationFailed(refusal);
    relations.addSubIssue(issue, child, request.body.replace_parent === true);
    return {
      status: 201,
      body: issueShape(request.ctx, child),
      headers: { location: `${request.ctx.api}/repos/${child.repo}/issues/${child.number}` },
    };
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by": (request) => {
    const { repo, issue } = findIssue(request);
    return listOf({
      request,
      ids: request.ctx.state.issueRelations.blockedBy.get(issue.id) ?? [],
      path: `/repos/${repo.fullName}/issues/${issue.number}/dependencies/blocked_by`,
    });
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocking": (request) => {
    const { repo, issue } = findIssue(request);
    return listOf({
      request,
      ids: request.ctx.state.issueRelations.blocking(issue.id),
      path: `/repos/${repo.fullName}/issues/${issue.number}/dependencies/blocking`,
    });
  },

  // The answer is the blocking issue that was added.
  "POST /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by": (request) => {
    const { repo, issue } = findIssue(request);
    const blocker = linkedIssue(request, "issue_id");
    const relations = request.ctx.state.issueRelations;
    const refusal = relations.blockedByRefusal(issue, blocker);
    if (refusal !== undefined) throw validationFailed(refusal);
    relations.addBlockedBy(issue, blocker);
    return {
      status: 201,
      body: issueShape(request.ctx, blocker),
      headers: {
        location: `${request.ctx.api}/repos/${repo.fullName}/issues/${issue.number}/dependencies/blocked_by`,
      },
    };
  },
};

function listOf(args: { request: RouteRequest; ids: readonly number[]; path: string }) {
  const { request } = args;
  // An issue the caller cannot see (another installation's repository) is left out.
  const issues = args.ids
    .map((id) => issueById(request.ctx, id))
    .filter((issue): issue is FakeIssue => issue !== undefined && visible(request, issue));
  const { page, headers } = paginate({ items: issues, request, path: args.path });
  return { status: 200, headers, body: page.map((issue) => issueShape(request.ctx, issue)) };
}

function visible(request: RouteRequest, issue: FakeIssue): boolean {
  if (request.auth.kind !== "installation") return true;
  return request.ctx.state.repo(issue.repo)?.installationId === request.auth.installationId;
}

/** The issue named by `field` (a database id) of the body; GitHub answers 404 for an unknown one. */
function linkedIssue(request: RouteRequest, field: string): FakeIssue {
  const id = request.body[field];
  const issue = typeof id === "number" ? issueById(request.ctx, id) : undefined;
  if (issue === undefined || !visible(request, issue)) throw notFound();
  return issue;
}

function findIssue(request: RouteRequest): { repo: FakeRepo; issue: FakeIssue } {
  const repo = repoOf(request);
  const issue = request.ctx.state.issue(repo.fullName, intParam(request, "issue_number"));
  if (issue === undefined) throw notFound();
  return { repo, issue };
}

function validationFailed(message: string): FakeHttpError {
  return new FakeHttpError(422, "Validation Failed", {
    errors: [{ resource: "Issue", code: "custom", message }],
  });
}
