import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decodeSessionRecord,
  encodeSessionRecord,
  MAX_ENCODED_RECORD,
  type SessionRecord,
} from "../../../src/github/sessions/session-record.js";

function record(tasks: number): SessionRecord {
  const entries: SessionRecord["tasks"] = {};
  const runs: SessionRecord["runs"] = {};
  for (let i = 0; i < tasks; i++) {
    entries[`task-${i}`] = { status: "succeeded", attempts: 1, costUsd: 0.1234 };
    runs[`task-${i}`] = {
      runId: 9_000_000_000 + i,
      runUrl: `https://github.com/acme/widgets/actions/runs/${9_000_000_000 + i}`,
      prNumber: 1000 + i,
      prUrl: `https://github.com/acme/widgets/pull/${1000 + i}`,
      turns: 12,
      durationMs: 312_000,
      startedAt: "2026-01-05T09:00:00.000Z",
      endedAt: "2026-01-05T09:05:12.000Z",
      check: { id: 40_000_000_000 + i, attempt: 1, conclusion: "success" },
    };
  }
  return {
    version: 2,
    sha: "0123456789012345678901234567890123456789",
    file: "tasks/tasks.json",
    baseBranch: "main",
    dispatchRef: "main",
    workflowFile: "orchestrator-task.yml",
    options: { parallel: 3 },
    trigger: { kind: "comment", actor: "octocat", issueNumber: 3, commentId: 99 },
    createdAt: "2026-01-05T09:00:00.000Z",
    cancelRequested: false,
    tasks: entries,
    runs,
  };
}

describe("the session record codec", () => {
  it("round-trips a small record as readable JSON inside a hidden comment", () => {
    const small = record(2);
    small.tasks["task-0"]!.reason = "it said -- and --> in the output";
    const text = `Human text\n\n${encodeSessionRecord(small)}`;
    expect(text).toMatch(/<!-- orchestrator:session \{"version":2/);
    expect(text.slice(text.indexOf("<!--") + 4, text.lastIndexOf("-->"))).not.toContain("--");
    expect(decodeSessionRecord(text)).toEqual(small);
  });

  it("compresses large records, and a 1,000-task session still fits a check run", () => {
    const large = record(1000);
    const encoded = encodeSessionRecord(large);
    expect(encoded).toContain("orchestrator:session gz:");
    expect(encoded.length).toBeLessThan(MAX_ENCODED_RECORD);
    expect(decodeSessionRecord(encoded)).toEqual(large);
  });

  it("refuses a record too large to store instead of truncating it", () => {
    const huge = record(1);
    huge.inlineTasks = {
      tasks: Array.from({ length: 300 }, (_, i) => ({
        id: `t${i}`,
        prompt: randomBytes(200).toString("hex"),
      })),
    };
    expect(() => encodeSessionRecord(huge)).toThrow(/split the tasks file/);
  });

  it("ignores text without a valid record", () => {
    expect(decodeSessionRecord(undefined)).toBeNull();
    expect(decodeSessionRecord("no record here")).toBeNull();
    expect(decodeSessionRecord('<!-- orchestrator:session {"version":2} -->')).toBeNull();
    expect(decodeSessionRecord('<!-- orchestrator:session {"version":3} -->')).toBeNull();
    expect(decodeSessionRecord("<!-- orchestrator:session gz:not-base64!! -->")).toBeNull();
  });

  it("reads a version 1 record (facts inside each task, the end time inside the outcome) as version 2", () => {
    const v2 = record(1);
    v2.outcome = { conclusion: "success", summary: "1 of 1 tasks succeeded" };
    v2.endedAt = "2026-01-05T09:06:00.000Z";
    const v1 = {
      ...v2,
      version: 1,
      tasks: { "task-0": { ...v2.tasks["task-0"], ...v2.runs["task-0"] } },
      outcome: { ...v2.outcome, at: v2.endedAt },
    } as Record<string, unknown>;
    delete v1.runs;
    delete v1.endedAt;
    const text = `<!-- orchestrator:session ${JSON.stringify(v1)} -->`;
    expect(decodeSessionRecord(text)).toEqual(v2);
  });
});
