/**
 * What onboarding says: the onboarding pull request's title and body, and the guide that answers
 * a command (or an API call) in a repository that is not set up — with the links that open
 * GitHub's new-file page filled in, and the link to add the secret.
 *
 * Every link is built from parts GitHub gave (the repository's web address, its default branch)
 * and the package's own files, each part percent-encoded so that nothing in it can end or bend a
 * Markdown link; the default branch is shown as inert text (core/inert-text.ts), since a branch
 * name may hold `@`, `#` or backticks.
 */
import { inert, safeUrl } from "./inert-text.js";
import type { LinksReason, OnboardingPull, StarterFile } from "./onboarding.js";

/** The repository being onboarded, as GitHub describes it. */
export interface OnboardingTarget {
  readonly owner: string;
  readonly repo: string;
  readonly defaultBranch: string;
  /** The repository's web address (`html_url`): github.com, or a GitHub Enterprise host. */
  readonly htmlUrl: string;
}

/** The secrets the task workflow reads; either one is enough (README: "Secrets"). */
export const SECRET_NAMES = ["ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"] as const;

/**
 * Longest filled-in link offered. GitHub answers 414 URI Too Long past its server's limit ("Using
 * query parameters", GitHub Docs) without saying the number; 8 KB is where common front ends stop,
 * so a link stays under it. The starter tasks file fits; the workflow (~8 KB of YAML, ~12 KB
 * encoded) and the schema do not, and get a link to the published file to copy instead.
 */
export const MAX_LINK_LENGTH = 8_000;

export const ONBOARDING_PULL_TITLE = "Set up Claude Team Orchestrator";

export const ONBOARDING_COMMIT_MESSAGE =
  "Add the Claude Team Orchestrator task workflow and starter tasks\n\n" +
  "Opened by the orchestrator App because these files were missing on the default branch.";

/** `https://github.com/<owner>/<repo>/settings/secrets/actions/new` (the repository's own host). */
export function secretUrl(target: OnboardingTarget): string {
  return `${repositoryWeb(target)}/settings/secrets/actions/new`;
}

/**
 * GitHub's new-file page on the default branch with the file's name and text filled in, or
 * undefined when such a link would be too long (see MAX_LINK_LENGTH).
 */
export function newFileUrl(target: OnboardingTarget, file: StarterFile): string | undefined {
  const url = `${newFileBase(target, file)}&value=${strictEncode(file.text)}`;
  return url.length <= MAX_LINK_LENGTH ? url : undefined;
}

/** The pull request's body: what each file is, the secret to add (with its link), how to start. */
export function onboardingPullBody(target: OnboardingTarget, files: readonly StarterFile[]): string {
  return [
    "This pull request adds what [Claude Team Orchestrator](https://github.com/claude-team-orchestrator/claude-team-orchestrator) " +
      "needs to run tasks in this repository. It adds files and changes nothing else. " +
      "If you do not want it, close it: it will not be opened again.",
    "",
    "### Files",
    "",
    ...files.map((file) => `- \`${file.path}\` — ${file.purpose}`),
    "",
    "### One secret to add",
    "",
    secretSentence(target),
    "",
    "### Start",
    "",
    "Merge this pull request, add the secret, then comment `/orchestrate` on any issue of this repository " +
      "(`/orchestrate help` lists the options). Each task runs as one run of the task workflow and opens its own pull request.",
  ].join("\n");
}

/** The guide after the App opened the onboarding pull request. */
export function pullCreatedGuide(
  target: OnboardingTarget,
  pull: OnboardingPull,
  files: readonly StarterFile[],
): string {
  return [
    `I opened ${pullReference(pull)}, which adds ${fileList(files)}.`,
    `Merge it, add the secret (${secretSentenceShort(target)}), then comment \`/orchestrate\` again.`,
  ].join(" ");
}

/** The guide while the onboarding pull request is open. */
export function pullOpenGuide(
  target: OnboardingTarget,
  pull: OnboardingPull,
  files: readonly StarterFile[],
): string {
  return [
    `The onboarding pull request ${pullReference(pull)} adds ${fileList(files)}.`,
    `Merge it, add the secret (${secretSentenceShort(target)}), then comment \`/orchestrate\` again.`,
  ].join(" ");
}

/** The guide with one link per missing file, and the secret to add. */
export function linksGuide(input: {
  target: OnboardingTarget;
  files: readonly StarterFile[];
  reason: LinksReason;
  pull?: OnboardingPull | undefined;
}): string {
  const { target, files } = input;
  return [
    `${linksIntro(input.reason, input.pull)} Add them on ${inert(target.defaultBranch, 100)}; each link opens GitHub's new-file page:`,
    "",
    ...files.map((file) => `- ${fileLink(target, file)} — ${file.purpose}`),
    "",
    `Then add the secret (${secretSentenceShort(target)}) and comment \`/orchestrate\` again.`,
  ].join("\n");
}

function linksIntro(reason: LinksReason, pull: OnboardingPull | undefined): string {
  switch (reason) {
    case "declined":
      return `The onboarding pull request${pull === undefined ? "" : ` ${pullReference(pull)}`} was closed, so I did not open another.`;
    case "no_permission":
      return (
        "I could not open a pull request with these files: creating a file under `.github/workflows/` needs the App's " +
        "`workflows: write` permission, which this installation does not grant (accept it in the installation's settings, or add the files yourself)."
      );
    case "branch_exists":
      return "I did not open a pull request: the branch `orchestrator/onboarding` already exists, and I do not change branches I did not make.";
    case "write_refused":
      return "I could not open a pull request with these files (GitHub refused the write).";
  }
}

/** A filled-in link, or — when it would be too long — the empty new-file page and the published text to paste. */
function fileLink(target: OnboardingTarget, file: StarterFile): string {
  const filled = newFileUrl(target, file);
  if (filled !== undefined) return `[\`${file.path}\`](${filled}) (filled in)`;
  const published = file.publishedUrl === undefined ? undefined : safeUrl(file.publishedUrl);
  const copy = published === undefined ? "" : `: paste the text of [the published file](${published})`;
  return `[\`${file.path}\`](${newFileBase(target, file)}) (named${copy})`;
}

function newFileBase(target: OnboardingTarget, file: StarterFile): string {
  const branch = target.defaultBranch.split("/").map(strictEncode).join("/");
  return `${repositoryWeb(target)}/new/${branch}?filename=${strictEncode(file.path)}`;
}

function secretSentence(target: OnboardingTarget): string {
  return (
    `The task workflow runs Claude Code, which needs a key: add the repository secret \`${SECRET_NAMES[0]}\` ` +
    `(an Anthropic API key), or \`${SECRET_NAMES[1]}\` (a Claude subscription token from \`claude setup-token\`), ` +
    `[here](${secretUrl(target)}) (Settings → Secrets and variables → Actions → New repository secret).`
  );
}

function secretSentenceShort(target: OnboardingTarget): string {
  return `\`${SECRET_NAMES[0]}\` or \`${SECRET_NAMES[1]}\`, [here](${secretUrl(target)})`;
}

function pullReference(pull: OnboardingPull): string {
  const url = safeUrl(pull.url);
  return url === undefined ? `pull request ${pull.number}` : `[pull request ${pull.number}](${url})`;
}

function fileList(files: readonly StarterFile[]): string {
  return files.map((file) => `\`${file.path}\``).join(", ");
}

/** The repository's web address, or github.com's when GitHub's answer is not a plain https URL. */
function repositoryWeb(target: OnboardingTarget): string {
  const given = safeUrl(target.htmlUrl.replace(/\/+$/, ""));
  return given ?? `https://github.com/${strictEncode(target.owner)}/${strictEncode(target.repo)}`;
}

/**
 * encodeURIComponent, plus the five characters it leaves (`!'()*`): parentheses end a Markdown
 * link, quotes start its title.
 */
export function strictEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
