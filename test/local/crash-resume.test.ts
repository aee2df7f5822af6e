import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStateFile } from "../../src/local/state-file.js";
import { listWorktrees } from "../../src/runner/worktree.js";
import { contains, gitIn, isolateGit, removeTempDirs, revParse } from "../support/git-fixtures.js";
import { armSlowOnce, makeProject, type Project } from "./local-fixtures.js";

/**
 * The executor process itself is killed with -9 in the middle of a run (no handler runs, the
 * agents it started keep running), then `orchestrator run --resume` must finish the job: every
 * task done exactly once, the interrupted one restarted after its leftover agent was stopped,
 * and no worktree left behind.
 */

beforeAll(isolateGit);
afterAll(removeTempDirs);

const CLI = resolve("src/cli.ts");
/** tsx's loader by absolute URL: the CLI runs in the test repository, where `tsx` does not resolve. */
const TSX_LOADER = pathToFileURL(resolve("node_modules/tsx/dist/loader.mjs")).href;
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

/** One process (no tsx wrapper process), so SIGKILL hits the executor itself. */
function startCli(project: Project, args: string[]) {
  const child = spawn(process.execPath, ["--import", TSX_LOADER, CLI, "run", ...args], {
    cwd: project.repo,
    env: project.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return { child, exited, output: () => output };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("kill -9 of the executor, then --resume", () => {
  it("finishes the rest: each task exactly once, right commits on every branch, no orphans", async () => {
    const project = await makeProject({
      tasks: [
        { id: "a" },
        { id: "b", prompt: "slow-once={scratch}/b.flag" },
        { id: "c", dependencies: ["a"] },
        { id: "d", dependencies: ["b", "c"] },
        { id: "e" },
      ],
    });
    await armSlowOnce(project, "b.flag");
    const state = () => readStateFile(resolve(project.repo, ".orchestrator", "state.json"));

    const first = startCli(project, ["--agent", project.agentCommand, "--parallel", "2"]);
    // Crash once a and c are recorded as done while b's (slow) first attempt is running.
    await waitFor(async () => {
      const tasks = (await state())?.tasks;
      return (
        tasks?.a?.status === "succeeded" && tasks.c?.status === "succeeded" && tasks.b?.status === "running"
      );
    }).catch((error: Error) => {
      throw new Error(`${error.message}; the run said:\n${first.output()}`);
    });
    first.child.kill("SIGKILL");
    expect(await first.exited).toBeNull();
    const orphan = (await project.events()).find((e) => e.id === "b" && e.event === "start");
    expect(orphan && alive(orphan.pid)).toBe(true);

    const second = startCli(project, ["--resume"]);
    const code = await second.exited;
    expect(second.output()).toContain("resuming session");
    expect(code).toBe(0);
    expect(second.output()).toMatch(/Stopped 1 agent process group/);
    expect(alive(orphan?.pid ?? 0)).toBe(false);

    const events = await project.events();
    const count = (event: string, id: string) =>
      events.filter((e) => e.event === event && e.id === id).length;
    for (const id of ["a", "b", "c", "d", "e"]) expect(count("end", id)).toBe(1);
    expect(["a", "b", "c", "d", "e"].map((id) => count("start", id))).toEqual([1, 2, 1, 1, 1]);

    const saved = await state();
    expect(saved?.outcome?.conclusion).toBe("success");
    for (const id of ["a", "b", "c", "e"]) {
      expect(await gitIn(project.repo, ["rev-list", "--count", `main..orchestrator/${id}`])).toBe(
        id === "c" ? "2" : "1",
      );
      expect(saved?.runs[id]?.commitSha).toBe(await revParse(project.repo, `orchestrator/${id}`));
    }
    for (const dep of ["a", "b", "c"]) {
      const tip = (await revParse(project.repo, `orchestrator/${dep}`)) as string;
      expect(await contains(project.repo, "orchestrator/d", tip)).toBe(true);
    }
    expect(await gitIn(project.repo, ["show", "orchestrator/d:d.txt"])).toBe(
      "work of d; found: a.txt,b.txt,c.txt",
    );
    const worktrees = (await listWorktrees(project.repo)).filter((w) => w.path.includes(".orchestrator"));
    expect(worktrees).toEqual([]);
  }, 60_000);
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
