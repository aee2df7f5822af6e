/**
 * A session id names the repository and the summary check run that records the session, so the
 * id alone finds the session again after a restart (GitHub is the database). Owner logins and
 * repository names never contain ':', which keeps the format unambiguous and URL-safe.
 */
export interface SessionRef {
  owner: string;
  repo: string;
  /** Id of the session's summary check run on the commit the tasks file was read at. */
  checkRunId: number;
}

const SESSION_ID = /^([A-Za-z0-9-]+):([A-Za-z0-9._-]+):([1-9][0-9]{0,15})$/;

export function formatSessionId(ref: SessionRef): string {
  return `${ref.owner}:${ref.repo}:${ref.checkRunId}`;
}

export function parseSessionId(id: string): SessionRef | null {
  const match = SESSION_ID.exec(id.trim());
  if (!match) return null;
  return { owner: match[1] as string, repo: match[2] as string, checkRunId: Number(match[3]) };
}
