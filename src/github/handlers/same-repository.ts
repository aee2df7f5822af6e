import { parseSessionId } from "../../core/session-id.js";
import type { RepoRef } from "../github-client.js";

/**
 * A session id names its repository; an event may act only on sessions of the repository it
 * came from. Otherwise a workflow in one repository could name its run after a session in
 * another repository of the same installation and feed it a forged result.
 */
export function sessionInRepository(sessionId: string, repo: RepoRef): boolean {
  const ref = parseSessionId(sessionId);
  if (!ref) return false;
  return (
    ref.owner.toLowerCase() === repo.owner.toLowerCase() && ref.repo.toLowerCase() === repo.repo.toLowerCase()
  );
}
