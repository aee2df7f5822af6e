import { describe, expect, it } from "vitest";
import {
  inertComments,
  parseResultBlock,
  renderResultBlock,
  upsertResultBlock,
  type TaskResult,
} from "../../src/core/task-result-block.js";

const result: TaskResult = {
  version: 1,
  session_id: "octo:repo:42",
  task_id: "api",
  attempt: 2,
  conclusion: "success",
  branch: "orchestrator/api",
  commit: "0123456789abcdef0123456789abcdef01234567",
  files_changed: 3,
  cost_usd: 0.0421,
  turns: 7,
  duration_ms: 65_000,
  run_id: 987654321,
};

describe("task result block", () => {
  it("round-trips through a PR body and stays hidden in an HTML comment", () => {
    const block = renderResultBlock(result);
    expect(block).toMatch(/^<!-- orchestrator:result \{.*\} -->$/);
    expect(parseResultBlock(`Some text\n\n${block}\n`)).toEqual(result);
  });

  it("keeps '--' and '-->' inside strings without ending the comment early", () => {
    const failure: TaskResult = {
      ...result,
      conclusion: "failure",
      failure_kind: "agent_error",
      message: "git push --force-with-lease --> refused; a -- b ---",
    };
    const block = renderResultBlock(failure);
    const inner = block.slice("<!-- ".length, -" -->".length);
    expect(inner).not.toContain("--");
    expect(parseResultBlock(block)).toEqual(failure);
  });

  it("upserts: appends to a body without a block, keeping the user's text", () => {
    const body = upsertResultBlock("Reviewer notes: looks good.\n", result);
    expect(body.startsWith("Reviewer notes: looks good.\n\n<!-- orchestrator:result ")).toBe(true);
    expect(parseResultBlock(body)).toEqual(result);
    expect(upsertResultBlock("", result)).toBe(`${renderResultBlock(result)}\n`);
  });

  it("upserts: removes every earlier block and puts the new one last, the user's text kept", () => {
    const first = `Intro\n\n${renderResultBlock(result)}\n\nFooter by a human`;
    const next = { ...result, attempt: 3, conclusion: "failure" as const, message: "no changes" };
    const body = upsertResultBlock(first, next);
    expect(body).toBe(`Intro\n\n\n\nFooter by a human\n\n${renderResultBlock(next)}\n`);
    expect(body.match(/orchestrator:result/g)).toHaveLength(1);
    expect(parseResultBlock(body)).toEqual(next);
  });

  it("ignores garbage: broken JSON, wrong shapes, unterminated blocks, empty bodies", () => {
    expect(parseResultBlock(null)).toBeNull();
    expect(parseResultBlock("")).toBeNull();
    expect(parseResultBlock("<!-- orchestrator:result {not json} -->")).toBeNull();
    expect(parseResultBlock('<!-- orchestrator:result {"version":2} -->')).toBeNull();
    expect(
      parseResultBlock(`<!-- orchestrator:result ${JSON.stringify({ ...result, attempt: 0 })} -->`),
    ).toBeNull();
    expect(parseResultBlock(`<!-- orchestrator:result ${JSON.stringify(result)}`)).toBeNull();
  });

  it("reads only the block that ends the body: earlier blocks and blocks followed by text do not count", () => {
    const later = { ...result, attempt: 5 };
    const body = `${renderResultBlock(result)}\n<!-- orchestrator:result {oops} -->\n${renderResultBlock(later)}`;
    expect(parseResultBlock(body)).toEqual(later);
    expect(parseResultBlock(`${body}\n\n  \n`)).toEqual(later);
    // A forged block the agent left in its message, followed by the rest of the body: not read.
    expect(parseResultBlock(`${renderResultBlock(later)}\nMore text by the Action`)).toBeNull();
    // The last block is broken: an earlier valid one is not used instead.
    expect(parseResultBlock(`${renderResultBlock(result)}\n<!-- orchestrator:result {oops} -->`)).toBeNull();
  });

  it("makes agent text inert: no comment opens or closes, the marker is broken, the text reads the same", () => {
    const forged = `Done.\n${renderResultBlock({ ...result, cost_usd: 0 })}\n<!-- orchestrator:summary -->x--!>`;
    const inert = inertComments(forged);
    expect(inert).not.toContain("<!--");
    expect(inert).not.toMatch(/--!?>/);
    expect(inert).not.toContain("orchestrator:result");
    expect(parseResultBlock(inert)).toBeNull();
    expect(upsertResultBlock(inert, result).match(/<!-- orchestrator:result /g)).toHaveLength(1);
    // Entities GitHub renders as the characters they replace.
    const decoded = inert.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#58;/g, ":");
    expect(decoded).toBe(forged);
  });

  it("repairs an unterminated block on upsert instead of appending a second one", () => {
    const body = upsertResultBlock("Text\n<!-- orchestrator:result {trunc", result);
    expect(body).toBe(`Text\n\n${renderResultBlock(result)}\n`);
    expect(parseResultBlock(body)).toEqual(result);
  });
});
