/**
 * JSON shapes of accounts, apps, installations and repositories, as GitHub's REST API renders
 * them (every field the OpenAPI description marks required, with GitHub's URL conventions).
 */
import type { FakeAccount, FakeGitHubState, FakeInstallation, FakeRepo } from "../state.js";

export interface ShapeContext {
  /** API base, e.g. `http://127.0.0.1:4000/api/v3`. */
  readonly api: string;
  /** What `html_url`s point at, e.g. `http://127.0.0.1:4000`. */
  readonly web: string;
  readonly state: FakeGitHubState;
}

export function nodeId(kind: string, id: number): string {
  return Buffer.from(`0:${kind}${id}`).toString("base64");
}

export function userShape(ctx: ShapeContext, account: FakeAccount): Record<string, unknown> {
  const url = `${ctx.api}/users/${encodeURIComponent(account.login)}`;
  return {
    login: account.login,
    id: account.id,
    node_id: nodeId(account.type, account.id),
    avatar_url: `${ctx.web}/avatars/u/${account.id}?v=4`,
    gravatar_id: "",
    url,
    html_url: `${ctx.web}/${encodeURIComponent(account.login)}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: account.type,
    user_view_type: "public",
    site_admin: false,
  };
}

export function appShape(ctx: ShapeContext): Record<string, unknown> {
  const app = ctx.state.app;
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId("Integration", app.id),
    client_id: `Iv1.${app.id.toString(16).padStart(16, "0")}`,
    owner: userShape(ctx, app.owner),
    name: app.name,
    description: "Runs a dependency graph of coding tasks as workflow runs.",
    external_url: `${ctx.web}/apps/${app.slug}/home`,
    html_url: `${ctx.web}/apps/${app.slug}`,
    created_at: "2025-01-01T00:00:00Z",
    updated_at: "2025-01-01T00:00:00Z",
    permissions: { ...app.permissions, metadata: "read" },
    events: [...app.events],
    installations_count: ctx.state.installations.size,
  };
}

export function installationShape(
  ctx: ShapeContext,
  installation: FakeInstallation,
): Record<string, unknown> {
  const app = ctx.state.app;
  return {
    id: installation.id,
    client_id: `Iv1.${app.id.toString(16).padStart(16, "0")}`,
    account: userShape(ctx, installation.account),
    repository_selection: "all",
    access_tokens_url: `${ctx.api}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${ctx.api}/installation/repositories`,
    html_url: `${ctx.web}/organizations/${installation.account.login}/settings/installations/${installation.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: installation.account.id,
    target_type: installation.account.type,
    permissions: { ...app.permissions, metadata: "read" },
    events: [...app.events],
    created_at: installation.createdAt,
    updated_at: installation.createdAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}

/** `minimal-repository`: what workflow runs and many lists embed. */
export function minimalRepositoryShape(ctx: ShapeContext, repo: FakeRepo): Record<string, unknown> {
  const url = `${ctx.api}/repos/${repo.fullName}`;
  return {
    id: repo.id,
    node_id: nodeId("Repository", repo.id),
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    owner: userShape(ctx, repo.owner),
    html_url: `${ctx.web}/${repo.fullName}`,
    description: null,
    fork: false,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    hooks_url: `${url}/hooks`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
  };
}

/** `full-repository` (`GET /repos/{owner}/{repo}`); also satisfies `repository` (PR heads/bases). */
export function fullRepositoryShape(ctx: ShapeContext, repo: FakeRepo): Record<string, unknown> {
  const host = new URL(ctx.web).host;
  const head = ctx.state.resolveCommit(repo, repo.defaultBranch);
  return {
    ...minimalRepositoryShape(ctx, repo),
    clone_url: `${ctx.web}/${repo.fullName}.git`,
    git_url: `git://${host}/${repo.fullName}.git`,
    ssh_url: `git@${host}:${repo.fullName}.git`,
    svn_url: `${ctx.web}/${repo.fullName}`,
    mirror_url: null,
    homepage: null,
    language: "TypeScript",
    default_branch: repo.defaultBranch,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 1,
    open_issues: 0,
    open_issues_count: 0,
    network_count: 0,
    subscribers_count: 1,
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    is_template: false,
    visibility: repo.private ? "private" : "public",
    license: null,
    topics: [],
    allow_forking: true,
    web_commit_signoff_required: false,
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    pushed_at: head?.date ?? repo.createdAt,
    created_at: repo.createdAt,
    updated_at: head?.date ?? repo.createdAt,
  };
}
