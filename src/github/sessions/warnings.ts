/**
 * A problem that did not stop a use-case: a check run not written, the active-session index not
 * updated, a run that could not be read. Warnings travel one way: a use-case returns them in its
 * result and never logs; the caller at the edge (a webhook handler, the HTTP API, the sweeper)
 * logs them once, with `logWarnings`.
 */
export interface Warning {
  message: string;
  /** The session it concerns, when there is one (a log field, so logs can be searched by it). */
  sessionId?: string;
}

export interface WarningLog {
  warn(data: object, message: string): void;
}

/** Messages of one session's pass (e.g. `AdvanceResult.warnings`) as warnings. */
export function sessionWarnings(sessionId: string, messages: readonly (string | null)[]): Warning[] {
  return messages.filter((message) => message !== null).map((message) => ({ sessionId, message }));
}

export function logWarnings(log: WarningLog, warnings: readonly Warning[], fields: object = {}): void {
  for (const { message, sessionId } of warnings) {
    log.warn({ ...fields, ...(sessionId === undefined ? {} : { sessionId }) }, message);
  }
}
