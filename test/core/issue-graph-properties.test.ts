import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { IssueGraphSnapshot, SubIssueSnapshot } from "../../src/core/issue-graph-snapshot.js";
import { tasksFromIssueGraph } from "../../src/core/issue-graph.js";

/** Random issue graphs with hostile titles and bodies: the result is always one of two clear answers. */

const hostileText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.constantFrom(
    "```orchestrator\nretries: 1\n```",
    "```orchestrator\nretries: [1\n```",
    "```orchestrator\nretries: 1",
    "````\n```orchestrator\nretries: 99\n```\n````",
    "~~~orchestrator\nmodel: x\n~~~",
    "<!-- hidden -->\n\u202e\u0000\r\n",
    "```orchestrator\na: &a [*a]\n```",
    "```orchestrator\nallowed_tools: [Bash(*)]\nbase: merged\n```",
  ),
);

const graphArbitrary = fc.integer({ min: 0, max: 12 }).chain((size) =>
  fc.record({
    parentBody: hostileText,
    subs: fc.array(
      fc.record({
        title: hostileText,
        body: hostileText,
        closed: fc.boolean(),
        otherRepo: fc.integer({ min: 0, max: 4 }).map((k) => k === 0),
        blockers: fc.array(fc.integer({ min: 0, max: size + 2 }), { maxLength: 4 }),
        outsideOpen: fc.boolean(),
      }),
      { minLength: size, maxLength: size },
    ),
  }),
);

function snapshotOf(drawn: {
  parentBody: string;
  subs: Array<{
    title: string;
    body: string;
    closed: boolean;
    otherRepo: boolean;
    blockers: number[];
    outsideOpen: boolean;
  }>;
}): IssueGraphSnapshot {
  const number = (k: number) => 100 + k;
  const subIssues: SubIssueSnapshot[] = drawn.subs.map((sub, k) => ({
    number: number(k),
    id: 5_000 + k,
    title: sub.title,
    body: sub.body,
    state: sub.closed ? "closed" : "open",
    ...(sub.otherRepo ? { repository: "acme/other" } : {}),
    // Indexes past the list are outside issues (not sub-issues of the parent).
    blockedBy: sub.blockers.map((b) =>
      b < drawn.subs.length
        ? { number: number(b), id: 5_000 + b, state: drawn.subs[b]?.closed ? "closed" : "open" }
        : { number: 900 + b, id: 9_000 + b, state: sub.outsideOpen ? "open" : "closed" },
    ),
  }));
  return {
    repository: "acme/widgets",
    parent: { number: 1, title: "Parent", body: drawn.parentBody },
    subIssues,
  };
}

describe("tasksFromIssueGraph on random graphs", () => {
  it("returns tasks that follow the links, or problems that name an issue", () => {
    fc.assert(
      fc.property(graphArbitrary, (drawn) => {
        const snapshot = snapshotOf(drawn);
        const result = tasksFromIssueGraph(snapshot);
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const problem of result.problems)
            expect(problem).toMatch(
              /^(#\d+[: ]|"blocked by" cycle: #\d+ → |no sub-issue of #1 can start yet: #\d+ waits on )/,
            );
          return;
        }
        const runnable = new Set(result.file.tasks.map((task) => task.id));
        const waiting = new Set(result.waiting.map((entry) => `issue-${entry.issue}`));
        for (const sub of snapshot.subIssues) {
          const id = `issue-${sub.number}`;
          const isTask = sub.state === "open" && sub.repository === undefined;
          // Every open sub-issue of this repository either runs or waits; nothing else is a task.
          expect(runnable.has(id) || waiting.has(id)).toBe(isTask);
          expect(runnable.has(id) && waiting.has(id)).toBe(false);
        }
        for (const task of result.file.tasks) {
          const sub = snapshot.subIssues.find((s) => `issue-${s.number}` === task.id) as SubIssueSnapshot;
          // Dependencies are exactly the open sub-issues blocking it.
          const expected = new Set(
            sub.blockedBy
              .filter((b) => b.id !== sub.id) // GitHub refuses these; the core drops them
              .filter(
                (b) =>
                  b.state === "open" &&
                  snapshot.subIssues.some((s) => s.id === b.id && s.repository === undefined),
              )
              .map((b) => `issue-${b.number}`),
          );
          expect(new Set(task.dependencies ?? [])).toEqual(expected);
          for (const dep of task.dependencies ?? []) expect(runnable.has(dep)).toBe(true);
          // No open outside blocker may be hidden behind a task that runs.
          expect(
            sub.blockedBy.some(
              (b) =>
                b.state === "open" &&
                !snapshot.subIssues.some((s) => s.id === b.id && s.repository === undefined),
            ),
          ).toBe(false);
          // eslint-disable-next-line no-control-regex -- control characters are what must not appear
          expect(task.name).not.toMatch(/[\n\r\u0000-\u001f\u202e]/);
          expect(task.prompt.startsWith(`Work on GitHub issue #${sub.number} of acme/widgets: `)).toBe(true);
          expect(result.issueOfTask[task.id]).toBe(sub.number);
        }
        expect(result.graph.order).toHaveLength(result.file.tasks.length);
      }),
      { numRuns: 400 },
    );
  });
});
