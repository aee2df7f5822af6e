/**
 * A real Probot app for handler tests: retries and throttling off (so nock sees each request
 * once), a real RSA key (Probot signs real JWTs), the orchestrator's handlers loaded.
 */
import { generateKeyPairSync } from "node:crypto";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { createOrchestratorApp } from "../../../src/github/app.js";
import type { AppService } from "../../../src/github/app-service.js";
import {
  createAppConfig,
  createSessionRuntime,
  runtimeIdle,
  type AppConfig,
} from "../../../src/github/sessions/index.js";
import type { Payload } from "./webhook-examples.js";

export const APP_ID = 4242;

let key: string | undefined;

/** One 2048-bit key per test process (generating one takes ~100 ms). */
export function testPrivateKey(): string {
  key ??= generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ type: "pkcs1", format: "pem" })
    .toString();
  return key;
}

/**
 * Retries and throttling off. A function, not an object: Probot passes its own `throttle`
 * options when it builds clients, and an object default would be shallow-replaced by them
 * (throttling would stay on, spacing writes a second apart).
 */
export const QuietOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...(options.throttle as object | undefined), enabled: false },
})) as typeof ProbotOctokit;

export async function createTestProbot(
  options: {
    baseUrl?: string;
    config?: Partial<AppConfig>;
    workflowName?: string;
    commandPolicy?: AppService["commandPolicy"];
    /** Receives the App's log lines (JSON), from `info` up. */
    logLines?: string[];
  } = {},
): Promise<{
  probot: Probot;
  service: AppService;
  receive: (name: string, payload: Payload, id?: string) => Promise<void>;
}> {
  const probot = new Probot({
    appId: APP_ID,
    privateKey: testPrivateKey(),
    Octokit: QuietOctokit,
    logLevel: "fatal",
    // Probot's own logger (pino), writing to the test when it asks for the lines.
    ...(options.logLines === undefined
      ? {}
      : { log: pino({ level: "info" }, { write: (line: string) => void options.logLines?.push(line) }) }),
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
  });
  const service: AppService = {
    config: createAppConfig({
      appId: APP_ID,
      sleep: async () => {},
      runLookup: { attempts: 1, delayMs: 0 },
      jobEventGraceMs: 0,
      ...options.config,
    }),
    runtime: createSessionRuntime(),
    log: probot.log,
    appId: APP_ID,
    workflowName: options.workflowName ?? "Orchestrator task",
    commandPolicy: options.commandPolicy ?? { allowedBots: [], dispatchRefs: [] },
  };
  await probot.load(createOrchestratorApp(service));
  let delivery = 0;
  // Handlers work after the delivery is answered (app.ts): a test sees that work done.
  const receive = async (name: string, payload: Payload, id = `delivery-${++delivery}`): Promise<void> => {
    await probot.receive({ id, name, payload } as Parameters<Probot["receive"]>[0]);
    await runtimeIdle(service.runtime);
  };
  return { probot, service, receive };
}
