/**
 * Onboarding a repository: which of the files the App needs are missing on the default branch,
 * and what the App offers for them — a pull request that adds them, or (when it may not write
 * them, or the user declined the pull request) links that open GitHub's new-file page filled in.
 * Pure: the GitHub adapter (src/github/sessions/onboarding.ts) reads what exists and carries the
 * decision out; the texts are in onboarding-text.ts.
 */

/** The branch of the onboarding pull request; one per repository, never forced. */
export const ONBOARDING_BRANCH = "orchestrator/onboarding";

/** A file the App can add for the user, with what it is for (said in the pull request and the guide). */
export interface StarterFile {
  /** Path from the repository root. */
  readonly path: string;
  readonly text: string;
  /** One sentence: what the file is for. */
  readonly purpose: string;
  /**
   * Where the same text is published (the orchestrator's repository at its release tag), for when
   * a filled-in link would be too long for GitHub to accept. None for a file that always fits.
   */
  readonly publishedUrl?: string | undefined;
}

/** The three files of a repository the App runs in, as the package ships them. */
export interface StarterFiles {
  readonly workflow: StarterFile;
  readonly tasks: StarterFile;
  readonly schema: StarterFile;
}

/** What the default branch has (read at one commit). */
export interface FilesPresent {
  /** The task workflow the App dispatches (`.github/workflows/<workflowFile>`). */
  readonly workflow: boolean;
  /** Any of DEFAULT_TASKS_FILES (tasks/tasks.json, .yaml or .yml). */
  readonly tasksFile: boolean;
  /** tasks/tasks.schema.json */
  readonly schema: boolean;
}

/**
 * The files to add: the workflow when it is missing; the starter tasks file and its schema when
 * there is no tasks file at all. A repository with its own tasks file (in any of the accepted
 * formats) gets no second one, and the schema — an editor's help for the starter file — is not
 * offered on its own. Never a file that exists: nothing the user has is replaced.
 */
export function filesToAdd(present: FilesPresent, starter: StarterFiles): StarterFile[] {
  const files: StarterFile[] = [];
  if (!present.workflow) files.push(starter.workflow);
  if (!present.tasksFile) {
    files.push(starter.tasks);
    if (!present.schema) files.push(starter.schema);
  }
  return files;
}

/** The newest pull request from ONBOARDING_BRANCH, whatever its state. */
export interface OnboardingPull {
  readonly number: number;
  readonly state: "open" | "closed";
  readonly merged: boolean;
  readonly url: string;
}

/**
 * Whether the App may write under `.github/workflows/`: `granted`/`denied` when the installation's
 * permissions are known (the installation webhooks carry them), `unknown` otherwise (a command:
 * the write itself tells, GitHub refuses it without `workflows: write`).
 */
export type WorkflowsPermission = "granted" | "denied" | "unknown";

export type OnboardingDecision =
  | { readonly kind: "nothing_missing" }
  /** Open a pull request that adds `files` (a refused write falls back to `links`). */
  | { readonly kind: "open_pull"; readonly files: readonly StarterFile[] }
  /** The onboarding pull request is open: point at it, open no second one. */
  | { readonly kind: "pull_open"; readonly files: readonly StarterFile[]; readonly pull: OnboardingPull }
  /** Links per file: the user closed the pull request, or the App may not write the files. */
  | {
      readonly kind: "links";
      readonly files: readonly StarterFile[];
      readonly reason: LinksReason;
      readonly pull?: OnboardingPull | undefined;
    };

/**
 * - `declined`: the user closed (or merged) the onboarding pull request and the files are still
 *   missing; it is not reopened or made again.
 * - `no_permission`: the App may not create workflow files (`workflows: write` not granted).
 * - `write_refused`: GitHub refused the write for another reason (logged; the links still work).
 * - `branch_exists`: ONBOARDING_BRANCH exists without a pull request; it is not the App's to move.
 */
export type LinksReason = "declined" | "no_permission" | "write_refused" | "branch_exists";

export function decideOnboarding(input: {
  files: readonly StarterFile[];
  pull: OnboardingPull | undefined;
  workflowsPermission: WorkflowsPermission;
}): OnboardingDecision {
  const { files, pull } = input;
  if (files.length === 0) return { kind: "nothing_missing" };
  if (pull?.state === "open") return { kind: "pull_open", files, pull };
  if (pull !== undefined) return { kind: "links", files, reason: "declined", pull };
  const needsWorkflowWrite = files.some((file) => isWorkflowPath(file.path));
  if (needsWorkflowWrite && input.workflowsPermission === "denied") {
    return { kind: "links", files, reason: "no_permission" };
  }
  return { kind: "open_pull", files };
}

/**
 * What a refused write means: creating a file under `.github/workflows/` without the
 * `workflows` permission is answered 403 ("Resource not accessible by integration") by the git
 * data API, 404 by the contents API; 422 when GitHub rejects the change itself.
 */
export function refusedWriteReason(files: readonly StarterFile[], status: number | undefined): LinksReason {
  const workflow = files.some((file) => isWorkflowPath(file.path));
  return workflow && (status === 403 || status === 404) ? "no_permission" : "write_refused";
}

/** GitHub guards this folder with the `workflows` permission. */
export function isWorkflowPath(path: string): boolean {
  return path.startsWith(".github/workflows/");
}
