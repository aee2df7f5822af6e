/**
 * An existing session as nock serves it: the summary check run (with its hidden record) and the
 * tasks file at the session's commit. Writes to the check run update what later reads return.
 */
import type nock from "nock";
import {
  encodeSessionRecord,
  type SessionRecord,
  type TaskView,
} from "../../../src/github/sessions/session-record.js";
import { APP_ID } from "./test-probot.js";

export interface ExistingSession {
  sessionId: string;
  sha: string;
  checkRunId: number;
  record: SessionRecord;
  patches: Array<Record<string, unknown>>;
}

export function existingSession(args: {
  repo: string;
  checkRunId: number;
  tasksJson: { tasks: Array<{ id: string; prompt: string; dependencies?: string[] }> };
  /** Each task's state and the App's facts about it, together; stored apart as the record keeps them. */
  tasks: Record<string, TaskView>;
}): ExistingSession {
  const tasks: SessionRecord["tasks"] = {};
  const runs: SessionRecord["runs"] = {};
  for (const [id, { status, attempts, reason, costUsd, merged, ...facts }] of Object.entries(args.tasks)) {
    tasks[id] = { status, attempts };
    if (reason !== undefined) tasks[id].reason = reason;
    if (costUsd !== undefined) tasks[id].costUsd = costUsd;
    if (merged !== undefined) tasks[id].merged = merged;
    if (Object.keys(facts).length > 0) runs[id] = facts;
  }
  const sha = "c".repeat(40);
  const [owner, name] = args.repo.split("/");
  return {
    sessionId: `${owner}:${name}:${args.checkRunId}`,
    sha,
    checkRunId: args.checkRunId,
    patches: [],
    record: {
      version: 2,
      sha,
      file: "tasks/tasks.json",
      baseBranch: "main",
      dispatchRef: "main",
      workflowFile: "orchestrator-task.yml",
      options: { parallel: 3 },
      trigger: { kind: "api", actor: "api" },
      createdAt: "2026-01-05T09:00:00.000Z",
      cancelRequested: false,
      tasks,
      runs,
    },
  };
}

/** GET of the summary check run (as often as asked) and of the tasks file; PATCHes recorded. */
export function serveSession(
  scope: nock.Scope,
  repo: string,
  session: ExistingSession,
  tasksJson: object,
): nock.Scope {
  let output = { title: "Running", summary: "…", text: `record\n\n${encodeSessionRecord(session.record)}` };
  const checkRun = () => ({
    id: session.checkRunId,
    head_sha: session.sha,
    external_id: "orchestrator-session",
    status: "in_progress",
    conclusion: null,
    name: "Orchestrator",
    html_url: `https://github.com/${repo}/runs/${session.checkRunId}`,
    app: { id: APP_ID },
    output,
  });
  const content = Buffer.from(JSON.stringify(tasksJson)).toString("base64");
  return scope
    .get(`/repos/${repo}/check-runs/${session.checkRunId}`)
    .reply(200, () => checkRun())
    .get(`/repos/${repo}/contents/tasks%2Ftasks.json`)
    .query({ ref: session.sha })
    .reply(200, { type: "file", encoding: "base64", content, sha: "d".repeat(40), size: content.length })
    .patch(`/repos/${repo}/check-runs/${session.checkRunId}`)
    .reply(200, (_uri, body) => {
      session.patches.push(body as Record<string, unknown>);
      const patch = body as { output?: typeof output };
      if (patch.output) output = { ...output, ...patch.output };
      return checkRun();
    });
}
