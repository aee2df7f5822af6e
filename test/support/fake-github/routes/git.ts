/**
 * Git references and objects. `POST .../git/refs` is create-if-absent: GitHub answers 422
 * "Reference already exists" when the ref is there, which the App uses as its cross-process
 * exactly-once claim. `POST .../git/trees` and `.../git/commits` make objects no ref points at
 * yet; a tree that adds or changes a file under `.github/workflows/` is refused to an installation
 * without the `workflows: write` permission, as GitHub does (403 "Resource not accessible by
 * integration", the answer reported in anthropics/claude-code-action#29).
 */
import {
  blobSha,
  branchShape,
  commitShape,
  contentEntryShape,
  contentFileShape,
  gitCommitShape,
  gitRefShape,
  gitTreeShape,
} from "../shapes/git.js";
import { sha1, treeShaOf, type FakeRepo } from "../state.js";
import { actorOf, FakeHttpError, notFound, repoOf, stringField, type RouteTable } from "./route-types.js";

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

  "POST /repos/{owner}/{repo}/git/trees": (request) => {
    const repo = repoOf(request);
    const baseSha = stringField(request.body, "base_tree");
    const base = baseSha === undefined ? new Map<string, string>() : treeFiles(repo, baseSha);
    if (base === undefined) throw new FakeHttpError(422, "base_tree is not a valid tree oid");
    const files = new Map(base);
    const entries = Array.isArray(request.body.tree) ? (request.body.tree as Record<string, unknown>[]) : [];
    for (const entry of entries) {
      const path = stringField(entry, "path") ?? "";
      if (entry.type !== "blob") throw new FakeHttpError(501, "the fake makes trees of blobs only");
      if (entry.sha === null) files.delete(path);
      else {
        const content = stringField(entry, "content") ?? blobContent(repo, stringField(entry, "sha") ?? "");
        if (content === undefined) throw new FakeHttpError(422, "tree.sha is not a valid blob");
        files.set(path, content);
      }
      const changesWorkflow = path.startsWith(".github/workflows/") && base.get(path) !== files.get(path);
      if (
        changesWorkflow &&
        request.auth.kind === "installation" &&
        request.ctx.state.app.permissions.workflows !== "write"
      ) {
        throw new FakeHttpError(403, "Resource not accessible by integration");
      }
    }
    const sha = treeShaOf(files);
    repo.trees.set(sha, files);
    return { status: 201, body: gitTreeShape(request.ctx, repo, sha, files) };
  },

  "POST /repos/{owner}/{repo}/git/commits": (request) => {
    const repo = repoOf(request);
    const treeSha = stringField(request.body, "tree") ?? "";
    const files = treeFiles(repo, treeSha);
    if (files === undefined) throw new FakeHttpError(422, "Tree SHA does not exist");
    const parents = Array.isArray(request.body.parents) ? request.body.parents.map(String) : [];
    for (const parent of parents) {
      if (!repo.commits.has(parent))
        throw new FakeHttpError(422, "Parent SHA does not exist or is not a commit object");
    }
    const state = request.ctx.state;
    const message = stringField(request.body, "message") ?? "";
    const date = state.timestamp();
    const sha = sha1(`${treeSha}\n${parents.join(",")}\n${message}\n${date}\n${state.id()}`);
    const commit = { sha, treeSha, message, parents, files: new Map(files), date };
    repo.commits.set(sha, commit);
    const actor = actorOf(request, repo);
    return {
      status: 201,
      body: gitCommitShape(request.ctx, repo, commit, {
        name: actor.login,
        email: `${actor.id}+${actor.login}@users.noreply.example`,
      }),
      headers: { location: `${request.ctx.api}/repos/${repo.fullName}/git/commits/${sha}` },
    };
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

/** The files of a tree: one made with `POST .../git/trees`, or a commit's. */
function treeFiles(repo: FakeRepo, sha: string): ReadonlyMap<string, string> | undefined {
  const made = repo.trees.get(sha);
  if (made !== undefined) return made;
  for (const commit of repo.commits.values()) if (commit.treeSha === sha) return commit.files;
  return undefined;
}

/** A blob's content by its sha, from any file of any commit. */
function blobContent(repo: FakeRepo, sha: string): string | undefined {
  for (const commit of repo.commits.values()) {
    for (const content of commit.files.values()) if (blobSha(content) === sha) return content;
  }
  return undefined;
}

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
