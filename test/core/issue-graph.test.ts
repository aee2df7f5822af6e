import { describe, expect, it } from "vitest";
import type { IssueGraphSnapshot, SubIssueSnapshot } from "../../src/core/issue-graph-snapshot.js";
import { issuesByOutsiders } from "../../src/core/issue-graph-snapshot.js";
import { tasksFromIssueGraph } from "../../src/core/issue-graph.js";
import { makePlan } from "../../src/core/make-plan.js";
import { LIMITS } from "../../src/core/tasks-schema.js";

/** A sub-issue of acme/widgets; its database id is its number × 1000 (never the number itself). */
function sub(number: number, extra: Partial<SubIssueSnapshot> = {}): SubIssueSnapshot {
  return {
    number,
    id: number * 1000,
    title: `Step ${number}`,
    body: "",
    state: "open",
    blockedBy: [],
    ...extra,
  };
}

function blockedBy(...numbers: number[]): SubIssueSnapshot["blockedBy"] {
  return numbers.map((number) => ({ number, id: number * 1000, state: "open" as const }));
}

function snapshot(subIssues: SubIssueSnapshot[], parentBody = ""): IssueGraphSnapshot {
  return {
    repository: "acme/widgets",
    parent: { number: 12, title: "Login", body: parentBody },
    subIssues,
  };
}

function ok(result: ReturnType<typeof tasksFromIssueGraph>) {
  if (!result.ok) throw new Error(`expected tasks, got problems: ${result.problems.join("; ")}`);
  return result;
}

function problems(result: ReturnType<typeof tasksFromIssueGraph>): string[] {
  if (result.ok) throw new Error("expected problems, got tasks");
  return result.problems;
}

describe("tasksFromIssueGraph", () => {
  it("makes one task per open sub-issue, with dependencies from blocked-by (by database id)", () => {
    const result = ok(
      tasksFromIssueGraph(
        snapshot([sub(13), sub(14, { blockedBy: blockedBy(13) }), sub(15, { blockedBy: blockedBy(13, 14) })]),
      ),
    );
    expect(result.file.tasks.map((task) => [task.id, task.dependencies ?? []])).toEqual([
      ["issue-13", []],
      ["issue-14", ["issue-13"]],
      ["issue-15", ["issue-13", "issue-14"]],
    ]);
    expect(result.graph.order).toEqual(["issue-13", "issue-14", "issue-15"]);
    expect(result.issueOfTask).toEqual({ "issue-13": 13, "issue-14": 14, "issue-15": 15 });
    expect(result.waiting).toEqual([]);
    // The same structure the CLI plans: the plan runs it unchanged.
    expect(makePlan({ graph: result.graph, agents: 3 }).waves).toHaveLength(3);
  });

  it("matches blockers by database id, not by number", () => {
    // A blocker numbered 13 in another repository is not sub-issue #13.
    const result = ok(
      tasksFromIssueGraph(
        snapshot([
          sub(13),
          sub(14, { blockedBy: [{ number: 13, id: 777, state: "closed", repository: "acme/other" }] }),
        ]),
      ),
    );
    expect(result.file.tasks[1]?.dependencies).toBeUndefined();
  });

  it("writes a prompt naming the issue and its parent, without the options block", () => {
    const body = "Add a login form.\n\n```orchestrator\nretries: 1\n```\n\nUse the existing CSS.";
    const result = ok(tasksFromIssueGraph(snapshot([sub(14, { title: "Login form", body })])));
    const task = result.file.tasks[0];
    expect(task?.name).toBe("#14 Login form");
    expect(task?.prompt).toContain("Work on GitHub issue #14 of acme/widgets: Login form");
    expect(task?.prompt).toContain("It is one step of #12 (Login)");
    expect(task?.prompt).toContain("Add a login form.\n\n\nUse the existing CSS.");
    expect(task?.prompt).not.toContain("orchestrator");
    expect(task?.retries).toBe(1);
  });

  it("reads every option of the block into the task's fields", () => {
    const body = [
      "```orchestrator",
      "model: claude-sonnet-4-5",
      "timeout: 30        # minutes",
      "retries: 1",
      "allowed_tools: [Read, Edit, Bash(npm test)]",
      "base: merged",
      "estimate: 15",
      "```",
    ].join("\n");
    const task = ok(tasksFromIssueGraph(snapshot([sub(14, { body })]))).file.tasks[0];
    expect(task).toMatchObject({
      model: "claude-sonnet-4-5",
      timeout_minutes: 30,
      retries: 1,
      allowed_tools: ["Read", "Edit", "Bash(npm test)"],
      base: "merged",
      estimate_minutes: 15,
    });
  });

  it("takes session settings and task defaults from the parent's block", () => {
    const parentBody = "Plan.\n```orchestrator\nparallel: 2\nbudget: 5\nretries: 2\n```";
    const result = ok(tasksFromIssueGraph(snapshot([sub(14)], parentBody)));
    expect(result.file.max_parallel_agents).toBe(2);
    expect(result.file.budget_usd).toBe(5);
    expect(result.graph.tasks[0]?.retries).toBe(2);
  });

  it("ignores an orchestrator block shown inside another code block", () => {
    const body = "Example:\n````markdown\n```orchestrator\nretries: 99\n```\n````";
    const task = ok(tasksFromIssueGraph(snapshot([sub(14, { body })]))).file.tasks[0];
    expect(task?.retries).toBeUndefined();
    expect(task?.prompt).toContain("retries: 99");
  });

  it.each([
    ["retries: 11", "#14: retries must be at most 10 (got 11)"],
    ["timeout: 0", "#14: timeout must be at least 1 (got 0)"],
    ["base: main", '#14: base must be one of "dependencies", "merged", "base_branch" (got "main")'],
    ["retrys: 1", '#14: unknown option "retrys" (did you mean "retries"?)'],
    ["id: other", '#14: unknown option "id"'],
    ["- a list", "#14: the ```orchestrator block must hold `name: value` lines"],
    ["retries: [1", "#14: the ```orchestrator block is not valid YAML"],
    ["retries: 1\nretries: 2", "#14: the ```orchestrator block is not valid YAML"],
  ])("names the issue for a bad option: %s", (block, expected) => {
    const found = problems(
      tasksFromIssueGraph(snapshot([sub(13), sub(14, { body: `\`\`\`orchestrator\n${block}\n\`\`\`` })])),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
  });

  it("reports an unclosed block, two blocks and a bad parent option by issue", () => {
    const found = problems(
      tasksFromIssueGraph(
        snapshot(
          [
            sub(14, { body: "```orchestrator\nretries: 1" }),
            sub(15, { body: "```orchestrator\n```\n```orchestrator\n```" }),
          ],
          "```orchestrator\nparallel: 1000\n```",
        ),
      ),
    );
    expect(found).toEqual(
      [
        "#12: parallel must be at most 64 (got 1000)".replace("64", String(LIMITS.maxParallelAgents)),
        "#14: the ```orchestrator block is not closed with ```",
        "#15: has more than one ```orchestrator block; keep one",
      ].sort((a, b) => found.indexOf(a) - found.indexOf(b)),
    );
  });

  it("reports cycles by issue number", () => {
    const found = problems(
      tasksFromIssueGraph(
        snapshot([sub(13), sub(14, { blockedBy: blockedBy(15) }), sub(15, { blockedBy: blockedBy(14) })]),
      ),
    );
    expect(found).toEqual([
      '"blocked by" cycle: #14 → #15 → #14, each blocked by the next; remove one of these links',
    ]);
  });

  it("drops closed sub-issues and closed outside blockers; notes what it left out", () => {
    const result = ok(
      tasksFromIssueGraph(
        snapshot([
          sub(13, { state: "closed" }),
          sub(14, {
            blockedBy: [...blockedBy(13), { number: 99, id: 99_000, state: "closed" }],
            subIssueCount: 2,
          }),
          sub(12, { repository: "acme/api" }) /* same number as the parent, another issue */,
        ]),
      ),
    );
    expect(result.file.tasks.map((task) => task.id)).toEqual(["issue-14"]);
    expect(result.file.tasks[0]?.dependencies).toBeUndefined();
    expect(result.notes).toEqual([
      "1 closed sub-issue is done already: #13",
      "acme/api#12 is a sub-issue of #12 in another repository: it does not run here",
      "#14 has sub-issues of its own: it runs as one task (only direct sub-issues of #12 are tasks)",
    ]);
  });

  it("leaves out tasks that wait on an open outside issue, with their dependents", () => {
    const result = ok(
      tasksFromIssueGraph(
        snapshot([
          sub(13),
          sub(14, { blockedBy: [{ number: 99, id: 99_000, state: "open" }] }),
          sub(15, { blockedBy: blockedBy(14, 13) }),
          sub(16, { blockedBy: [{ number: 5, id: 5_555, state: "open", repository: "acme/api" }] }),
        ]),
      ),
    );
    expect(result.file.tasks.map((task) => task.id)).toEqual(["issue-13"]);
    expect(result.waiting).toEqual([
      { issue: 14, waitsOn: ["#99 (open, not a sub-issue of #12)"] },
      { issue: 15, waitsOn: ["#14 (waiting)"] },
      { issue: 16, waitsOn: ["acme/api#5 (open, not a sub-issue of #12)"] },
    ]);
  });

  it("says what everything waits for when nothing can start", () => {
    const found = problems(
      tasksFromIssueGraph(
        snapshot([
          sub(14, { blockedBy: [{ number: 99, id: 99_000, state: "open" }] }),
          sub(15, { blockedBy: blockedBy(14) }),
        ]),
      ),
    );
    expect(found).toEqual([
      "no sub-issue of #12 can start yet: #14 waits on #99 (open, not a sub-issue of #12)",
    ]);
  });

  it("reports an empty graph clearly", () => {
    expect(problems(tasksFromIssueGraph(snapshot([])))).toEqual([
      '#12 has no sub-issues: add the work as sub-issues of #12 (and link their order with "blocked by")',
    ]);
    expect(problems(tasksFromIssueGraph(snapshot([sub(13, { state: "closed" })])))).toEqual([
      "#12 has no open sub-issues in acme/widgets: nothing is left to run",
    ]);
  });

  it("enforces the limits of a tasks file, by issue", () => {
    const many = Array.from({ length: LIMITS.maxDependencies + 1 }, (_, k) => sub(100 + k));
    const blocked = sub(14, { blockedBy: blockedBy(...many.map((s) => s.number)) });
    expect(problems(tasksFromIssueGraph(snapshot([...many, blocked])))).toEqual([
      `#14: "blocked by" lists too many items: ${LIMITS.maxDependencies + 1} (the limit is ${LIMITS.maxDependencies})`,
    ]);
    const long = sub(15, { body: "x".repeat(LIMITS.maxPromptLength) });
    expect(problems(tasksFromIssueGraph(snapshot([long])))[0]).toMatch(/^#15: the issue's text is too long/);
    const tooMany = Array.from({ length: LIMITS.maxTasks + 1 }, (_, k) => sub(k + 100));
    expect(problems(tasksFromIssueGraph(snapshot(tooMany)))).toEqual([
      `#12 has too many open sub-issues: ${LIMITS.maxTasks + 1} (the limit is ${LIMITS.maxTasks})`,
    ]);
  });

  it("names the issues whose text would run but whose authors cannot push", () => {
    const by = (authorAssociation: string) => ({ author: "someone", authorAssociation });
    const graph = snapshot([
      sub(13, by("MEMBER")),
      sub(14, by("CONTRIBUTOR")),
      sub(15, { ...by("NONE"), state: "closed" }), // done: its text never runs
      sub(16, { ...by("NONE"), repository: "acme/other" }), // not run here
      sub(17), // unknown association: not trusted
    ]);
    graph.parent = { ...graph.parent, ...by("OWNER") };
    expect(issuesByOutsiders(graph)).toEqual(["#14 (@someone, CONTRIBUTOR)", "#17 (@unknown, unknown)"]);
    graph.parent = { ...graph.parent, ...by("FIRST_TIME_CONTRIBUTOR") };
    expect(issuesByOutsiders(graph)[0]).toBe("#12 (@someone, FIRST_TIME_CONTRIBUTOR)");
  });
});
