/** Shapes of commits, refs, branches and file contents. */
import type { FakeCommit, FakeRepo } from "../state.js";
import { sha1 } from "../state.js";
import { userShape, type ShapeContext } from "./accounts.js";

export function gitRefShape(
  ctx: ShapeContext,
  repo: FakeRepo,
  ref: string,
  sha: string,
): Record<string, unknown> {
  return {
    ref,
    node_id: Buffer.from(`0:Ref${repo.id}:${ref}`).toString("base64"),
    url: `${ctx.api}/repos/${repo.fullName}/git/${ref}`,
    object: { type: "commit", sha, url: `${ctx.api}/repos/${repo.fullName}/git/commits/${sha}` },
  };
}

/** `commit` (`GET /repos/{owner}/{repo}/commits/{ref}`). */
export function commitShape(ctx: ShapeContext, repo: FakeRepo, commit: FakeCommit): Record<string, unknown> {
  const url = `${ctx.api}/repos/${repo.fullName}/commits/${commit.sha}`;
  const gitUser = {
    name: repo.owner.login,
    email: `${repo.owner.login}@users.noreply.example`,
    date: commit.date,
  };
  return {
    url,
    sha: commit.sha,
    node_id: Buffer.from(`0:Commit${repo.id}:${commit.sha}`).toString("base64"),
    html_url: `${ctx.web}/${repo.fullName}/commit/${commit.sha}`,
    comments_url: `${url}/comments`,
    commit: {
      url: `${ctx.api}/repos/${repo.fullName}/git/commits/${commit.sha}`,
      author: gitUser,
      committer: gitUser,
      message: commit.message,
      comment_count: 0,
      tree: { sha: commit.treeSha, url: `${ctx.api}/repos/${repo.fullName}/git/trees/${commit.treeSha}` },
      verification: {
        verified: false,
        reason: "unsigned",
        signature: null,
        payload: null,
        verified_at: null,
      },
    },
    author: userShape(ctx, repo.owner),
    committer: userShape(ctx, repo.owner),
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${ctx.api}/repos/${repo.fullName}/commits/${sha}`,
      html_url: `${ctx.web}/${repo.fullName}/commit/${sha}`,
    })),
    files: [],
    stats: { additions: 0, deletions: 0, total: 0 },
  };
}

/** `branch-with-protection` (`GET /repos/{owner}/{repo}/branches/{branch}`), unprotected. */
export function branchShape(
  ctx: ShapeContext,
  repo: FakeRepo,
  branch: string,
  commit: FakeCommit,
): Record<string, unknown> {
  const url = `${ctx.api}/repos/${repo.fullName}/branches/${branch}`;
  return {
    name: branch,
    commit: commitShape(ctx, repo, commit),
    _links: { self: url, html: `${ctx.web}/${repo.fullName}/tree/${branch}` },
    protected: false,
    protection: {
      enabled: false,
      required_status_checks: { enforcement_level: "off", contexts: [], checks: [] },
    },
    protection_url: `${url}/protection`,
  };
}

/** Git's blob id, so `sha` in contents answers matches what real git would compute. */
export function blobSha(content: string): string {
  return sha1(`blob ${Buffer.byteLength(content, "utf8")}\0${content}`);
}

/** `content-file` (`GET /repos/{owner}/{repo}/contents/{path}` on a file). */
export function contentFileShape(input: {
  ctx: ShapeContext;
  repo: FakeRepo;
  path: string;
  content: string;
  ref: string;
}): Record<string, unknown> {
  const { ctx, repo, path, content, ref } = input;
  const sha = blobSha(content);
  const url = `${ctx.api}/repos/${repo.fullName}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const gitUrl = `${ctx.api}/repos/${repo.fullName}/git/blobs/${sha}`;
  const htmlUrl = `${ctx.web}/${repo.fullName}/blob/${ref}/${path}`;
  return {
    type: "file",
    encoding: "base64",
    size: Buffer.byteLength(content, "utf8"),
    name: path.split("/").pop() ?? path,
    path,
    // GitHub wraps base64 content at 60 characters with "\n", which clients must tolerate.
    content:
      (
        Buffer.from(content, "utf8")
          .toString("base64")
          .match(/.{1,60}/g) ?? []
      ).join("\n") + "\n",
    sha,
    url,
    git_url: gitUrl,
    html_url: htmlUrl,
    download_url: `${ctx.web}/raw/${repo.fullName}/${ref}/${path}`,
    _links: { self: url, git: gitUrl, html: htmlUrl },
  };
}

/** An entry of `content-directory` (contents of a folder). */
export function contentEntryShape(input: {
  ctx: ShapeContext;
  repo: FakeRepo;
  path: string;
  kind: "file" | "dir";
  content: string;
  ref: string;
}): Record<string, unknown> {
  const { ctx, repo, path, kind, ref } = input;
  const sha = kind === "file" ? blobSha(input.content) : sha1(`tree ${path}`);
  const url = `${ctx.api}/repos/${repo.fullName}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const gitUrl = `${ctx.api}/repos/${repo.fullName}/git/${kind === "file" ? "blobs" : "trees"}/${sha}`;
  const htmlUrl = `${ctx.web}/${repo.fullName}/${kind === "file" ? "blob" : "tree"}/${ref}/${path}`;
  return {
    type: kind,
    size: kind === "file" ? Buffer.byteLength(input.content, "utf8") : 0,
    name: path.split("/").pop() ?? path,
    path,
    sha,
    url,
    git_url: gitUrl,
    html_url: htmlUrl,
    download_url: kind === "file" ? `${ctx.web}/raw/${repo.fullName}/${ref}/${path}` : null,
    _links: { self: url, git: gitUrl, html: htmlUrl },
  };
}

/**
 * `git-tree` (`POST /repos/{owner}/{repo}/git/trees`): the top level of the tree, folders as
 * `tree` entries (their sha derived from their files), files as blobs.
 */
export function gitTreeShape(
  ctx: ShapeContext,
  repo: FakeRepo,
  sha: string,
  files: ReadonlyMap<string, string>,
): Record<string, unknown> {
  const entries = new Map<string, Record<string, unknown>>();
  for (const [path, content] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const [name = path, ...rest] = path.split("/");
    if (entries.has(name)) continue;
    const folder = rest.length > 0;
    const entrySha = folder ? sha1(`tree ${sha} ${name}`) : blobSha(content);
    entries.set(name, {
      path: name,
      mode: folder ? "040000" : "100644",
      type: folder ? "tree" : "blob",
      sha: entrySha,
      ...(folder ? {} : { size: Buffer.byteLength(content, "utf8") }),
      url: `${ctx.api}/repos/${repo.fullName}/git/${folder ? "trees" : "blobs"}/${entrySha}`,
    });
  }
  return {
    sha,
    url: `${ctx.api}/repos/${repo.fullName}/git/trees/${sha}`,
    truncated: false,
    tree: [...entries.values()],
  };
}

/** `git-commit` (`POST /repos/{owner}/{repo}/git/commits`), made by `author`. */
export function gitCommitShape(
  ctx: ShapeContext,
  repo: FakeRepo,
  commit: FakeCommit,
  author: { name: string; email: string },
): Record<string, unknown> {
  const gitUser = { ...author, date: commit.date };
  return {
    sha: commit.sha,
    node_id: Buffer.from(`0:GitCommit${repo.id}:${commit.sha}`).toString("base64"),
    url: `${ctx.api}/repos/${repo.fullName}/git/commits/${commit.sha}`,
    html_url: `${ctx.web}/${repo.fullName}/commit/${commit.sha}`,
    author: gitUser,
    committer: gitUser,
    tree: { sha: commit.treeSha, url: `${ctx.api}/repos/${repo.fullName}/git/trees/${commit.treeSha}` },
    message: commit.message,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${ctx.api}/repos/${repo.fullName}/git/commits/${sha}`,
      html_url: `${ctx.web}/${repo.fullName}/commit/${sha}`,
    })),
    verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
  };
}
