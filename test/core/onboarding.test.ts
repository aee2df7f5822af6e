import { describe, expect, it } from "vitest";
import {
  decideOnboarding,
  filesToAdd,
  refusedWriteReason,
  type OnboardingPull,
  type StarterFile,
  type StarterFiles,
} from "../../src/core/onboarding.js";
import {
  linksGuide,
  MAX_LINK_LENGTH,
  newFileUrl,
  onboardingPullBody,
  secretUrl,
  type OnboardingTarget,
} from "../../src/core/onboarding-text.js";

const STARTER: StarterFiles = {
  workflow: {
    path: ".github/workflows/orchestrator-task.yml",
    text: "name: task\n",
    purpose: "the task workflow.",
    publishedUrl: "https://github.com/example/orchestrator/blob/v1/.github/workflows/orchestrator-task.yml",
  },
  tasks: { path: "tasks/tasks.json", text: '{ "tasks": [] }\n', purpose: "the tasks file." },
  schema: { path: "tasks/tasks.schema.json", text: "{}\n", purpose: "the schema." },
};

const TARGET: OnboardingTarget = {
  owner: "acme",
  repo: "widgets",
  defaultBranch: "main",
  htmlUrl: "https://github.com/acme/widgets",
};

const paths = (files: readonly StarterFile[]): string[] => files.map((file) => file.path);

describe("which files onboarding adds", () => {
  it("adds all three to a bare repository, and nothing to one that has the workflow and any tasks file", () => {
    expect(paths(filesToAdd({ workflow: false, tasksFile: false, schema: false }, STARTER))).toEqual([
      ".github/workflows/orchestrator-task.yml",
      "tasks/tasks.json",
      "tasks/tasks.schema.json",
    ]);
    expect(filesToAdd({ workflow: true, tasksFile: true, schema: false }, STARTER)).toEqual([]);
  });

  it("never offers a file the repository has, nor a second tasks file, nor the schema alone", () => {
    expect(paths(filesToAdd({ workflow: false, tasksFile: true, schema: false }, STARTER))).toEqual([
      ".github/workflows/orchestrator-task.yml",
    ]);
    expect(paths(filesToAdd({ workflow: true, tasksFile: false, schema: true }, STARTER))).toEqual([
      "tasks/tasks.json",
    ]);
  });
});

describe("what onboarding offers", () => {
  const all = filesToAdd({ workflow: false, tasksFile: false, schema: false }, STARTER);
  const tasksOnly = filesToAdd({ workflow: true, tasksFile: false, schema: true }, STARTER);
  const pull = (state: "open" | "closed"): OnboardingPull => ({
    number: 7,
    state,
    merged: false,
    url: "https://github.com/acme/widgets/pull/7",
  });

  it("opens one pull request, points at the open one, and never recreates a closed one", () => {
    expect(decideOnboarding({ files: all, pull: undefined, workflowsPermission: "unknown" }).kind).toBe(
      "open_pull",
    );
    expect(
      decideOnboarding({ files: all, pull: pull("open"), workflowsPermission: "granted" }),
    ).toMatchObject({
      kind: "pull_open",
    });
    expect(
      decideOnboarding({ files: all, pull: pull("closed"), workflowsPermission: "granted" }),
    ).toMatchObject({
      kind: "links",
      reason: "declined",
    });
    expect(decideOnboarding({ files: [], pull: undefined, workflowsPermission: "denied" })).toEqual({
      kind: "nothing_missing",
    });
  });

  it("gives links when the workflow is needed and `workflows: write` is known to be missing; a tasks file alone needs no such permission", () => {
    expect(decideOnboarding({ files: all, pull: undefined, workflowsPermission: "denied" })).toMatchObject({
      kind: "links",
      reason: "no_permission",
    });
    expect(decideOnboarding({ files: tasksOnly, pull: undefined, workflowsPermission: "denied" }).kind).toBe(
      "open_pull",
    );
  });

  it("reads a refused write of the workflow (403 from the git data API, 404 from the contents API) as the missing permission", () => {
    expect(refusedWriteReason(all, 403)).toBe("no_permission");
    expect(refusedWriteReason(all, 404)).toBe("no_permission");
    expect(refusedWriteReason(all, 422)).toBe("write_refused");
    expect(refusedWriteReason(tasksOnly, 403)).toBe("write_refused");
  });
});

describe("links", () => {
  it("fills GitHub's new-file page with the exact text, whatever characters it holds", () => {
    const text = `a (b) 'c' "d" *e* !f #1 & g=h+i%20 ü 😀 \`j\` <k> [l](m)\n\ttab\r\n`;
    const file: StarterFile = { path: "tasks/odd (name).json", text, purpose: "x" };
    const url = newFileUrl({ ...TARGET, defaultBranch: "release/2.x" }, file) as string;

    const parsed = new URL(url);
    expect(parsed.origin + parsed.pathname).toBe("https://github.com/acme/widgets/new/release/2.x");
    expect(parsed.searchParams.get("filename")).toBe("tasks/odd (name).json");
    expect(parsed.searchParams.get("value")).toBe(text);
    // Nothing in the link can end a Markdown link or its title.
    expect(url).toMatch(/^[A-Za-z0-9:/._~%?&=-]+$/);
  });

  it("gives no filled-in link past the length GitHub accepts, and the guide then names the published file", () => {
    const long: StarterFile = { ...STARTER.workflow, text: "x".repeat(MAX_LINK_LENGTH) };
    expect(newFileUrl(TARGET, long)).toBeUndefined();

    const guide = linksGuide({ target: TARGET, files: [long], reason: "no_permission" });
    expect(guide).toContain(
      "[`.github/workflows/orchestrator-task.yml`](https://github.com/acme/widgets/new/main?filename=.github%2Fworkflows%2Forchestrator-task.yml)",
    );
    expect(guide).toContain(`[the published file](${STARTER.workflow.publishedUrl})`);
    expect(guide).toContain("`workflows: write`");
  });

  it("shows a hostile default branch name inert, and keeps it out of link syntax", () => {
    const branch = "x)[y](https://evil.example) @admin #1 `z`";
    const guide = linksGuide({
      target: { ...TARGET, defaultBranch: branch },
      files: [STARTER.tasks],
      reason: "declined",
    });

    // Shown once, as a code span (where GitHub parses nothing); nowhere else, and never as a link.
    const shown = "`` x)[y](https://evil.example) @admin #1 `z` ``";
    expect(guide).toContain(shown);
    const outside = guide.replace(shown, "");
    expect(outside).not.toContain("https://evil.example");
    expect(outside).not.toContain("@admin");
    expect(outside).not.toContain("#1");
    const target = /\]\((https:\/\/github\.com\/acme\/widgets\/new\/[^)\s]+)\)/.exec(guide)?.[1] as string;
    expect(decodeURIComponent(new URL(target).pathname.replace("/acme/widgets/new/", ""))).toBe(branch);
  });

  it("builds the secret link on the repository's own host (GitHub Enterprise too)", () => {
    expect(secretUrl(TARGET)).toBe("https://github.com/acme/widgets/settings/secrets/actions/new");
    expect(secretUrl({ ...TARGET, htmlUrl: "https://ghe.example.com/acme/widgets" })).toBe(
      "https://ghe.example.com/acme/widgets/settings/secrets/actions/new",
    );
    expect(secretUrl({ ...TARGET, htmlUrl: "javascript:alert(1)" })).toBe(
      "https://github.com/acme/widgets/settings/secrets/actions/new",
    );
  });

  it("says in the pull request what each file is, which secret to add and how to start", () => {
    const body = onboardingPullBody(
      TARGET,
      filesToAdd({ workflow: false, tasksFile: false, schema: false }, STARTER),
    );
    for (const file of Object.values(STARTER)) expect(body).toContain(`\`${file.path}\` — ${file.purpose}`);
    expect(body).toContain("`ANTHROPIC_API_KEY`");
    expect(body).toContain("`CLAUDE_CODE_OAUTH_TOKEN`");
    expect(body).toContain("(https://github.com/acme/widgets/settings/secrets/actions/new)");
    expect(body).toContain("`/orchestrate`");
  });
});
