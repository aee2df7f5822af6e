import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { inert, inertCell, plainLine, safeUrl } from "../../src/core/inert-text.js";
import { renderStatusComment, type SessionView } from "../../src/core/render-status.js";
import { buildTaskGraph } from "../../src/core/task-graph.js";
import { liveMarkdown, tableCells } from "../support/live-markdown.js";

/** What an attacker puts in a failure message, a PR body or a run title. */
const FORGED =
  "Fixed! [details](https://evil.example/x) ![img](https://evil.example/i.png) @mallory <img src=x onerror=alert(1)> **urgent** #1 `code` <!-- hidden -->";

describe("inert text", () => {
  it("shows forged Markdown, HTML and mentions literally: nothing of it is outside the code span", () => {
    const shown = inert(FORGED);
    expect(shown).toBe(`\`\` ${FORGED} \`\``);
    expect(liveMarkdown(shown).trim()).toBe("");
  });

  it("a fence longer than any backtick run inside, so the text cannot close it", () => {
    expect(inert("a ``` b")).toBe("```` a ``` b ````");
    expect(inert("`leading")).toBe("`` `leading ``");
    expect(liveMarkdown(inert("x`` ` [a](https://evil.example)")).trim()).toBe("");
  });

  it("one line, no control or bidirectional-override characters, bounded", () => {
    expect(inert("line one\n\nline two\r\n")).toBe("` line one line two `");
    expect(plainLine("a\u202eb\u0007c\u2066d", 10)).toBe("abcd");
    expect(inert("x".repeat(50), 10)).toBe("` xxxxxxxxx… `");
    expect(inert("  \n ")).toBe("");
  });

  it("any text stays inert, and in a table cell never splits the row", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-ascii", maxLength: 80 }), (text) => {
        expect(liveMarkdown(inert(text)).trim()).toBe("");
        const row = `| a | ${inertCell(text)} | b |`;
        expect(tableCells(row)).toHaveLength(3);
        expect(liveMarkdown(tableCells(row)[1] as string).trim()).toBe("");
      }),
      { numRuns: 500 },
    );
  });

  it("links only well-formed http(s) addresses", () => {
    expect(safeUrl("https://github.com/acme/widgets/actions/runs/9001")).toBe(
      "https://github.com/acme/widgets/actions/runs/9001",
    );
    expect(safeUrl("http://127.0.0.1:3000/acme/widgets/pull/7")).toBe(
      "http://127.0.0.1:3000/acme/widgets/pull/7",
    );
    for (const bad of [
      "javascript:alert(1)",
      "https://github.com/x) ![img](https://evil.example/i.png",
      "https://github.com/x y",
      "https://github.com/<img>",
      "data:text/html,hi",
      "",
      undefined,
    ]) {
      expect(safeUrl(bad)).toBeUndefined();
    }
  });

  it("the status comment shows a forged reason, note and task name inert, and keeps its table", () => {
    const graph = buildTaskGraph({
      tasks: [
        { id: "api", name: "API @mallory [x](https://evil.example)", prompt: "x" },
        { id: "web", prompt: "x", dependencies: ["api"] },
        { id: "docs", prompt: "x" },
      ],
    });
    const view: SessionView = {
      state: "running",
      file: "tasks/`x` [a](https://evil.example).json",
      sha: "0123456789abcdef",
      sessionId: "acme:widgets:42",
      parallel: 3,
      cancelRequested: false,
      checkRunUrl: "https://github.com/acme/widgets/runs/42",
    };
    const comment = renderStatusComment({
      view,
      graph,
      tasks: {
        api: {
          status: "failed",
          attempts: 1,
          reason: `${FORGED} | injected | cells |`,
          runUrl: "https://evil.example/run) [click](https://evil.example",
          prUrl: "javascript:alert(1)",
          prNumber: 3,
        },
        docs: { status: "running", attempts: 1, note: FORGED },
      },
    });
    expect(comment).toContain("@mallory");
    const live = liveMarkdown(comment);
    for (const forged of ["evil.example", "mallory", "<img", "**urgent**", "#1", "hidden", "javascript"]) {
      expect(live).not.toContain(forged);
    }
    const rows = comment.split("\n").filter((line) => line.startsWith("| `"));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(tableCells(row)).toHaveLength(7);
  });
});
