import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/run-command.js";
import { attemptCostFromLog, keepInterruptedWork } from "../../src/local/interrupted-attempt.js";
import { readStateFile } from "../../src/local/state-file.js";
import {
  commitFiles,
  contains,
  gitIn,
  isolateGit,
  makeRepo,
  makeTempDir,
  removeTempDirs,
  revParse,
} from "../support/git-fixtures.js";
import { captureIo, makeProject } from "./local-fixtures.js";
import { stepAgent } from "./step-agent.js";

/**
 * An attempt stopped by Ctrl-C keeps its agent's commits (under a ref named in the summary) and
 * its reported cost; and the pieces that find and keep such work.
 */

beforeAll(isolateGit);
afterAll(removeTempDirs);

describe("Ctrl-C while an agent holds commits", () => {
  it("keeps the commits under a ref, counts the cost it reported, and --resume starts the task afresh", async () => {
    const project = await makeProject({
      tasks: [{ id: "b", prompt: "do b scratch={scratch} interim=0.25 cost=0.5" }],
    });
    await writeFile(join(project.scratch, "b.block"), "");
    const agent = await stepAgent(project);
    const stateFile = join(project.repo, ".orchestrator", "state.json");

    const first = captureIo(project);
    const running = runCommand(["--agent", agent], first.io);
    await waitFor(() => readFile(join(project.scratch, "b.committed")).then(() => true));
    const partial = (await revParse(project.repo, "orchestrator/b")) as string;
    first.signals.send("SIGINT");
    expect(await running).toBe(130);

    const stopped = await readStateFile(stateFile);
    expect(stopped?.tasks.b).toMatchObject({ status: "pending", attempts: 0, costUsd: 0.25 });
    const ref = "refs/orchestrator/interrupted/b/1";
    expect(stopped?.runs.b?.interruptions).toEqual([
      expect.objectContaining({ attempt: 1, costUsd: 0.25, kept: [{ ref, commit: partial, commits: 1 }] }),
    ]);
    expect(await revParse(project.repo, ref)).toBe(partial);
    expect(first.stdout()).toContain(
      `b attempt 1: 1 commit kept as ${ref} (${partial.slice(0, 7)}) · cost $0.25`,
    );
    expect(first.stdout()).toContain("Total so far: $0.25 ·");

    const resumed = captureIo(project);
    expect(await runCommand(["--resume"], resumed.io)).toBe(0);
    const done = await readStateFile(stateFile);
    expect(done?.tasks.b).toMatchObject({ status: "succeeded", attempts: 1, costUsd: 0.75 });
    expect(await revParse(project.repo, ref)).toBe(partial);
    expect(await contains(project.repo, "orchestrator/b", partial)).toBe(false);
    expect(resumed.stdout()).toContain(`b attempt 1: 1 commit kept as ${ref}`);
    expect(resumed.stdout()).toContain("Total: $0.75 ·");
  }, 60_000);
});

describe("keepInterruptedWork", () => {
  it("names the ref by task and attempt, is idempotent, and never overwrites other work", async () => {
    const repo = await makeRepo();
    const first = await commitFiles({ cwd: repo, files: { "x.txt": "1" }, message: "one" });
    const second = await commitFiles({ cwd: repo, files: { "x.txt": "2" }, message: "two" });
    const keep = (commit: string, taskId = "b") =>
      keepInterruptedWork({ repoDir: repo, taskId, attempt: 1, commit });
    expect(await keep(first)).toBe("refs/orchestrator/interrupted/b/1");
    expect(await keep(first)).toBe("refs/orchestrator/interrupted/b/1");
    // The same attempt number interrupted again (it is reused): a second name, the first kept.
    expect(await keep(second)).toBe("refs/orchestrator/interrupted/b/1-2");
    expect(await revParse(repo, "refs/orchestrator/interrupted/b/1")).toBe(first);
    // Ids git refuses as a ref component still get a ref.
    expect(await keep(first, "x..y.lock")).toBe("refs/orchestrator/interrupted/x__y_lock/1");
    expect(await gitIn(repo, ["for-each-ref", "--format=%(refname)", "refs/orchestrator/"])).toContain(
      "x__y_lock",
    );
  });
});

describe("attemptCostFromLog", () => {
  it("reads the last cost the attempt's agent reported after its own header, and nothing else", async () => {
    const dir = await makeTempDir();
    const log = join(dir, "b.log");
    await writeFile(
      log,
      [
        "== task b, attempt 1: preparing branch orchestrator/b",
        JSON.stringify({ type: "result", total_cost_usd: 9 }),
        "== task b, attempt 2: preparing branch orchestrator/b",
        JSON.stringify({ type: "assistant", message: {} }),
        JSON.stringify({ type: "result", is_error: false, total_cost_usd: 0.5 }),
        "some text the agent printed",
        JSON.stringify({ type: "result", is_error: false, total_cost_usd: 1.25 }),
        "== task b, attempt 3: preparing branch orchestrator/b",
        JSON.stringify({ type: "assistant", message: {} }),
        "",
      ].join("\n"),
    );
    expect(await attemptCostFromLog(log, "b", 1)).toBe(9);
    expect(await attemptCostFromLog(log, "b", 2)).toBe(1.25);
    // Killed before it reported anything: not known, and not made up.
    expect(await attemptCostFromLog(log, "b", 3)).toBeUndefined();
    expect(await attemptCostFromLog(log, "b", 4)).toBeUndefined();
    expect(await attemptCostFromLog(join(dir, "missing.log"), "b", 1)).toBeUndefined();
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
