import { appServer } from "./app-server.bench.js";
import { appTurns } from "./app-turns.bench.js";
import type { Benchmark } from "./benchmark.js";
import { coreTimings } from "./core-timings.js";
import { githubRequests } from "./github-requests.bench.js";
import { localExecutor } from "./local-executor.bench.js";
import { scheduleQuality } from "./schedule-quality.js";
import { taskCheckout } from "./task-checkout.bench.js";

/** Every benchmark `npm run bench` runs, in order. Add a module here with one line. */
export const benchmarks: Benchmark[] = [
  scheduleQuality,
  coreTimings,
  localExecutor,
  githubRequests,
  appServer,
  appTurns,
  taskCheckout,
];
