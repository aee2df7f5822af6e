/**
 * The fake's world: accounts, installations, repositories with commits and refs, check runs,
 * workflow runs, pull requests, issues, comments, reactions and hook deliveries. Plain data in
 * maps, inspectable by tests; the seeding helpers below are what a test uses to set the scene.
 */
import { createHash, randomBytes, type KeyObject } from "node:crypto";
import { FakeIssueRelations } from "./issue-relations.js";

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface FakeAccount {
  readonly login: string;
  readonly id: number;
  readonly type: "User" | "Organization" | "Bot";
}

export interface FakeApp {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly owner: FakeAccount;
  /** The `<slug>[bot]` account that writes made with an installation token appear to come from. */
  readonly bot: FakeAccount;
  readonly events: readonly string[];
  /**
   * The installation's permissions (every installation of the fake grants the same). Tests may
   * change them: without `workflows: write`, a write under `.github/workflows/` is refused.
   */
  readonly permissions: Record<string, string>;
}

export interface FakeCommit {
  readonly sha: string;
  readonly treeSha: string;
  readonly message: string;
  readonly parents: readonly string[];
  /** Full tree at this commit: path → UTF-8 content. */
  readonly files: ReadonlyMap<string, string>;
  readonly date: string;
}

export interface FakeRepo {
  readonly id: number;
  readonly owner: FakeAccount;
  readonly name: string;
  readonly fullName: string;
  readonly private: boolean;
  readonly defaultBranch: string;
  readonly createdAt: string;
  readonly installationId: number;
  readonly commits: Map<string, FakeCommit>;
  /** Trees made with `POST .../git/trees` (tree sha → path → content); commits' own trees are found by `treeSha`. */
  readonly trees: Map<string, ReadonlyMap<string, string>>;
  /** Full ref name (`refs/heads/main`) → commit sha. */
  readonly refs: Map<string, string>;
  readonly permissions: Map<string, Permission>;
  /** Workflow file path → stable workflow id (assigned the first time it is seen). */
  readonly workflowIds: Map<string, number>;
  nextNumber: number;
}

export interface FakeCheckRun {
  readonly id: number;
  readonly repo: string;
  readonly headSha: string;
  readonly appId: number;
  readonly checkSuiteId: number;
  name: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion: string | null;
  startedAt: string;
  completedAt: string | null;
  externalId: string;
  detailsUrl: string | null;
  output: { title: string | null; summary: string | null; text: string | null; annotationsCount: number };
  /** Annotations sent with `output.annotations`, in order. */
  annotations: FakeAnnotation[];
  actions: { label: string; description: string; identifier: string }[];
}

export interface FakeAnnotation {
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly level: "notice" | "warning" | "failure";
  readonly title: string | null;
  readonly message: string;
}

/**
 * A job of a workflow run. As on GitHub, a job is also a check run: its id is the check run id
 * that `GET .../check-runs/{id}/annotations` takes, and a failure's annotations hang on it.
 */
export interface FakeWorkflowJob {
  readonly id: number;
  readonly runId: number;
  readonly repo: string;
  readonly name: string;
  readonly labels: readonly string[];
  readonly createdAt: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  startedAt: string;
  completedAt: string | null;
  annotations: FakeAnnotation[];
}

export interface FakeWorkflowRun {
  readonly id: number;
  readonly repo: string;
  readonly workflowId: number;
  readonly workflowPath: string;
  readonly workflowName: string;
  readonly runNumber: number;
  readonly displayTitle: string;
  readonly event: string;
  readonly headBranch: string;
  readonly headSha: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly actor: FakeAccount;
  readonly checkSuiteId: number;
  readonly createdAt: string;
  runAttempt: number;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  updatedAt: string;
  runStartedAt: string;
}

export interface FakePullRequest {
  readonly id: number;
  readonly number: number;
  readonly repo: string;
  readonly user: FakeAccount;
  readonly createdAt: string;
  title: string;
  body: string | null;
  head: string;
  base: string;
  state: "open" | "closed";
  draft: boolean;
  merged: boolean;
  mergedAt: string | null;
  closedAt: string | null;
  updatedAt: string;
}

export interface FakeIssue {
  readonly id: number;
  readonly number: number;
  readonly repo: string;
  readonly user: FakeAccount;
  readonly createdAt: string;
  readonly pullRequest: boolean;
  title: string;
  body: string | null;
  /** Absent means open. */
  state?: "open" | "closed" | undefined;
  /** Set when the issue was created with an installation token (`performed_via_github_app`). */
  viaAppId?: number | undefined;
}

export interface FakeIssueComment {
  readonly id: number;
  readonly repo: string;
  readonly issueNumber: number;
  readonly user: FakeAccount;
  readonly createdAt: string;
  /** Set when the comment was written with an installation token. */
  readonly viaAppId: number | undefined;
  body: string;
  updatedAt: string;
}

export interface FakeReaction {
  readonly id: number;
  readonly commentId: number;
  readonly content: string;
  readonly user: FakeAccount;
  readonly createdAt: string;
}

export interface FakeInstallation {
  readonly id: number;
  readonly account: FakeAccount;
  readonly createdAt: string;
}

export interface FakeInstallationToken {
  readonly token: string;
  readonly installationId: number;
  readonly expiresAt: string;
}

export interface FakeHookDelivery {
  readonly id: number;
  readonly guid: string;
  readonly event: string;
  readonly action: string | null;
  readonly deliveredAt: string;
  readonly redelivery: boolean;
  readonly statusCode: number;
  readonly installationId: number | null;
  readonly repositoryId: number | null;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface AddRepoInput {
  /** `owner/name` */
  readonly fullName: string;
  readonly defaultBranch?: string;
  readonly files?: Readonly<Record<string, string>>;
  readonly private?: boolean;
  readonly ownerType?: "User" | "Organization";
}

export interface CommitFilesInput {
  readonly repo: string;
  readonly branch: string;
  /** Files to add or replace; `null` deletes the file. */
  readonly files: Readonly<Record<string, string | null>>;
  readonly message?: string;
}

export interface FakeStateOptions {
  readonly now: () => Date;
  readonly app?: { readonly id?: number; readonly slug?: string; readonly name?: string };
}

export class FakeGitHubState {
  readonly app: FakeApp;
  readonly accounts = new Map<string, FakeAccount>();
  readonly installations = new Map<number, FakeInstallation>();
  readonly tokens = new Map<string, FakeInstallationToken>();
  readonly repos = new Map<string, FakeRepo>();
  readonly checkRuns = new Map<number, FakeCheckRun>();
  readonly workflowRuns = new Map<number, FakeWorkflowRun>();
  readonly workflowJobs = new Map<number, FakeWorkflowJob>();
  readonly pulls = new Map<string, FakePullRequest>();
  readonly issues = new Map<string, FakeIssue>();
  readonly comments = new Map<number, FakeIssueComment>();
  readonly reactions = new Map<number, FakeReaction>();
  readonly hookDeliveries: FakeHookDelivery[] = [];
  /** Sub-issues and "blocked by" links, by issue database id (`issue-relations.ts`). */
  readonly issueRelations = new FakeIssueRelations();
  /** Codes of the manifest flow not yet exchanged (`POST /app-manifests/{code}/conversions`). */
  readonly manifestCodes = new Set<string>();
  /** Once the manifest flow handed out the App's key: JWTs must be signed with it (else any key passes). */
  readonly appPublicKeys: KeyObject[] = [];
  readonly now: () => Date;
  private nextId = 1000;

  constructor(options: FakeStateOptions) {
    this.now = options.now;
    const slug = options.app?.slug ?? "orchestrator-test";
    const owner = this.account("app-owner", "Organization");
    this.app = {
      id: options.app?.id ?? 4242,
      slug,
      name: options.app?.name ?? "Orchestrator (test)",
      owner,
      bot: this.account(`${slug}[bot]`, "Bot"),
      events: [
        "check_run",
        "issue_comment",
        "pull_request",
        "repository_dispatch",
        "workflow_run",
        "workflow_job",
      ],
      permissions: {
        actions: "write",
        checks: "write",
        contents: "write",
        issues: "write",
        pull_requests: "write",
        workflows: "write",
      },
    };
  }

  id(): number {
    this.nextId += 1;
    return this.nextId;
  }

  timestamp(): string {
    // GitHub answers with second precision.
    return this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z");
  }

  account(login: string, type: FakeAccount["type"] = "User"): FakeAccount {
    const existing = this.accounts.get(login);
    if (existing !== undefined) return existing;
    const created: FakeAccount = { login, id: this.id(), type };
    this.accounts.set(login, created);
    return created;
  }

  installationFor(owner: FakeAccount): FakeInstallation {
    for (const installation of this.installations.values()) {
      if (installation.account.login === owner.login) return installation;
    }
    const installation: FakeInstallation = { id: this.id(), account: owner, createdAt: this.timestamp() };
    this.installations.set(installation.id, installation);
    return installation;
  }

  /** A code GitHub would put in the manifest flow's redirect (good for one exchange). */
  addManifestCode(): string {
    const code = randomBytes(10).toString("hex");
    this.manifestCodes.add(code);
    return code;
  }

  /** Issues an installation token as `POST /app/installations/{id}/access_tokens` does (1 hour). */
  mintInstallationToken(installationId: number): FakeInstallationToken {
    const expires = new Date(this.now().getTime() + 60 * 60 * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const token: FakeInstallationToken = {
      token: `ghs_${randomBytes(18).toString("hex")}`,
      installationId,
      expiresAt: expires,
    };
    this.tokens.set(token.token, token);
    return token;
  }

  addRepo(input: AddRepoInput): FakeRepo {
    const [ownerLogin, name] = splitFullName(input.fullName);
    const owner = this.account(ownerLogin, input.ownerType ?? "Organization");
    const defaultBranch = input.defaultBranch ?? "main";
    const repo: FakeRepo = {
      id: this.id(),
      owner,
      name,
      fullName: `${ownerLogin}/${name}`,
      private: input.private ?? false,
      defaultBranch,
      createdAt: this.timestamp(),
      installationId: this.installationFor(owner).id,
      commits: new Map(),
      trees: new Map(),
      refs: new Map(),
      permissions: new Map([[ownerLogin, "admin"]]),
      workflowIds: new Map(),
      nextNumber: 1,
    };
    this.repos.set(repo.fullName.toLowerCase(), repo);
    this.commitFiles({
      repo: repo.fullName,
      branch: defaultBranch,
      files: input.files ?? {},
      message: "Initial commit",
    });
    return repo;
  }

  /** Adds a commit on `branch` (created from the default branch if absent); returns its sha. */
  commitFiles(input: CommitFilesInput): string {
    const repo = this.requireRepo(input.repo);
    const ref = `refs/heads/${input.branch}`;
    const parentSha = repo.refs.get(ref) ?? repo.refs.get(`refs/heads/${repo.defaultBranch}`);
    const parent = parentSha === undefined ? undefined : repo.commits.get(parentSha);
    const files = new Map(parent?.files ?? []);
    for (const [path, content] of Object.entries(input.files)) {
      if (content === null) files.delete(path);
      else files.set(path, content);
    }
    const message = input.message ?? `Update ${Object.keys(input.files).join(", ")}`;
    const treeSha = treeShaOf(files);
    const date = this.timestamp();
    const sha = sha1(`${treeSha}\n${parentSha ?? ""}\n${message}\n${date}\n${this.id()}`);
    repo.commits.set(sha, {
      sha,
      treeSha,
      message,
      parents: parentSha === undefined ? [] : [parentSha],
      files,
      date,
    });
    repo.refs.set(ref, sha);
    return sha;
  }

  setPermission(repoName: string, login: string, permission: Permission): void {
    this.account(login);
    this.requireRepo(repoName).permissions.set(login, permission);
  }

  addIssue(input: {
    repo: string;
    title: string;
    body?: string;
    user?: string;
    state?: "open" | "closed";
  }): FakeIssue {
    const repo = this.requireRepo(input.repo);
    const issue: FakeIssue = {
      id: this.id(),
      number: repo.nextNumber++,
      repo: repo.fullName,
      user: this.account(input.user ?? repo.owner.login),
      createdAt: this.timestamp(),
      pullRequest: false,
      title: input.title,
      body: input.body ?? null,
      state: input.state ?? "open",
    };
    this.issues.set(issueKey(repo.fullName, issue.number), issue);
    return issue;
  }

  /** Makes issue `child` of `repo` a sub-issue of `parent` (`childRepo` when in another repository). */
  addSubIssue(repo: string, parent: number, child: number, childRepo: string = repo): void {
    this.issueRelations.addSubIssue(this.requireIssue(repo, parent), this.requireIssue(childRepo, child));
  }

  /** Marks issue `issue` of `repo` as blocked by `blocker` (`blockerRepo` when in another repository). */
  addBlockedBy(repo: string, issue: number, blocker: number, blockerRepo: string = repo): void {
    this.issueRelations.addBlockedBy(this.requireIssue(repo, issue), this.requireIssue(blockerRepo, blocker));
  }

  requireIssue(repo: string, number: number): FakeIssue {
    const issue = this.issue(repo, number);
    if (issue === undefined) throw new Error(`Fake GitHub: no issue ${repo}#${number}; add it first`);
    return issue;
  }

  /** Records a webhook delivery, as GitHub lists it under `GET /app/hook/deliveries`. */
  addHookDelivery(input: {
    event: string;
    payload: Readonly<Record<string, unknown>>;
    statusCode: number;
    guid?: string;
    redelivery?: boolean;
  }): FakeHookDelivery {
    const payload = input.payload;
    const installation = payload.installation as { id?: unknown } | undefined;
    const repository = payload.repository as { id?: unknown } | undefined;
    const delivery: FakeHookDelivery = {
      id: this.id(),
      guid: input.guid ?? crypto.randomUUID(),
      event: input.event,
      action: typeof payload.action === "string" ? payload.action : null,
      deliveredAt: this.timestamp(),
      redelivery: input.redelivery ?? false,
      statusCode: input.statusCode,
      installationId: typeof installation?.id === "number" ? installation.id : null,
      repositoryId: typeof repository?.id === "number" ? repository.id : null,
      payload,
    };
    this.hookDeliveries.push(delivery);
    return delivery;
  }

  repo(fullName: string): FakeRepo | undefined {
    return this.repos.get(fullName.toLowerCase());
  }

  requireRepo(fullName: string): FakeRepo {
    const repo = this.repo(fullName);
    if (repo === undefined)
      throw new Error(`The fake has no repository ${fullName}; add it with state.addRepo()`);
    return repo;
  }

  /**
   * Resolves what GitHub accepts as a commit-ish in `?ref=` and `/commits/{ref}`: a full or
   * abbreviated (≥ 7) sha, a branch name, a tag name, or a full `refs/...` name.
   */
  resolveCommit(repo: FakeRepo, ref: string): FakeCommit | undefined {
    const candidates = [ref, `refs/heads/${ref}`, `refs/tags/${ref}`, `refs/${ref}`];
    for (const name of candidates) {
      const sha = repo.refs.get(name);
      if (sha !== undefined) return repo.commits.get(sha);
    }
    if (/^[0-9a-f]{7,40}$/.test(ref)) {
      for (const commit of repo.commits.values()) if (commit.sha.startsWith(ref)) return commit;
    }
    return undefined;
  }

  defaultHead(repo: FakeRepo): FakeCommit {
    const commit = this.resolveCommit(repo, repo.defaultBranch);
    if (commit === undefined) throw new Error(`${repo.fullName} has no ${repo.defaultBranch} branch`);
    return commit;
  }

  /** The jobs of a workflow run, oldest first. */
  jobsOf(runId: number): FakeWorkflowJob[] {
    return [...this.workflowJobs.values()].filter((job) => job.runId === runId).sort((a, b) => a.id - b.id);
  }

  pull(repo: string, number: number): FakePullRequest | undefined {
    return this.pulls.get(issueKey(repo, number));
  }

  issue(repo: string, number: number): FakeIssue | undefined {
    return this.issues.get(issueKey(repo, number));
  }
}

export function issueKey(repo: string, number: number): string {
  return `${repo.toLowerCase()}#${number}`;
}

/** A tree's id from its files (stable: the same files give the same sha, as in git). */
export function treeShaOf(files: ReadonlyMap<string, string>): string {
  return sha1(JSON.stringify([...files.entries()].sort()));
}

export function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

function splitFullName(fullName: string): [string, string] {
  const [owner, name, ...rest] = fullName.split("/");
  if (owner === undefined || name === undefined || rest.length > 0 || owner === "" || name === "") {
    throw new Error(`Repository names look like "owner/name", got "${fullName}"`);
  }
  return [owner, name];
}
