import { describe, expect, it } from "vitest";
import { attemptPrompt } from "../../src/core/attempt-prompt.js";

describe("attemptPrompt", () => {
  it("is the task's prompt when there is no feedback", () => {
    expect(attemptPrompt("Add a parser.", undefined)).toBe("Add a parser.");
    expect(attemptPrompt("Add a parser.", "  \n")).toBe("Add a parser.");
  });

  it("adds the feedback under its own heading, after the prompt", () => {
    const prompt = attemptPrompt("Add a parser.\n", "src/a.ts:3 use a Map");
    expect(prompt.startsWith("Add a parser.\n\n## Feedback on the earlier work")).toBe(true);
    expect(prompt.endsWith("src/a.ts:3 use a Map")).toBe(true);
    expect(prompt).toContain("Go on from it");
  });
});
