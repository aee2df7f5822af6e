import type { ServerConfig } from "./config.js";
import type { CommandPolicy } from "./handlers/repository-permission.js";
import {
  createAppConfig,
  createSessionRuntime,
  type AppConfig,
  type SessionRuntime,
} from "./sessions/index.js";
import type { WarningLog } from "./sessions/warnings.js";

/**
 * The App's plumbing, built once by the server and handed to every edge (webhook handlers, the
 * HTTP API, the sweeper): nothing is a module-level default, so two servers in one process (as
 * in tests) share nothing, and a use-case gets exactly what its caller passes.
 */
export interface AppService {
  /** Settings of the session use-cases. */
  config: AppConfig;
  /** This process's in-memory queues and caches; nothing in it matters for correctness. */
  runtime: SessionRuntime;
  /** The server's own log (sweeps, the HTTP API); handlers log on their event's logger. */
  log: AppLog;
  /** The App's own id: its comments and check runs are recognised by it. */
  appId: number;
  /**
   * `name:` of the task workflow: its `workflow_job` events whose job is not named like the run
   * (a workflow changed by hand) are still picked, at the cost of reading the run.
   */
  workflowName: string;
  /** Which bots may command the App, and which branches a repository_dispatch may start from. */
  commandPolicy: CommandPolicy;
}

export interface AppLog extends WarningLog {
  info(data: object, message: string): void;
  error(data: object, message: string): void;
}

export function createAppService(args: {
  config: Pick<
    ServerConfig,
    | "appId"
    | "workflowFile"
    | "workflowName"
    | "defaultParallel"
    | "statusCommentIntervalMs"
    | "runNeverStartedAfterMs"
    | "allowedBots"
    | "dispatchRefs"
  >;
  log: AppLog;
  now: () => Date;
  /** Overrides of the session use-cases' settings (tests shorten intervals). */
  appConfig?: Partial<AppConfig>;
}): AppService {
  const { config } = args;
  return {
    config: createAppConfig({
      workflowFile: config.workflowFile,
      defaultParallel: config.defaultParallel,
      appId: config.appId,
      statusCommentIntervalMs: config.statusCommentIntervalMs,
      runNeverStartedAfterMs: config.runNeverStartedAfterMs,
      now: args.now,
      ...args.appConfig,
    }),
    runtime: createSessionRuntime(),
    log: args.log,
    appId: config.appId,
    workflowName: config.workflowName,
    commandPolicy: { allowedBots: config.allowedBots, dispatchRefs: config.dispatchRefs },
  };
}
