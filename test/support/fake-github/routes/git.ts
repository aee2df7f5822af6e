/**
 * Git references. `POST .../git/refs` is create-if-absent: GitHub answers 422 "Reference already
 * exists" when the ref is there, which the App uses as its cross-process exactly-once claim.
 */
import { branchShape, commitShape, contentEntryShape, contentFileShape, gitRefShape } from "../shapes/git.js";
import type { FakeRepo } from "../state.js";
import { FakeHttpError, notFound, repoOf, stringField, type RouteTable } from "./route-types.js";

export const gitRoutes: RouteTable = {
  "POST /repos/{owner}/{repo}/git/refs": (request) => {
    const repo = repoOf(request);
    const ref = stringField(request.body, "ref") ?? "";
    const sha = stringField(request.body, "sha") ?? "";
    if (!/^refs\/[^/]+\/.+/.test(ref)) {
      throw new FakeHttpError(422, "Reference name must start with 'refs/' and have at least two slashes.");
    }
    if (!repo.commits.has(sha)) throw new FakeHttpError(422, "Object does not exist");
    if (repo.refs.has(ref)) throw new FakeHttpError(422, "Reference already exists");
    repo.refs.set(ref, sha);
    return {
      status: 201,
      body: gitRefShape(request.ctx, repo, ref, sha),
      headers: { location: `${request.ctx.api}/repos/${repo.fullName}/git/${ref}` },
    };
  },

  "GET /repos/{owner}/{repo}/git/ref/{ref}": (request) => {
    const repo = repoOf(request);
    const ref = `refs/${request.params.ref ?? ""}`;
    const sha = repo.refs.get(ref);
    if (sha === undefined) throw notFound();
    return { status: 200, body: gitRefShape(request.ctx, repo, ref, sha) };
  },

  // Prefix match; an empty list (not 404) when nothing matches.
  "GET /repos/{owner}/{repo}/git/matching-refs/{ref}": (request) => {
    const repo = repoOf(request);
    const prefix = `refs/${request.params.ref ?? ""}`;
    const matches = [...repo.refs.entries()]
      .filter(([name]) => name.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, sha]) => gitRefShape(request.ctx, repo, name, sha));
    return { status: 200, body: matches };
  },

  "PATCH /repos/{owner}/{repo}/git/refs/{ref}": (request) => {
    const repo = repoOf(request);
    const ref = `refs/${request.params.ref ?? ""}`;
    const current = repo.refs.get(ref);
    if (current === undefined) throw new FakeHttpError(422, "Reference does not exist");
    const sha = stringField(request.body, "sha") ?? "";
    if (!repo.commits.has(sha)) throw new FakeHttpError(422, "Object does not exist");
    if (request.body.force !== true && !isAncestor(repo, current, sha)) {
      throw new FakeHttpError(422, "Update is not a fast forward");
    }
    repo.refs.set(ref, sha);
    return { status: 200, body: gitRefShape(request.ctx, repo, ref, sha) };
  },

  "DELETE /repos/{owner}/{repo}/git/refs/{ref}": (request) => {
    const repo = repoOf(request);
    const ref = `refs/${request.params.ref ?? ""}`;
    if (!repo.refs.delete(ref)) throw new FakeHttpError(422, "Reference does not exist");
    return { status: 204 };
  },

  "GET /repos/{owner}/{repo}/commits/{ref}": (request) => {
    const repo = repoOf(request);
    const commit = request.ctx.state.resolveCommit(repo, request.params.ref ?? "");
    if (commit === undefined)
      throw new FakeHttpError(422, `No commit found for SHA: ${request.params.ref ?? ""}`);
    return { status: 200, body: commitShape(request.ctx, repo, commit) };
  },

  "GET /repos/{owner}/{repo}/branches/{branch}": (request) => {
    const repo = repoOf(request);
    const branch = request.params.branch ?? "";
    const sha = repo.refs.get(`refs/heads/${branch}`);
    const commit = sha === undefined ? undefined : repo.commits.get(sha);
    if (commit === undefined) throw new FakeHttpError(404, "Branch not found");
    return { status: 200, body: branchShape(request.ctx, repo, branch, commit) };
  },

  // A file answers with its base64 content; a folder with its entries; `ref` defaults to the
  // default branch.
  "GET /repos/{owner}/{repo}/contents/{path}": (request) => {
    const repo = repoOf(request);
    const ref = request.query.get("ref") ?? repo.defaultBranch;
    const commit = request.ctx.state.resolveCommit(repo, ref);
    if (commit === undefined) throw new FakeHttpError(404, `No commit found for the ref ${ref}`);
    const path = (request.params.path ?? "").replace(/^\/+|\/+$/g, "");
    const content = commit.files.get(path);
    if (content !== undefined) {
      return { status: 200, body: contentFileShape({ ctx: request.ctx, repo, path, content, ref }) };
    }
    const entries = new Map<string, { kind: "file" | "dir"; content: string }>();
    for (const [file, text] of commit.files) {
      if (!file.startsWith(`${path}/`)) continue;
      const [name, ...rest] = file.slice(path.length + 1).split("/");
      if (name === undefined) continue;
      entries.set(name, rest.length === 0 ? { kind: "file", content: text } : { kind: "dir", content: "" });
    }
    if (entries.size === 0) throw notFound();
    const listing = [...entries.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, entry]) =>
        contentEntryShape({
          ctx: request.ctx,
          repo,
          path: `${path}/${name}`,
          kind: entry.kind,
          content: entry.content,
          ref,
        }),
      );
    return { status: 200, body: listing };
  },
};

function isAncestor(repo: FakeRepo, ancestor: string, descendant: string): boolean {
  const queue = [descendant];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const sha = queue.pop() ?? "";
    if (sha === ancestor) return true;
    if (seen.has(sha)) continue;
    seen.add(sha);
    queue.push(...(repo.commits.get(sha)?.parents ?? []));
  }
  return false;
}
