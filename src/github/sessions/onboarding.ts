import {
  decideOnboarding,
  filesToAdd,
  ONBOARDING_BRANCH,
  refusedWriteReason,
  type FilesPresent,
  type LinksReason,
  type OnboardingPull,
  type StarterFile,
  type StarterFiles,
  type WorkflowsPermission,
} from "../../core/onboarding.js";
import {
  linksGuide,
  ONBOARDING_COMMIT_MESSAGE,
  ONBOARDING_PULL_TITLE,
  onboardingPullBody,
  pullCreatedGuide,
  pullOpenGuide,
  type OnboardingTarget,
} from "../../core/onboarding-text.js";
import { majorTag, projectHome } from "../../core/published-action.js";
import { DEFAULT_TASKS_FILES } from "../../core/session-options.js";
import {
  STARTER_SCHEMA_FILE,
  STARTER_TASKS_FILE,
  starterTasksText,
  TASK_WORKFLOW_FILE,
} from "../../core/starter-tasks.js";
import { describeApiError, httpStatus, type GitHubClient, type RepoRef } from "../github-client.js";
import {
  PACKAGE_SCHEMA,
  PACKAGE_WORKFLOW,
  packageIdentity,
  readPackageFile,
} from "../../package/package-files.js";
import type { AppConfig } from "./app-config.js";

/**
 * Onboarding a repository on GitHub (the rule is core/onboarding.ts): read which files the
 * default branch has, then open the onboarding pull request, point at the one that is open, or
 * return links per missing file. Writes only new git objects, one new branch and one pull
 * request: never a force, never a file the default branch has, never a second pull request
 * (an open or closed one from ONBOARDING_BRANCH, or the branch alone, stops it).
 *
 * Requests: 4 reads when nothing is missing (repository, commit, the workflow, the tasks folder);
 * + 1 read (the branch's pull requests) and 4 writes (tree, commit, branch, pull request) to open it.
 */

export type OnboardingOutcome =
  | { kind: "nothing_missing" }
  | { kind: "pull_created"; pull: OnboardingPull; files: string[]; guide: string }
  | { kind: "pull_open"; pull: OnboardingPull; files: string[]; guide: string }
  | { kind: "links"; reason: LinksReason; files: string[]; guide: string; detail?: string };

export async function offerOnboarding(args: {
  client: GitHubClient;
  repo: RepoRef;
  config: Pick<AppConfig, "workflowFile">;
  workflowsPermission: WorkflowsPermission;
  /** The default branch and web address when the caller has just read them (saves a request). */
  repository?: { defaultBranch: string; htmlUrl: string } | undefined;
}): Promise<OnboardingOutcome> {
  const { client, repo } = args;
  const repository = args.repository ?? (await readRepository(client, repo));
  const target: OnboardingTarget = { ...repo, ...repository };
  // One commit for everything: the files are looked for, and the pull request based, at the same sha.
  const { data: head } = await client.request("GET /repos/{owner}/{repo}/commits/{ref}", {
    ...repo,
    ref: target.defaultBranch,
  });
  const workflowPath = `.github/workflows/${args.config.workflowFile}`;
  const present = await filesPresent({ client, repo, sha: head.sha, workflowPath });
  const files = filesToAdd(present, starterFiles(workflowPath));
  if (files.length === 0) return { kind: "nothing_missing" };

  const pull = await onboardingPull(client, repo);
  const decision = decideOnboarding({ files, pull, workflowsPermission: args.workflowsPermission });
  const paths = files.map((file) => file.path);
  switch (decision.kind) {
    case "nothing_missing":
      return { kind: "nothing_missing" };
    case "pull_open":
      return {
        kind: "pull_open",
        pull: decision.pull,
        files: paths,
        guide: pullOpenGuide(target, decision.pull, files),
      };
    case "links":
      return links(target, files, decision.reason, decision.pull);
    case "open_pull":
      break;
  }

  const written = await writeBranch({
    client,
    repo,
    files,
    baseSha: head.sha,
    treeSha: head.commit.tree.sha,
  });
  if (!written.ok) return links(target, files, written.reason, undefined, written.detail);
  const { data: created } = await client.request("POST /repos/{owner}/{repo}/pulls", {
    ...repo,
    title: ONBOARDING_PULL_TITLE,
    head: ONBOARDING_BRANCH,
    base: target.defaultBranch,
    body: onboardingPullBody(target, files),
  });
  const opened: OnboardingPull = {
    number: created.number,
    state: "open",
    merged: false,
    url: created.html_url,
  };
  return { kind: "pull_created", pull: opened, files: paths, guide: pullCreatedGuide(target, opened, files) };
}

function links(
  target: OnboardingTarget,
  files: readonly StarterFile[],
  reason: LinksReason,
  pull?: OnboardingPull | undefined,
  detail?: string | undefined,
): OnboardingOutcome {
  const outcome: OnboardingOutcome = {
    kind: "links",
    reason,
    files: files.map((file) => file.path),
    guide: linksGuide({ target, files, reason, pull }),
  };
  if (detail !== undefined) outcome.detail = detail;
  return outcome;
}

async function readRepository(
  client: GitHubClient,
  repo: RepoRef,
): Promise<{ defaultBranch: string; htmlUrl: string }> {
  const { data } = await client.request("GET /repos/{owner}/{repo}", { ...repo });
  return { defaultBranch: data.default_branch, htmlUrl: data.html_url };
}

/** Two reads: the workflow file, and one listing of the folder the tasks files live in. */
async function filesPresent(args: {
  client: GitHubClient;
  repo: RepoRef;
  sha: string;
  workflowPath: string;
}): Promise<FilesPresent> {
  const workflow = (await contentsAt({ ...args, path: args.workflowPath })) !== null;
  const folder = folderOf(STARTER_TASKS_FILE);
  const listing = await contentsAt({ ...args, path: folder });
  const names = new Set(
    Array.isArray(listing) ? listing.filter((entry) => entry.type === "file").map((entry) => entry.path) : [],
  );
  return {
    workflow,
    tasksFile: DEFAULT_TASKS_FILES.some((path) => names.has(path)),
    schema: names.has(STARTER_SCHEMA_FILE),
  };
}

// Every tasks file the App looks for, and the schema, share one folder (one listing reads them all).
if (
  ![...DEFAULT_TASKS_FILES, STARTER_SCHEMA_FILE].every(
    (path) => folderOf(path) === folderOf(STARTER_TASKS_FILE),
  )
)
  throw new Error("onboarding lists one folder for the tasks files: keep them in one folder");

function folderOf(path: string): string {
  return path.slice(0, Math.max(0, path.lastIndexOf("/")));
}

/** The contents API's answer at `sha`, or null when nothing is there. */
async function contentsAt(args: {
  client: GitHubClient;
  repo: RepoRef;
  sha: string;
  path: string;
}): Promise<Array<{ type: string; path: string }> | { type: string } | null> {
  try {
    const { data } = await args.client.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...args.repo,
      path: args.path,
      ref: args.sha,
    });
    return data as Array<{ type: string; path: string }> | { type: string };
  } catch (error) {
    if (httpStatus(error) === 404) return null;
    throw error;
  }
}

/** The newest pull request from ONBOARDING_BRANCH in this repository, open or closed. */
async function onboardingPull(client: GitHubClient, repo: RepoRef): Promise<OnboardingPull | undefined> {
  const { data } = await client.request("GET /repos/{owner}/{repo}/pulls", {
    ...repo,
    head: `${repo.owner}:${ONBOARDING_BRANCH}`,
    state: "all",
    per_page: 1,
  });
  const pull = data[0];
  if (pull === undefined) return undefined;
  return {
    number: pull.number,
    state: pull.state === "open" ? "open" : "closed",
    merged: pull.merged_at !== null,
    url: pull.html_url,
  };
}

/**
 * The files as one commit on the default branch's head, and ONBOARDING_BRANCH pointing at it.
 * The tree and commit are new objects (invisible until a ref points at them); creating the branch
 * is create-only, so an existing branch is never moved.
 */
async function writeBranch(args: {
  client: GitHubClient;
  repo: RepoRef;
  files: readonly StarterFile[];
  baseSha: string;
  treeSha: string;
}): Promise<{ ok: true } | { ok: false; reason: LinksReason; detail: string }> {
  const { client, repo, files } = args;
  let tree: string;
  try {
    ({
      data: { sha: tree },
    } = await client.request("POST /repos/{owner}/{repo}/git/trees", {
      ...repo,
      base_tree: args.treeSha,
      tree: files.map((file) => ({
        path: file.path,
        mode: "100644" as const,
        type: "blob" as const,
        content: file.text,
      })),
    }));
  } catch (error) {
    const status = httpStatus(error);
    if (status === 403 || status === 404 || status === 422)
      return { ok: false, reason: refusedWriteReason(files, status), detail: describeApiError(error) };
    throw error;
  }
  const { data: commit } = await client.request("POST /repos/{owner}/{repo}/git/commits", {
    ...repo,
    message: ONBOARDING_COMMIT_MESSAGE,
    tree,
    parents: [args.baseSha],
  });
  try {
    await client.request("POST /repos/{owner}/{repo}/git/refs", {
      ...repo,
      ref: `refs/heads/${ONBOARDING_BRANCH}`,
      sha: commit.sha,
    });
  } catch (error) {
    const status = httpStatus(error);
    if (status === 422) return { ok: false, reason: "branch_exists", detail: describeApiError(error) };
    if (status === 403 || status === 404)
      return { ok: false, reason: refusedWriteReason(files, status), detail: describeApiError(error) };
    throw error;
  }
  return { ok: true };
}

/** The package's files as the user's repository gets them, each with where it is published. */
function starterFiles(workflowPath: string): StarterFiles {
  const identity = packageIdentity();
  const published = (path: string): string =>
    `https://github.com/${projectHome(identity)}/blob/${majorTag(identity)}/${path}`;
  return {
    workflow: {
      path: workflowPath,
      text: readPackageFile(PACKAGE_WORKFLOW),
      purpose:
        "the task workflow: the App runs it once per task attempt (workflow_dispatch); it checks out the repository, " +
        "runs Claude Code on the task and opens the task's pull request, with the published orchestrator Action.",
      publishedUrl: published(TASK_WORKFLOW_FILE),
    },
    tasks: {
      path: STARTER_TASKS_FILE,
      text: starterTasksText(),
      purpose:
        "the tasks file: the tasks to run and their dependencies (two small starter tasks — edit them to yours).",
    },
    schema: {
      path: STARTER_SCHEMA_FILE,
      text: readPackageFile(PACKAGE_SCHEMA),
      purpose: "the tasks file's JSON Schema, so editors check and complete `tasks.json` as you type.",
      publishedUrl: published(STARTER_SCHEMA_FILE),
    },
  };
}
