import { describe, expect, it } from "vitest";
import { retryMessage } from "../../../src/github/sessions/session-commands.js";
import type { SessionStatus, SessionTaskStatus } from "../../../src/github/sessions/session-status.js";

function task(id: string, status: SessionTaskStatus["status"], reason?: string): SessionTaskStatus {
  return {
    id,
    name: id,
    status,
    attempts: 1,
    dependencies: [],
    branch: `orchestrator/${id}`,
    ...(reason ? { reason } : {}),
  };
}

const status: SessionStatus = {
  sessionId: "acme:widgets:1",
  repository: "acme/widgets",
  sha: "0".repeat(40),
  file: "tasks/tasks.json",
  state: "completed",
  conclusion: "failure",
  summary: "1 of 3 tasks succeeded, 1 failed (api), 1 skipped",
  createdAt: "2026-01-05T09:00:00Z",
  trigger: { kind: "api", actor: "api" },
  cancelRequested: false,
  totals: { costUsd: 0, tasks: 3, succeeded: 1, failed: 1, running: 0, pending: 0, skipped: 1, cancelled: 0 },
  tasks: [
    task("schema", "succeeded"),
    task("api", "failed", "tests failed"),
    task("web", "skipped", 'dependency "api" failed'),
  ],
};

describe("retryMessage", () => {
  it("says what is retried", () => {
    expect(retryMessage({ status, requested: ["api"], retried: ["api", "web"] })).toBe(
      "Retrying `api`, `web`.",
    );
  });

  it("points a skipped task at what it waits for", () => {
    expect(retryMessage({ status, requested: ["web"], retried: [] })).toBe(
      '`web` was skipped (dependency "api" failed); retry that task and `web` runs again after it.',
    );
  });

  it("explains tasks that cannot be retried and suggests close ids", () => {
    expect(retryMessage({ status, requested: ["schema", "apj"], retried: [] })).toBe(
      "`schema` is succeeded; only failed or cancelled tasks can be retried. `apj` is not a task of this session (did you mean `api`?).",
    );
    expect(
      retryMessage({
        status: { ...status, tasks: [task("schema", "succeeded")] },
        requested: "failed",
        retried: [],
      }),
    ).toBe("No task has failed: there is nothing to retry.");
  });
});
