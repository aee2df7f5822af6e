import type { SessionOutcome } from "../core/reconcile.js";
import type { TaskGraph } from "../core/task-graph.js";
import type { TaskRunResult } from "../runner/run-task.js";
import type { LocalSessionState } from "./state-file.js";

/** What the executor tells its reporter (progress table, plain lines, tests), in order. */
export type SessionEvent =
  | { type: "session_started"; resumed: boolean }
  | { type: "notice"; message: string }
  | { type: "task_started"; id: string; attempt: number }
  | { type: "task_succeeded"; id: string; result: TaskRunResult }
  | { type: "task_failed"; id: string; result: TaskRunResult; willRetry: boolean }
  | { type: "task_skipped"; id: string; reason: string }
  /** The agent stopped for a person (refused tools, a question): see the run's facts. */
  | { type: "task_needs_input"; id: string; result: TaskRunResult }
  /** The model API's limit: the task starts again at `resumeAt` (epoch ms). */
  | { type: "task_limited"; id: string; result: TaskRunResult; resumeAt: number }
  /** Nothing can run until a limit resets; the run waits until `until` (epoch ms). */
  | { type: "waiting_for_limit"; until: number }
  /** Stopped by Ctrl-C/SIGTERM mid-attempt; it restarts on `--resume`. */
  | { type: "task_interrupted"; id: string }
  | { type: "stopping"; reason: string }
  | { type: "session_finished"; outcome: SessionOutcome }
  | { type: "session_interrupted"; reason: string };

export interface SessionReporter {
  /** Called after the state reflecting `event` has been written. */
  event(event: SessionEvent, view: { state: LocalSessionState; graph: TaskGraph }): void;
  /** Stops timers and leaves the terminal clean. */
  close(): void;
}
