import { describe, expect, it } from "vitest";
import { parseIssueReference } from "../../src/core/issue-reference.js";

describe("parseIssueReference", () => {
  it("reads owner/repo#N and the issue's URL", () => {
    expect(parseIssueReference("acme/widgets#12")).toEqual({ owner: "acme", repo: "widgets", number: 12 });
    expect(parseIssueReference(" https://github.com/acme/my.repo/issues/7/ ")).toEqual({
      owner: "acme",
      repo: "my.repo",
      number: 7,
    });
  });

  it.each([
    "acme/widgets",
    "#12",
    "acme#12",
    "acme/widgets#0",
    "acme/widgets#12x",
    "-acme/w#1",
    "https://example.com/acme/w/issues/1",
  ])("refuses %j with the form it expects", (text) => {
    expect(parseIssueReference(text)).toEqual({
      error: `expected an issue as owner/repo#123 (or its github.com URL), got "${text}"`,
    });
  });
});
