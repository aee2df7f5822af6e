import { Octokit } from "@octokit/rest";
import { afterEach, describe, expect, it } from "vitest";
import { issuesByOutsiders } from "../../../src/core/issue-graph-snapshot.js";
import { tasksFromIssueGraph } from "../../../src/core/issue-graph.js";
import type { GitHubClient } from "../../../src/github/github-client.js";
import { IssueGraphReadError, readIssueGraph } from "../../../src/github/issue-graph/read-issue-graph.js";
import {
  startFakeGitHub,
  type FakeGitHub,
  type FakeGitHubOptions,
} from "../../support/fake-github/start-fake-github.js";

/** Reading an issue graph through a real Octokit from the OpenAPI-checked fake GitHub. */

let fake: FakeGitHub | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const REPO = "acme/widgets";

async function setUp(options: FakeGitHubOptions = {}): Promise<{ fake: FakeGitHub; client: GitHubClient }> {
  const started = (fake = await startFakeGitHub(options));
  started.state.addRepo({ fullName: REPO, files: { "README.md": "hi" } });
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const client = new Octokit({ baseUrl: started.url, auth: started.installationToken(REPO), log: quiet });
  return { fake: started, client };
}

function issue(
  f: FakeGitHub,
  title: string,
  extra: { body?: string; state?: "open" | "closed"; repo?: string } = {},
) {
  return f.state.addIssue({ repo: extra.repo ?? REPO, title, ...extra }).number;
}

function blockedByCalls(f: FakeGitHub): string[] {
  return f.requests
    .filter(
      (request) =>
        request.route === "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by",
    )
    .map((request) => request.path);
}

describe("readIssueGraph", () => {
  it("reads the parent, its sub-issues and their blockers, asking only for issues that have blockers", async () => {
    const { fake: f, client } = await setUp();
    f.state.addRepo({ fullName: "acme/api" });
    const parent = issue(f, "Login", { body: "```orchestrator\nparallel: 2\n```" });
    const schema = issue(f, "Schema", { state: "closed" });
    const api = issue(f, "API", { body: "Build it.\n```orchestrator\nretries: 1\n```" });
    const ui = issue(f, "UI");
    const docs = issue(f, "Docs");
    const readme = issue(f, "Readme");
    const outside = issue(f, "Upstream fix", { repo: "acme/api" });
    for (const child of [schema, api, ui, docs, readme]) f.state.addSubIssue(REPO, parent, child);
    f.state.addBlockedBy(REPO, api, schema);
    f.state.addBlockedBy(REPO, ui, api);
    f.state.addBlockedBy(REPO, docs, outside, "acme/api");
    f.state.addSubIssue(REPO, ui, issue(f, "UI detail"));

    const { snapshot, requests } = await readIssueGraph({
      client,
      owner: "acme",
      repo: "widgets",
      issueNumber: parent,
    });

    expect(snapshot.parent).toEqual({
      number: parent,
      title: "Login",
      body: "```orchestrator\nparallel: 2\n```",
      author: "acme",
      authorAssociation: "OWNER",
    });
    const ids = new Map([...f.state.issues.values()].map((i) => [`${i.repo}#${i.number}`, i.id]));
    expect(snapshot.subIssues).toEqual([
      {
        number: schema,
        id: ids.get(`${REPO}#${schema}`),
        title: "Schema",
        body: "",
        state: "closed",
        repository: undefined,
        author: "acme",
        authorAssociation: "OWNER",
        subIssueCount: 0,
        blockedBy: [],
      },
      {
        number: api,
        id: ids.get(`${REPO}#${api}`),
        title: "API",
        body: "Build it.\n```orchestrator\nretries: 1\n```",
        state: "open",
        repository: undefined,
        author: "acme",
        authorAssociation: "OWNER",
        subIssueCount: 0,
        blockedBy: [
          { number: schema, id: ids.get(`${REPO}#${schema}`), state: "closed", repository: undefined },
        ],
      },
      {
        number: ui,
        id: ids.get(`${REPO}#${ui}`),
        title: "UI",
        body: "",
        state: "open",
        repository: undefined,
        author: "acme",
        authorAssociation: "OWNER",
        subIssueCount: 1,
        blockedBy: [{ number: api, id: ids.get(`${REPO}#${api}`), state: "open", repository: undefined }],
      },
      {
        number: docs,
        id: ids.get(`${REPO}#${docs}`),
        title: "Docs",
        body: "",
        state: "open",
        repository: undefined,
        author: "acme",
        authorAssociation: "OWNER",
        subIssueCount: 0,
        blockedBy: [
          { number: outside, id: ids.get(`acme/api#${outside}`), state: "open", repository: "acme/api" },
        ],
      },
      {
        number: readme,
        id: ids.get(`${REPO}#${readme}`),
        title: "Readme",
        body: "",
        state: "open",
        repository: undefined,
        author: "acme",
        authorAssociation: "OWNER",
        subIssueCount: 0,
        blockedBy: [],
      },
    ]);
    // Parent, one page of sub-issues, and blockers of the three open ones that have any (not Readme's).
    expect(blockedByCalls(f)).toHaveLength(3);
    expect(requests).toBe(5);
    expect(f.requests).toHaveLength(5);
    expect(f.violations).toEqual([]);

    // And the core makes tasks of it: the closed one is done, the outside blocker makes Docs wait.
    const tasks = tasksFromIssueGraph(snapshot);
    if (!tasks.ok) throw new Error(tasks.problems.join("\n"));
    expect(tasks.file.max_parallel_agents).toBe(2);
    expect(tasks.file.tasks.map((task) => [task.id, task.dependencies ?? [], task.retries])).toEqual([
      [`issue-${api}`, [], 1],
      [`issue-${ui}`, [`issue-${api}`], undefined],
      [`issue-${readme}`, [], undefined],
    ]);
    expect(tasks.waiting).toEqual([
      { issue: docs, waitsOn: [`acme/api#${outside} (open, not a sub-issue of #${parent})`] },
    ]);
  });

  it("follows every page of sub-issues", async () => {
    const { fake: f, client } = await setUp();
    const parent = f.state.addIssue({ repo: REPO, title: "Big plan" });
    // GitHub allows 100 sub-issues per parent (one page); the fake's relation is set directly to
    // make a second page and prove the reader follows the Link header.
    const children = Array.from({ length: 130 }, (_, k) =>
      f.state.addIssue({ repo: REPO, title: `Step ${k}` }),
    );
    f.state.issueRelations.subIssues.set(
      parent.id,
      children.map((child) => child.id),
    );
    const { snapshot, requests } = await readIssueGraph({
      client,
      owner: "acme",
      repo: "widgets",
      issueNumber: parent.number,
    });
    expect(snapshot.subIssues.map((sub) => sub.number)).toEqual(children.map((child) => child.number));
    // The parent, two pages; no blockers to ask for.
    expect(requests).toBe(3);
    expect(f.violations).toEqual([]);
  });

  it("tells whose text would run: issues by authors without write access are named", async () => {
    const { fake: f, client } = await setUp();
    const parent = issue(f, "Plan");
    const mine = issue(f, "Mine");
    const theirs = f.state.addIssue({ repo: REPO, title: "Theirs", user: "mallory" }).number;
    f.state.addSubIssue(REPO, parent, mine);
    f.state.addSubIssue(REPO, parent, theirs);
    const read = () => readIssueGraph({ client, owner: "acme", repo: "widgets", issueNumber: parent });
    expect(issuesByOutsiders((await read()).snapshot)).toEqual([`#${theirs} (@mallory, NONE)`]);
    f.state.setPermission(REPO, "mallory", "write");
    expect(issuesByOutsiders((await read()).snapshot)).toEqual([]);
    expect(f.violations).toEqual([]);
  });

  it("says when the issue does not exist, and when it is a pull request", async () => {
    const { fake: f, client } = await setUp();
    await expect(
      readIssueGraph({ client, owner: "acme", repo: "widgets", issueNumber: 999 }),
    ).rejects.toThrow(
      new IssueGraphReadError(
        "not-found",
        "issue acme/widgets#999 was not found (or the token cannot read issues of acme/widgets)",
      ),
    );
    await expect(readIssueGraph({ client, owner: "acme", repo: "nothing", issueNumber: 1 })).rejects.toThrow(
      /issue acme\/nothing#1 was not found/,
    );
    const sha = f.state.commitFiles({ repo: REPO, branch: "feature", files: { "a.txt": "a" } });
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    const pull = await (client as Octokit).rest.pulls.create({
      owner: "acme",
      repo: "widgets",
      head: "feature",
      base: "main",
      title: "A",
    });
    await expect(
      readIssueGraph({ client, owner: "acme", repo: "widgets", issueNumber: pull.data.number }),
    ).rejects.toThrow(`acme/widgets#${pull.data.number} is a pull request, not an issue`);
    expect(f.violations).toEqual([]);
  });

  it("returns an empty graph for an issue without sub-issues (the core says what to do)", async () => {
    const { fake: f, client } = await setUp();
    const lonely = issue(f, "Alone");
    const { snapshot } = await readIssueGraph({
      client,
      owner: "acme",
      repo: "widgets",
      issueNumber: lonely,
    });
    expect(snapshot.subIssues).toEqual([]);
    const tasks = tasksFromIssueGraph(snapshot);
    expect(tasks.ok ? [] : tasks.problems).toEqual([
      `#${lonely} has no sub-issues: add the work as sub-issues of #${lonely} (and link their order with "blocked by")`,
    ]);
  });

  it("says so when this GitHub has no sub-issues API (GitHub Enterprise Server 3.18)", async () => {
    const { fake: f, client } = await setUp({ flavor: "ghes-3.18" });
    const parent = issue(f, "Plan");
    await expect(
      readIssueGraph({ client, owner: "acme", repo: "widgets", issueNumber: parent }),
    ).rejects.toThrow(
      new IssueGraphReadError(
        "unavailable",
        `GitHub at ${f.url} does not offer sub-issues through its REST API (GitHub Enterprise Server may not have it yet): plan with a tasks file instead`,
      ),
    );
    // The fake records the call GHES 3.18 does not know; nothing else.
    expect(f.violations.map((violation) => violation.kind)).toEqual(["unknown-route"]);
  });
});

describe("fake GitHub: sub-issue and dependency writes", () => {
  it("links by database id, refuses what GitHub refuses, and lists what was linked", async () => {
    const { fake: f, client } = await setUp();
    const octokit = client as Octokit;
    const parent = f.state.addIssue({ repo: REPO, title: "Parent" });
    const child = f.state.addIssue({ repo: REPO, title: "Child" });
    const blocker = f.state.addIssue({ repo: REPO, title: "Blocker" });
    const where = { owner: "acme", repo: "widgets" };

    const added = await octokit.rest.issues.addSubIssue({
      ...where,
      issue_number: parent.number,
      sub_issue_id: child.id,
    });
    expect(added.status).toBe(201);
    expect(added.data.number).toBe(child.number);
    // An issue number is not an id: GitHub finds no issue by it.
    await expect(
      octokit.rest.issues.addSubIssue({
        ...where,
        issue_number: parent.number,
        sub_issue_id: blocker.number,
      }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      octokit.rest.issues.addSubIssue({ ...where, issue_number: parent.number, sub_issue_id: parent.id }),
    ).rejects.toMatchObject({ status: 422 });

    const blocked = await octokit.rest.issues.addBlockedByDependency({
      ...where,
      issue_number: child.number,
      issue_id: blocker.id,
    });
    expect(blocked.status).toBe(201);
    expect(blocked.data.number).toBe(blocker.number);
    await expect(
      octokit.rest.issues.addBlockedByDependency({
        ...where,
        issue_number: child.number,
        issue_id: blocker.id,
      }),
    ).rejects.toMatchObject({ status: 422 });

    const subs = await octokit.rest.issues.listSubIssues({ ...where, issue_number: parent.number });
    expect(subs.data.map((i) => i.number)).toEqual([child.number]);
    expect(subs.data[0]?.issue_dependencies_summary).toEqual({
      blocked_by: 1,
      blocking: 0,
      total_blocked_by: 1,
      total_blocking: 0,
    });
    const blocking = await octokit.rest.issues.listDependenciesBlocking({
      ...where,
      issue_number: blocker.number,
    });
    expect(blocking.data.map((i) => i.number)).toEqual([child.number]);
    const one = await octokit.rest.issues.get({ ...where, issue_number: parent.number });
    expect(one.data.sub_issues_summary).toEqual({ total: 1, completed: 0, percent_completed: 0 });
    expect(f.violations).toEqual([]);
  });
});
