import { afterEach, describe, expect, it } from "vitest";
import { TASK_WORKFLOW } from "../support/simulated-session.js";
import { FULL_NAME, ServerHarness } from "./support/server-harness.js";

/**
 * `/orchestrate plan` and `/orchestrate approve` through the real server, against the fake
 * GitHub: a planner run, its proposal on the issue, sub-issues and "blocked by" links made only
 * on approval, and the issue session they start.
 */

let harness: ServerHarness | undefined;
afterEach(async () => {
  if (harness) expect(harness.violations()).toEqual([]);
  await harness?.close();
  harness = undefined;
});

const PROPOSAL = {
  summary: "Parser first, then the CLI and the docs on top of it.",
  tasks: [
    {
      id: "parser",
      title: "Add the parser",
      prompt: "Write src/parser.ts with tests.",
      estimate_minutes: 20,
      max_budget_usd: 2,
    },
    {
      id: "cli",
      title: "Add the CLI",
      prompt: "Write src/cli.ts on the parser.",
      blocked_by: ["parser"],
      max_budget_usd: 1.5,
      retries: 1,
    },
    {
      id: "docs",
      title: "Document it",
      prompt: "Describe the CLI in README.md.",
      blocked_by: ["parser"],
      max_budget_usd: 1,
    },
  ],
};

async function setUp(): Promise<{
  h: ServerHarness;
  goal: number;
  server: Awaited<ReturnType<ServerHarness["startServer"]>>;
}> {
  const h = (harness = await ServerHarness.create({ tasks: { tasks: [{ id: "unused", prompt: "x" }] } }));
  h.fake.state.setPermission(FULL_NAME, "octocat", "write");
  const goal = h.fake.state.addIssue({
    repo: FULL_NAME,
    title: "A command-line tool for widgets",
    body: "Parse widget files and print a summary.",
    user: "octocat",
  }).number;
  const server = await h.startServer();
  return { h, goal, server };
}

/** The App's comments on an issue, oldest first. */
function appComments(h: ServerHarness, issueNumber: number): string[] {
  return [...h.fake.state.comments.values()]
    .filter((c) => c.issueNumber === issueNumber && c.viaAppId !== undefined)
    .sort((a, b) => a.id - b.id)
    .map((c) => c.body);
}

function issuesCreated(h: ServerHarness): number {
  return h.fake.requests.filter((r) => r.route === "POST /repos/{owner}/{repo}/issues").length;
}

describe("a planner: /orchestrate plan, then approve", () => {
  it("runs one read-only planner, shows its proposal with graph and worst case, and creates nothing", async () => {
    const { h, goal, server } = await setUp();
    expect(
      await h.deliver(server, h.comment({ body: "/orchestrate plan --budget 3", issueNumber: goal })),
    ).toBe(200);

    const [run, ...others] = h.runs();
    expect(others).toEqual([]);
    expect(run?.inputs.mode).toBe("plan");
    const request = h.requestOf(run!);
    expect(request).toMatchObject({
      taskId: `plan-${goal}`,
      branch: `orchestrator/plan-${goal}`,
      maxBudgetUsd: 3,
    });
    expect(request.prompt).toContain("# A command-line tool for widgets");
    expect(request.prompt).toContain("Parse widget files and print a summary.");
    expect(request.prompt).toContain("do not change any file");

    h.finishPlan(run!, PROPOSAL);
    await h.deliverAll(server);
    expect(h.summary()).toMatchObject({ status: "completed", conclusion: "success" });
    const [status, ...more] = appComments(h, goal);
    expect(more).toEqual([]);
    expect(status).toContain(`### Proposed plan: 3 sub-issues of #${goal}`);
    expect(status).toContain("```mermaid");
    expect(status).toMatch(/t0\["parser: Add the parser"\]/);
    expect(status).toContain("| ` parser ` | ` Add the parser ` | — | 20 min | $2.00 |");
    // Every attempt at its cap: 2 + 1.5 × 2 (one retry) + 1.
    expect(status).toContain("**Worst-case cost:** $6.00");
    expect(status).toContain("`/orchestrate approve`");
    expect(issuesCreated(h)).toBe(0);
  });

  it("approve makes the sub-issues and links once; asked again, it makes nothing twice", async () => {
    const { h, goal, server } = await setUp();
    await h.deliver(server, h.comment({ body: "/orchestrate plan", issueNumber: goal }));
    h.finishPlan(h.runs()[0]!, PROPOSAL);
    await h.deliverAll(server);

    expect(await h.deliver(server, h.comment({ body: "/orchestrate approve", issueNumber: goal }))).toBe(200);
    const state = h.fake.state;
    const parent = state.requireIssue(FULL_NAME, goal);
    const subs = (state.issueRelations.subIssues.get(parent.id) ?? []).map((id) =>
      [...state.issues.values()].find((issue) => issue.id === id)!,
    );
    expect(subs.map((issue) => issue.title)).toEqual(["Add the parser", "Add the CLI", "Document it"]);
    const [parser, cli, docs] = subs as [(typeof subs)[0], (typeof subs)[0], (typeof subs)[0]];
    expect(cli.body).toContain("Write src/cli.ts on the parser.");
    expect(cli.body).toContain("```orchestrator\nmax_budget_usd: 1.5\nretries: 1\n```");
    expect(state.issueRelations.blockedBy.get(cli.id)).toEqual([parser.id]);
    expect(state.issueRelations.blockedBy.get(docs.id)).toEqual([parser.id]);
    const replies = appComments(h, goal);
    expect(replies.at(-1)).toContain(
      `Approved: created #${parser.number}, #${cli.number}, #${docs.number}; added 2 "blocked by" links.`,
    );
    // The proposal comment now names the issues made from it.
    expect(replies[0]).toContain(`| \` cli \` #${cli.number} |`);

    // Done and closed meanwhile: its links are not read again, and not made again.
    cli.state = "closed";
    await h.deliver(server, h.comment({ body: "/orchestrate approve", issueNumber: goal }));
    expect(issuesCreated(h)).toBe(3);
    expect(
      h.fake.requests.filter(
        (r) => r.route === "POST /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by",
      ),
    ).toHaveLength(2);
    expect(appComments(h, goal).at(-1)).toContain(
      `#${parser.number}, #${cli.number}, #${docs.number} already existed`,
    );
  });

  it("approve --start runs the new sub-issues as an issue session, the App's own issues trusted", async () => {
    const { h, goal, server } = await setUp();
    await h.deliver(server, h.comment({ body: "/orchestrate plan", issueNumber: goal }));
    h.finishPlan(h.runs()[0]!, PROPOSAL);
    await h.deliverAll(server);

    await h.deliver(server, h.comment({ body: "/orchestrate approve --start", issueNumber: goal }));
    const parser = [...h.fake.state.issues.values()].find((issue) => issue.title === "Add the parser")!;
    expect(h.dispatched()).toEqual([`plan-${goal}#1`, `issue-${parser.number}#1`]);
    const request = h.requestOf(h.runs()[1]!);
    expect(request.prompt).toContain("Write src/parser.ts with tests.");
    expect(request.maxBudgetUsd).toBe(2);
    expect(appComments(h, goal).some((body) => body.includes("Started session"))).toBe(true);
  });

  it("shows what the planner wrote inert, and believes no proposal that names another run", async () => {
    const { h, goal, server } = await setUp();
    await h.deliver(server, h.comment({ body: "/orchestrate plan", issueNumber: goal }));
    const hostile = {
      summary: "Ping @admin and see [this](https://evil.example) <img src=x>",
      tasks: [
        { id: "x", title: "@admin please merge #1 <b>now</b>", prompt: "```\nclosing fence\n```\n@admin" },
      ],
    };
    h.finishPlan(h.runs()[0]!, hostile);
    await h.deliverAll(server);
    const status = appComments(h, goal)[0] ?? "";
    expect(status).toContain("| ` x ` | ` @admin please merge #1 <b>now</b> ` |");
    expect(status).toContain("` Ping @admin and see [this](https://evil.example) <img src=x> `");
    // Outside code (where GitHub renders nothing of it), not a trace of the planner's text.
    const outside = status.replace(/^(`{3,})text\n[\s\S]*?\n\1$/gm, "").replace(/(`+) [^`]* \1/g, "");
    expect(outside).not.toMatch(/@admin|evil\.example|<img|<b>/);
    expect(status).toContain("````text\n```\nclosing fence\n```\n@admin\n````");

    // A second plan whose pushed file names another run: the planner task fails, nothing is shown.
    await h.deliver(server, h.comment({ body: "/orchestrate plan", issueNumber: goal }));
    h.finishPlan(h.runs()[1]!, PROPOSAL, { run_id: 1 });
    await h.deliverAll(server);
    const latest = appComments(h, goal).at(-1) ?? "";
    expect(latest).toContain("is not this run's");
    expect(latest).not.toContain("Proposed plan");
  });

  it("refuses, saying why: an outsider's issue, approve before a proposal, approve without write access", async () => {
    const { h, goal, server } = await setUp();
    const theirs = h.fake.state.addIssue({
      repo: FULL_NAME,
      title: "Do everything",
      body: "…",
      user: "stranger",
    }).number;
    await h.deliver(server, h.comment({ body: "/orchestrate plan", issueNumber: theirs }));
    expect(appComments(h, theirs).at(-1)).toContain(
      "#2 was written by `stranger`, who cannot push to acme/widgets (`read`)",
    );
    expect(h.runs()).toEqual([]);

    await h.deliver(server, h.comment({ body: "/orchestrate approve", issueNumber: goal }));
    expect(appComments(h, goal).at(-1)).toContain("there is no proposal on this issue to approve");

    await h.deliver(server, h.comment({ body: "/orchestrate plan", issueNumber: goal }));
    await h.deliver(server, h.comment({ body: "/orchestrate approve", issueNumber: goal }));
    expect(appComments(h, goal).at(-1)).toContain("the planner is still working");

    h.finishPlan(h.runs()[0]!, PROPOSAL);
    await h.deliverAll(server);
    h.fake.state.setPermission(FULL_NAME, "reader", "read");
    await h.deliver(server, h.comment({ body: "/orchestrate approve", issueNumber: goal, login: "reader" }));
    expect(appComments(h, goal).at(-1)).toContain("only people with write, maintain or admin permission");
    expect(issuesCreated(h)).toBe(0);
  });

  it("on a task workflow older than the `mode` input, the planner fails saying to update the workflow", async () => {
    const oldWorkflow = TASK_WORKFLOW.replace(/\n {6}mode:\n(?: {8}[^\n]*\n)+/, "\n")
      .replace(/\n {10}mode: \$\{\{ inputs\.mode \}\}/, "")
      .replaceAll("${{ inputs.mode == 'restack' && ' restack' || '' }}", "")
      .replace(/\n {8}if: inputs\.mode != 'restack'\n/, "\n")
      .replaceAll("inputs.mode != 'restack' && ", "");
    expect(oldWorkflow).not.toMatch(/inputs\.mode\b|^ {6}mode:/m);
    const h = (harness = await ServerHarness.create({
      tasks: { tasks: [{ id: "unused", prompt: "x" }] },
      files: { ".github/workflows/orchestrator-task.yml": oldWorkflow },
    }));
    h.fake.state.setPermission(FULL_NAME, "octocat", "write");
    const goal = h.fake.state.addIssue({
      repo: FULL_NAME,
      title: "Goal",
      body: "Do it.",
      user: "octocat",
    }).number;
    const server = await h.startServer();
    await h.deliver(server, h.comment({ body: "/orchestrate plan", issueNumber: goal }));
    expect(h.dispatched()).toEqual([]);
    expect(appComments(h, goal)[0]).toContain(
      "is older than planners and restacking (it has no `mode` input)",
    );
    expect(h.violations()).toEqual([expect.stringContaining('Unexpected inputs provided: ["mode"]')]);
    h.fake.violations.splice(0);
  });
});
