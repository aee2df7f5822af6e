import { describe, expect, it } from "vitest";
import { reviewFeedback } from "../../src/core/review-feedback.js";

describe("reviewFeedback", () => {
  it("puts the review body, each comment with its file and line, and the text together", () => {
    expect(
      reviewFeedback({
        reviewer: "mona",
        reviewBody: "  Close, but not yet.  ",
        comments: [
          { path: "src/a.ts", line: 3, body: "Off by one.\nSee the loop." },
          { path: "docs/old.md", line: null, body: "Outdated." },
        ],
        text: "Also rename it.",
      }),
    ).toBe(
      [
        "Review by @mona (changes requested):",
        "",
        "Close, but not yet.",
        "",
        "Comments on the code:",
        "",
        "- src/a.ts, line 3:",
        "  Off by one.",
        "  See the loop.",
        "",
        "- docs/old.md:",
        "  Outdated.",
        "",
        "Also rename it.",
      ].join("\n"),
    );
  });

  it("is the text alone for a command, and empty for an empty review", () => {
    expect(reviewFeedback({ text: " do it " })).toBe("do it");
    expect(reviewFeedback({ reviewer: "mona", reviewBody: "", comments: [] })).toBe("");
  });
});
