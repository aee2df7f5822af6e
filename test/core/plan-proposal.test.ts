import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkProposal, PROPOSAL_LIMITS, readProposalAnswer } from "../../src/core/plan-proposal.js";

const two = {
  tasks: [
    { id: "a", title: "First", prompt: "Do a." },
    { id: "b", title: "Second", prompt: "Do b.", blocked_by: ["a"], max_budget_usd: 2 },
  ],
};

describe("a planner's proposal", () => {
  it("is read from the last ```json block of the answer", () => {
    const answer = `Thinking.\n\n\`\`\`json\n{"tasks": []}\n\`\`\`\n\nThe plan:\n\n\`\`\`json\n${JSON.stringify(two)}\n\`\`\`\n`;
    const read = readProposalAnswer(answer);
    expect(read.ok).toBe(true);
    if (read.ok) {
      expect(read.graph.order).toEqual(["a", "b"]);
      expect(read.file.tasks[1]).toMatchObject({ name: "Second", dependencies: ["a"], max_budget_usd: 2 });
    }
  });

  it("takes a bare JSON answer too", () => {
    expect(readProposalAnswer(JSON.stringify(two)).ok).toBe(true);
  });

  it("names what is wrong: no block, bad JSON, schema, unknown links, cycles", () => {
    const problems = (answer: string) => {
      const read = readProposalAnswer(answer);
      return read.ok ? [] : read.problems;
    };
    expect(problems("I would start with the parser.")).toEqual([
      "the answer holds no proposal: it must end with a ```json block",
    ]);
    expect(problems("```json\n{tasks: 1}\n```")[0]).toMatch(/^the proposal is not valid JSON/);
    expect(problems(JSON.stringify({ tasks: [{ id: "a b", title: "", prompt: "x" }] }))).toEqual([
      "tasks.0.id: must start with a letter or digit and use only letters, digits, '.', '_' and '-'",
      "tasks.0.title: must not be empty",
    ]);
    expect(
      problems(JSON.stringify({ tasks: [{ id: "a", title: "A", prompt: "x", blocked_by: ["zz"] }] })).join(),
    ).toContain("zz");
    const cycle = {
      tasks: [
        { id: "a", title: "A", prompt: "x", blocked_by: ["b"] },
        { id: "b", title: "B", prompt: "y", blocked_by: ["a"] },
      ],
    };
    expect(problems(JSON.stringify(cycle)).join()).toMatch(/cycle/);
    expect(problems(JSON.stringify({ tasks: [], extra: 1 })).length).toBeGreaterThan(0);
  });

  it("is bounded: too many tasks, too long an answer", () => {
    const many = {
      tasks: Array.from({ length: PROPOSAL_LIMITS.maxTasks + 1 }, (_, index) => ({
        id: `t${index}`,
        title: "T",
        prompt: "x",
      })),
    };
    expect(checkProposal(many).ok).toBe(false);
    const read = readProposalAnswer("x".repeat(PROPOSAL_LIMITS.maxProposalChars + 1));
    expect(read.ok ? "" : read.problems[0]).toMatch(/at most/);
  });

  it("never throws on arbitrary answers", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const read = readProposalAnswer(`\`\`\`json\n${text}\n\`\`\``);
        expect(typeof read.ok).toBe("boolean");
      }),
    );
  });
});
