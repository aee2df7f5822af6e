import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTasksFile } from "../../src/core/parse-tasks-file.js";
import { runLocalSession, type LocalSessionResult } from "../../src/local/run-local-session.js";
import type { SessionEvent } from "../../src/local/session-events.js";
import type { AgentSpec } from "../../src/runner/run-task.js";
import {
  TEST_AUTHOR,
  commitFiles,
  contains,
  gitIn,
  isolateGit,
  makeRepo,
  makeTempDir,
  removeTempDirs,
  revParse,
} from "../support/git-fixtures.js";
import { withGrowingTimeout } from "../runner/process-tree-probe.js";

/**
 * Checkpoints in the local executor: a task stopped by its timeout is retried from its checkpoint
 * (in the same session, and with --retry), and an attempt that went on from a checkpoint and was
 * interrupted keeps its commits under a ref while its branch goes back to the checkpoint, which
 * --resume goes on from. Real git worktrees; the agent is a node script.
 */

beforeAll(isolateGit);
afterAll(removeTempDirs);

/**
 * Without part1.txt: writes it (then logs `wrote`) and runs until stopped (the timeout makes the
 * checkpoint). With it (logs `continued`): writes part2.txt; if the `hold` file exists (renamed
 * away, so only once), commits that itself, writes `committed` and runs until stopped; otherwise
 * logs `ended` and ends. The log is `events` in the scratch directory.
 */
function agentSource(scratch: string): string {
  const hold = JSON.stringify(join(scratch, "hold"));
  const committed = JSON.stringify(join(scratch, "committed"));
  const events = JSON.stringify(join(scratch, "events"));
  return `
import { appendFileSync, existsSync, renameSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
const log = (event) => appendFileSync(${events}, event + "\\n");
if (!existsSync("part1.txt")) { writeFileSync("part1.txt", "one\\n"); log("wrote"); setInterval(() => {}, 1000); }
else {
  log("continued");
  writeFileSync("part2.txt", "two\\n");
  let hold = false;
  try { renameSync(${hold}, ${hold} + ".used"); hold = true; } catch {}
  if (hold) {
    execFileSync("git", ["add", "part2.txt"]);
    execFileSync("git", ["-c", "user.name=Agent", "-c", "user.email=agent@example.invalid", "commit", "-q", "-m", "part two"]);
    writeFileSync(${committed}, "");
    setInterval(() => {}, 1000);
  } else log("ended");
}
`;
}

interface Project {
  repo: string;
  scratch: string;
  agent: AgentSpec;
  session(args: {
    timeoutMs: number;
    resume?: boolean;
    retry?: string[];
    signal?: AbortSignal;
  }): Promise<{ result: LocalSessionResult; events: SessionEvent[] }>;
}

async function makeProject(retries: number): Promise<Project> {
  const repo = await makeRepo();
  const scratch = await makeTempDir("orchestrator-checkpoint-");
  const text = `${JSON.stringify({ tasks: [{ id: "t", prompt: "Write the two parts.", retries }] })}\n`;
  await commitFiles({ cwd: repo, files: { "tasks.json": text }, message: "tasks" });
  const agentFile = join(scratch, "agent.mjs");
  await writeFile(agentFile, agentSource(scratch));
  const agent: AgentSpec = { kind: "command", command: [process.execPath, agentFile] };
  const parsed = parseTasksFile({ text, fileName: "tasks.json" });
  if (!parsed.ok) throw new Error("the test's tasks file is invalid");
  return {
    repo,
    scratch,
    agent,
    async session({ timeoutMs, resume, retry, signal }) {
      const events: SessionEvent[] = [];
      const result = await runLocalSession({
        cwd: repo,
        tasksFile: "tasks.json",
        tasksFileText: text,
        graph: parsed.graph,
        agent,
        author: TEST_AUTHOR,
        timeoutMs,
        killGraceMs: 500,
        reporter: { event: (event) => events.push(event), close: () => {} },
        ...(resume ? { resume } : {}),
        ...(retry ? { retry } : {}),
        ...(signal ? { signal } : {}),
      });
      return { result, events };
    },
  };
}

/** The first checkpoint of task t on its branch (its commit with the checkpoint trailer). */
async function checkpointOf(repo: string): Promise<string> {
  const sha = await gitIn(repo, [
    "log",
    "--format=%H",
    "--grep=^Orchestrator-Checkpoint: 1$",
    "orchestrator/t",
  ]);
  expect(sha).toMatch(/^[0-9a-f]{40}$/);
  return sha;
}

/**
 * Whether a session ran the scenario whatever the timeout: the first attempt wrote part1.txt
 * before it was stopped, and an attempt that went on from it had the time to end.
 */
function scenarioRan(scratch: string): boolean {
  const events = existsSync(join(scratch, "events")) ? readFileSync(join(scratch, "events"), "utf8") : "";
  const lines = events.split("\n");
  return lines.includes("wrote") && (!lines.includes("continued") || lines.includes("ended"));
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error("the condition was not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("checkpoints in the local executor", { timeout: 300_000 }, () => {
  it("a timed-out task is retried in the same session from its checkpoint, and the failure says so", async () => {
    // The timeout must strike after part1.txt was written, and the retry must end within it.
    const { project, run } = await withGrowingTimeout(
      [2_000, 8_000, 30_000],
      async (timeoutMs) => {
        const project = await makeProject(1);
        return { project, run: await project.session({ timeoutMs }) };
      },
      ({ project }) => scenarioRan(project.scratch),
    );
    const { repo } = project;

    expect(run.result.state.tasks.t).toMatchObject({ status: "succeeded", attempts: 2 });
    const failed = run.events.find((event) => event.type === "task_failed");
    expect(failed).toMatchObject({ type: "task_failed", willRetry: true });
    const message = failed?.type === "task_failed" ? (failed.result.failure?.message ?? "") : "";
    expect(message).toMatch(/^Timed out: /);
    expect(message).toContain("the next attempt goes on from it");
    const checkpoint = await checkpointOf(repo);
    const tip = (await revParse(repo, "orchestrator/t")) as string;
    expect(await contains(repo, tip, checkpoint)).toBe(true);
    expect(await gitIn(repo, ["show", `${tip}:part1.txt`])).toBe("one");
    expect(await gitIn(repo, ["show", `${tip}:part2.txt`])).toBe("two");
  });

  it("an interrupted attempt that went on from a checkpoint: its commit is kept, the branch goes back, --resume goes on from the checkpoint", async () => {
    const { project } = await withGrowingTimeout(
      [2_000, 8_000, 30_000],
      async (timeoutMs) => {
        const project = await makeProject(0);
        return { project, run: await project.session({ timeoutMs }) };
      },
      ({ project }) => scenarioRan(project.scratch),
    );
    const { repo, scratch } = project;
    const checkpoint = await checkpointOf(repo);
    expect(await revParse(repo, "orchestrator/t")).toBe(checkpoint);

    // --retry t: the attempt goes on from the checkpoint, commits part two itself, and is stopped.
    await writeFile(join(scratch, "hold"), "");
    const stop = new AbortController();
    const retried = project.session({ timeoutMs: 120_000, retry: ["t"], signal: stop.signal });
    await waitFor(async () => existsSync(join(scratch, "committed")));
    stop.abort();
    const interrupted = await retried;

    expect(interrupted.result.status).toBe("interrupted");
    const kept = await gitIn(repo, [
      "for-each-ref",
      "--format=%(objectname)",
      "refs/orchestrator/interrupted/t/",
    ]);
    expect(kept).toMatch(/^[0-9a-f]{40}$/);
    expect(await gitIn(repo, ["log", "-1", "--format=%s", kept])).toBe("part two");
    expect(await revParse(repo, "orchestrator/t")).toBe(checkpoint);
    expect(
      interrupted.events.some(
        (event) => event.type === "notice" && event.message.includes("set back to checkpoint"),
      ),
    ).toBe(true);

    const resumed = await project.session({ timeoutMs: 120_000, resume: true });

    expect(resumed.result.state.tasks.t).toMatchObject({ status: "succeeded", attempts: 2 });
    const tip = (await revParse(repo, "orchestrator/t")) as string;
    expect(await contains(repo, tip, checkpoint)).toBe(true);
    expect(await contains(repo, tip, kept)).toBe(false);
    expect(await gitIn(repo, ["show", `${tip}:part2.txt`])).toBe("two");
  });
});
