/**
 * The session use-cases of the GitHub App. Handlers (webhooks, commands, HTTP API, sweeps) call
 * these with a GitHub client; all state lives on GitHub (see session-record.ts).
 */
export { startSession } from "./start-session.js";
export { offerOnboarding } from "./onboarding.js";
export type { OnboardingOutcome } from "./onboarding.js";
export type { StartSessionOptions, StartSessionResult, StartSessionErrorKind } from "./start-session.js";
export { wakeSession } from "./wake-session.js";
export { retrySession } from "./retry-session.js";
export { giveInput } from "./give-input.js";
export { cancelSession } from "./cancel-session.js";
export type { CommandResult } from "./session-commands.js";
export { getSessionStatus, listActiveSessions } from "./session-queries.js";
export { sweepActiveSessions } from "./sweep.js";
export { logWarnings, sessionWarnings, type Warning, type WarningLog } from "./warnings.js";
export { redeliverFailedDeliveries } from "./redeliver.js";
export { advanceSession } from "./advance-session.js";
export type { AdvanceInput, AdvanceResult, SessionCommand } from "./advance-session.js";
export type { RunKey, WorkflowRunLike } from "./workflow-run.js";
export { createAppConfig, DEFAULT_WORKFLOW_FILE } from "./app-config.js";
export type { AppConfig } from "./app-config.js";
export { createSessionRuntime, runtimeIdle } from "./session-runtime.js";
export type { SessionRuntime } from "./session-runtime.js";
export type { SessionStatus, SessionTaskStatus } from "./session-status.js";
export type { SessionTrigger } from "./session-record.js";
export { SUMMARY_CHECK_NAME, SUMMARY_EXTERNAL_ID } from "./load-session.js";
export { SUMMARY_ACTIONS } from "./save-session.js";
export { TASK_ALLOW_ACTION, TASK_RETRY_ACTION, parseTaskCheckExternalId } from "./task-checks.js";
export { checkRunTarget } from "./check-run-target.js";
export type { CheckRunTarget } from "./check-run-target.js";
export { reviseTaskFromPullRequest } from "./revise-task.js";
export type { ReviseOutcome, TaskPullRequest } from "./revise-task.js";
