import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { transform } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { agentDeadline } from "../../action/src/agent-environment.js";
import { workerStartedAt } from "../../action/src/worker-start.js";
import { agentTimeLeftMs } from "../../src/runner/task-agent.js";

/**
 * The agent's deadline in the Action leaves time, before the job's `timeout-minutes` kills it, to
 * commit and push the checkpoint and report: counted from the job's start (the runner's worker
 * process), never past it, with a reserve of at least 30 s.
 */

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function timeLeft(args: {
  timeoutMinutes: number;
  startedAt: number;
  now: number;
  workerStartedAt?: number;
}) {
  return agentTimeLeftMs({ deadline: agentDeadline(args), now: args.now });
}

describe("agentDeadline", () => {
  it("keeps a reserve of at least 30 s: a one-minute task's agent stops after 30 s, not after the job's end", () => {
    const startedAt = 1_000_000;
    expect(timeLeft({ timeoutMinutes: 1, startedAt, now: startedAt })).toBe(30_000);
    expect(timeLeft({ timeoutMinutes: 2, startedAt, now: startedAt })).toBe(90_000);
  });

  it("counts from the worker's start, so the steps before the action (checkout, install) count too", () => {
    const workerStartedAt = 1_000_000;
    const startedAt = workerStartedAt + 4 * 60_000;
    // 10 minutes, 2 of them reserved, 4 used before the action started: 4 left.
    expect(timeLeft({ timeoutMinutes: 10, startedAt, workerStartedAt, now: startedAt })).toBe(4 * 60_000);
  });

  it("ignores a worker start that cannot be this job's (longer ago than its limit, or after the action started)", () => {
    const startedAt = 10_000_000;
    const tooOld = startedAt - 11 * 60_000;
    expect(timeLeft({ timeoutMinutes: 10, startedAt, workerStartedAt: tooOld, now: startedAt })).toBe(
      8 * 60_000,
    );
    const later = startedAt + 1_000;
    expect(timeLeft({ timeoutMinutes: 10, startedAt, workerStartedAt: later, now: startedAt })).toBe(
      8 * 60_000,
    );
  });
});

describe("workerStartedAt", () => {
  /** What `workerStartedAt()` says in a child of a process run under `name`. */
  async function fromChildOf(name: string): Promise<{ said: string; parentStart: number }> {
    const dir = await mkdtemp(join(tmpdir(), "worker-start-"));
    dirs.push(dir);
    const parent = join(dir, name);
    // Linux names a process after the file it was started from: a link to node named like the worker.
    await symlink(process.execPath, parent);
    // The module as it ships (compiled to JavaScript), run in the child.
    const module = join(dir, "worker-start.mjs");
    const source = await readFile(resolve("action/src/worker-start.ts"), "utf8");
    await writeFile(module, (await transform(source, { loader: "ts", format: "esm" })).code);
    const child = `import(${JSON.stringify(module)}).then((m) => console.log(String(m.workerStartedAt())))`;
    const script =
      `const { execFileSync } = require("node:child_process");` +
      `const said = execFileSync(process.execPath, ["-e", ${JSON.stringify(child)}]).toString().trim();` +
      `console.log(JSON.stringify({ said, parentStart: Date.now() - process.uptime() * 1000 }));`;
    // The parent's process.execPath is the link, so the child is node too.
    const { stdout } = await run(parent, ["-e", script]);
    return JSON.parse(stdout) as { said: string; parentStart: number };
  }

  it("reads the start of a parent named Runner.Worker", async () => {
    const { said, parentStart } = await fromChildOf("Runner.Worker");
    // /proc counts in hundredths of a second since boot, rounded down; process.uptime in ms.
    expect(Math.abs(Number(said) - parentStart)).toBeLessThan(1_000);
  });

  it("says nothing for any other parent", async () => {
    expect((await fromChildOf("node-parent")).said).toBe("undefined");
    expect(workerStartedAt()).toBeUndefined();
  });
});
