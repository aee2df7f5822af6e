import { spawn, type ChildProcess } from "node:child_process";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStateFile } from "../../src/local/state-file.js";
import { listWorktrees } from "../../src/runner/worktree.js";
import { contains, gitIn, isolateGit, removeTempDirs, revParse } from "../support/git-fixtures.js";
import { armSlowOnce, makeProject, type Project } from "./local-fixtures.js";
import { stepAgent } from "./step-agent.js";

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
        // Held until the kill (not a 30 s sleep a loaded machine could outlast before a and c end).
        { id: "b", prompt: "hold-once={scratch}/b.flag" },
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
  }, 120_000);
});

describe("work an interrupted run committed survives --resume", () => {
  it("kill -9 while agents hold commits: the commits are kept under a ref and named, costs counted or said unknown", async () => {
    const project = await makeProject({
      tasks: [
        { id: "b", prompt: "do b scratch={scratch} unsaved interim=0.25 cost=0.5" },
        { id: "c", prompt: "do c scratch={scratch} cost=0.125" },
      ],
    });
    await writeFile(join(project.scratch, "b.block"), "");
    await writeFile(join(project.scratch, "c.block"), "");
    const agent = await stepAgent(project);
    const state = () => readStateFile(resolve(project.repo, ".orchestrator", "state.json"));
    const main = await revParse(project.repo, "main");

    const first = startCli(project, ["--agent", agent, "--parallel", "2"]);
    await waitFor(async () => {
      const names = await Promise.all(
        ["b", "c"].map((id) => readFile(join(project.scratch, `${id}.committed`)).then(() => true)),
      );
      return names.every(Boolean);
    }).catch((error: Error) => {
      throw new Error(`${error.message}; the run said:\n${first.output()}`);
    });
    const partial = {
      b: (await revParse(project.repo, "orchestrator/b")) as string,
      c: (await revParse(project.repo, "orchestrator/c")) as string,
    };
    const before = await state();
    // The base was written down before the agents ran; what they committed is beyond it.
    expect(before?.runs.b?.baseSha).toBe(main);
    expect(before?.tasks.b?.status).toBe("running");
    first.child.kill("SIGKILL");
    expect(await first.exited).toBeNull();

    const second = startCli(project, ["--resume"]);
    const code = await second.exited;
    const output = second.output();
    expect(code, output).toBe(0);

    // Each attempt's commit is kept and named; the task ran again from a fresh start.
    // c's commit is kept as it is; b's with one more commit on top holding what it had not committed.
    const kept = { b: await revParse(project.repo, "refs/orchestrator/interrupted/b/1"), c: partial.c };
    expect(await revParse(project.repo, "refs/orchestrator/interrupted/b/1^")).toBe(partial.b);
    expect(await gitIn(project.repo, ["show", "refs/orchestrator/interrupted/b/1:b-unsaved.txt"])).toBe(
      "not committed by b",
    );
    for (const id of ["b", "c"] as const) {
      const ref = `refs/orchestrator/interrupted/${id}/1`;
      const commits = id === "b" ? 2 : 1;
      expect(await revParse(project.repo, ref)).toBe(kept[id]);
      expect(await gitIn(project.repo, ["show", `${ref}:${id}-partial.txt`])).toBe(`half of ${id}`);
      expect(output).toContain(
        `${commits} commit${commits === 1 ? "" : "s"} kept as ${ref} (${kept[id]?.slice(0, 7)})`,
      );
      // The task ran again from a fresh start: one commit on the base, none of the kept work.
      expect(await gitIn(project.repo, ["rev-list", "--count", `main..orchestrator/${id}`])).toBe("1");
      expect(await contains(project.repo, `orchestrator/${id}`, partial[id])).toBe(false);
    }
    expect(output).toContain("Interrupted attempts:");

    const saved = await state();
    expect(saved?.outcome?.conclusion).toBe("success");
    // b reported 0.25 before it was killed, then 0.5; c reported nothing before the kill.
    expect(saved?.tasks.b?.costUsd).toBe(0.75);
    expect(saved?.tasks.c?.costUsd).toBe(0.125);
    expect(saved?.runs.b?.interruptions).toEqual([
      expect.objectContaining({
        attempt: 1,
        costUsd: 0.25,
        kept: [{ ref: "refs/orchestrator/interrupted/b/1", commit: kept.b, commits: 2 }],
      }),
    ]);
    expect(saved?.runs.c?.interruptions?.[0]?.costUsd).toBeUndefined();
    expect(output).toContain("c attempt 1: 1 commit kept as");
    expect(output).toContain("cost not known (its agent was stopped before reporting one)");
    expect(output).toMatch(/Total: \$0\.88 \(not counted: the cost of 1 interrupted attempt, not known\)/);
    const starts = (await project.events()).filter((e) => e.event === "start");
    expect(starts.map((e) => e.id).sort()).toEqual(["b", "b", "c", "c"]);
  }, 120_000);

  it("a crash between the orchestrator's commit and the state write: recorded from the commit, the agent not run again", async () => {
    const project = await makeProject({ tasks: [{ id: "a", prompt: "do a scratch={scratch} cost=0.4" }] });
    const agent = await stepAgent(project);
    const state = () => readStateFile(resolve(project.repo, ".orchestrator", "state.json"));
    // Git runs post-commit after the commit is made (--no-verify skips only pre-commit and
    // commit-msg): this hook holds the executor right there, so the test kills it between the
    // commit and the state write, every time.
    const marker = join(project.scratch, "orchestrator-commit");
    const release = join(project.scratch, "hook.release");
    const hook = join(project.repo, ".git", "hooks", "post-commit");
    await writeFile(
      hook,
      [
        `#!${process.execPath}`,
        `const { execFileSync } = require("node:child_process");`,
        `const { existsSync, writeFileSync } = require("node:fs");`,
        `const message = execFileSync("git", ["log", "-1", "--format=%B"], { encoding: "utf8" });`,
        `if (!/^Orchestrator-Task: /m.test(message)) process.exit(0);`,
        `writeFileSync(${JSON.stringify(marker)}, execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim());`,
        `const deadline = Date.now() + 120000;`,
        `const wait = () => existsSync(${JSON.stringify(release)}) || Date.now() > deadline ? process.exit(0) : setTimeout(wait, 50);`,
        `wait();`,
        "",
      ].join("\n"),
    );
    await chmod(hook, 0o755);

    const first = startCli(project, ["--agent", agent]);
    await waitFor(() => readFile(marker).then(() => true)).catch((error: Error) => {
      throw new Error(`${error.message}; the run said:\n${first.output()}`);
    });
    const commit = (await readFile(marker, "utf8")).trim();
    expect(await revParse(project.repo, "orchestrator/a")).toBe(commit);
    expect((await state())?.tasks.a?.status).toBe("running");
    first.child.kill("SIGKILL");
    expect(await first.exited).toBeNull();
    await writeFile(release, "");

    const second = startCli(project, ["--resume"]);
    const code = await second.exited;
    expect(code, second.output()).toBe(0);
    expect(second.output()).toContain(
      `Task a: attempt 1 had finished and its work was committed (${commit.slice(0, 7)})`,
    );
    const saved = await state();
    expect(saved?.tasks.a).toMatchObject({ status: "succeeded", attempts: 1, costUsd: 0.4 });
    expect(saved?.runs.a).toMatchObject({ commitSha: commit, commits: 1, changedFiles: 1 });
    expect(await revParse(project.repo, "orchestrator/a")).toBe(commit);
    expect((await project.events()).filter((e) => e.event === "start")).toHaveLength(1);
    expect(second.output()).toContain("Total: $0.40");
  }, 120_000);
});

// A safety net only: every wait is for a file or a state the run writes (30 s ran out at load 40).
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
