import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCommandAgent } from "../../src/runner/command-agent.js";
import {
  isAlive,
  MARKER_VAR,
  newMarker,
  processesWithMarker,
  withGrowingTimeout,
} from "./process-tree-probe.js";

/**
 * Processes that leave the agent's process group (a new session: `setsid`, or node's
 * `detached: true`) are out of reach of kill(-pgid); once their parent is gone they belong to
 * init. They must still be stopped with the agent, on a timeout and when the agent exits.
 * Real processes; every wait is for a pid file.
 */

const node = process.execPath;

/** Starts both kinds of escapee; each writes its own pid file once it runs. */
const START_ESCAPEES = `
  const { spawn } = require("node:child_process");
  spawn("setsid", ["sh", "-c", "echo $$ > setsid.pid.tmp && mv setsid.pid.tmp setsid.pid && exec sleep 1000"], { stdio: "ignore" });
  spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); const fs = require('node:fs'); fs.writeFileSync('detached.pid.tmp', String(process.pid)); fs.renameSync('detached.pid.tmp', 'detached.pid'); setInterval(() => {}, 1000);"], { detached: true, stdio: "ignore" }).unref();
`;
const BOTH_STARTED = `() => ["setsid.pid", "detached.pid"].every((file) => require("node:fs").existsSync(file))`;

let cwd: string;
let marker: string;

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "process-tree-escapees-"));
  marker = newMarker();
});

afterEach(async () => {
  // Whatever a failing test left running must not outlive it.
  for (const pid of escapeePids()) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  for (const pid of processesWithMarker(marker)) process.kill(pid, "SIGKILL");
  await rm(cwd, { recursive: true, force: true });
});

function escapeePids(): number[] {
  return ["setsid.pid", "detached.pid"]
    .map((file) => join(cwd, file))
    .filter((path) => existsSync(path))
    .map((path) => Number(readFileSync(path, "utf8").trim()));
}

describe("stopping an agent's process tree", () => {
  it("on timeout also stops processes that started a session of their own", async () => {
    const hangs = `${START_ESCAPEES}; process.on("SIGTERM", () => {}); setInterval(() => {}, 1000);`;
    const result = await withGrowingTimeout(
      [1_000, 5_000, 30_000],
      (timeoutMs) =>
        runCommandAgent({
          cwd,
          command: [node, "-e", hangs],
          prompt: "p",
          env: { [MARKER_VAR]: marker },
          timeoutMs,
          killGraceMs: 300,
        }),
      () => escapeePids().length === 2,
    );

    expect(result.failure?.kind).toBe("timeout");
    const [setsidPid, detachedPid] = escapeePids();
    expect(isAlive(setsidPid ?? 0)).toBe(false);
    expect(isAlive(detachedPid ?? 0)).toBe(false);
    expect(processesWithMarker(marker)).toEqual([]);
  }, 120_000);

  it("when the agent exits, also stops what it left in a session of its own", async () => {
    // The agent waits until both escapees run, then exits: they are orphans of init by then.
    const exits = `${START_ESCAPEES}
      const started = ${BOTH_STARTED};
      const timer = setInterval(() => { if (started()) { clearInterval(timer); process.exit(0); } }, 20);`;
    const result = await runCommandAgent({
      cwd,
      command: [node, "-e", exits],
      prompt: "p",
      env: { [MARKER_VAR]: marker },
      killGraceMs: 300,
      timeoutMs: 60_000,
    });

    expect(result.ok).toBe(true);
    const pids = escapeePids();
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(processesWithMarker(marker)).toEqual([]);
  }, 120_000);
});
