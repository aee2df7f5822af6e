import { formatSessionId } from "../../core/session-id.js";
import type { RepoRef } from "../github-client.js";
import { SUMMARY_EXTERNAL_ID } from "./load-session.js";
import { parseTaskCheckExternalId } from "./task-checks.js";

export type CheckRunTarget =
  | { kind: "session"; sessionId: string }
  | { kind: "task"; sessionId: string; taskId: string; attempt: number };

/**
 * What a check run event (`rerequested`, `requested_action`) is about: a session's summary check
 * run, or one task's check run. Null for check runs that are not ours.
 */
export function checkRunTarget(
  checkRun: { id: number | bigint; external_id?: string | null },
  repo: RepoRef,
): CheckRunTarget | null {
  if (checkRun.external_id === SUMMARY_EXTERNAL_ID) {
    return { kind: "session", sessionId: formatSessionId({ ...repo, checkRunId: Number(checkRun.id) }) };
  }
  const task = parseTaskCheckExternalId(checkRun.external_id);
  return task ? { kind: "task", ...task } : null;
}
