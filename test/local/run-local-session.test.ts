import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/run-command.js";
import { readStateFile } from "../../src/local/state-file.js";
import { listWorktrees } from "../../src/runner/worktree.js";
import { contains, gitIn, isolateGit, removeTempDirs, revParse } from "../support/git-fixtures.js";
import {
  armSlowOnce,
  captureIo,
  makeProject,
  maxOverlap,
  writeTasksFile,
  type Project,
} from "./local-fixtures.js";

beforeAll(isolateGit);
afterAll(removeTempDirs);

async function run(project: Project, args: string[] = []) {
  const capture = captureIo(project);
  const code = await runCommand(["--agent", project.agentCommand, ...args], capture.io);
  return { code, ...capture };
}

async function state(project: Project) {
  const value = await readStateFile(join(project.repo, ".orchestrator", "state.json"));
  if (value === null) throw new Error("no state file");
  return value;
}

async function taskWorktrees(repo: string): Promise<string[]> {
  return (await listWorktrees(repo)).map((w) => w.path).filter((path) => path.includes(".orchestrator"));
}

// Whole runs with real git and agent processes: on a loaded two-core machine one takes over a
// minute. The limit is a safety net; every wait inside is for an event, a file or output.
describe("orchestrator run (local executor)", { timeout: 180_000 }, () => {
  it("runs a diamond: each branch builds on its dependencies, one commit per task, exit 0", async () => {
    const project = await makeProject({
      tasks: [
        { id: "a" },
        { id: "b", dependencies: ["a"] },
        { id: "c", dependencies: ["a"], branch_name: "feature/c" },
        { id: "d", dependencies: ["b", "c"] },
      ],
    });

    const { code, stdout, stderr } = await run(project);

    expect(stderr()).toBe("");
    expect(code).toBe(0);
    const tip = (branch: string) => revParse(project.repo, branch) as Promise<string>;
    expect(await contains(project.repo, "orchestrator/b", await tip("orchestrator/a"))).toBe(true);
    expect(await contains(project.repo, "feature/c", await tip("orchestrator/a"))).toBe(true);
    for (const dep of ["orchestrator/b", "feature/c"]) {
      expect(await contains(project.repo, "orchestrator/d", await tip(dep))).toBe(true);
    }
    // d's agent found a, b and c's files in its worktree: the merge happened before it ran.
    expect(await gitIn(project.repo, ["show", "orchestrator/d:d.txt"])).toBe(
      "work of d; found: a.txt,b.txt,c.txt",
    );
    expect(await gitIn(project.repo, ["log", "-1", "--format=%s|%an", "orchestrator/b"])).toBe(
      "Task b|Local Tester",
    );

    const events = await project.events();
    expect(events.filter((e) => e.event === "end").map((e) => e.id)).toHaveLength(4);
    expect(new Set(events.map((e) => e.session)).size).toBe(1);
    expect(events[0]?.session).toMatch(/^local-/);

    const saved = await state(project);
    expect(saved.outcome?.conclusion).toBe("success");
    expect(Object.values(saved.tasks).map((t) => t.status)).toEqual(Array(4).fill("succeeded"));
    expect(saved.runs.d?.commitSha).toBe(await tip("orchestrator/d"));
    expect(await taskWorktrees(project.repo)).toEqual([]);
    expect(await readFile(join(project.repo, ".orchestrator", "logs", "d.log"), "utf8")).toContain(
      "fixture agent finished d",
    );
    // .orchestrator/ is ignored without touching a tracked file.
    expect(await gitIn(project.repo, ["status", "--porcelain"])).toBe("");
    expect(stdout()).toMatch(/succeeded d in/);
    expect(stdout()).toMatch(/Total: \$0\.00 · 4 of 4 tasks succeeded/);
    expect(stdout()).not.toContain("uncommitted changes");
  });

  it("notes uncommitted changes on the base branch, and starts the tasks without them", async () => {
    const project = await makeProject({ tasks: [{ id: "a" }] });
    await writeFile(join(project.repo, "README.md"), "# edited, not committed\n");

    const { code, stdout } = await run(project);

    expect(code).toBe(0);
    expect(stdout()).toContain(
      "Your checkout has uncommitted changes; tasks start from the last commit of main, without them.",
    );
    expect(await gitIn(project.repo, ["show", "orchestrator/a:README.md"])).toBe("# test repository");
    expect(await readFile(join(project.repo, "README.md"), "utf8")).toBe("# edited, not committed\n");
  });

  it("never runs more than --parallel agents at once, and does use them all", async () => {
    // t0 and t1 each wait until the other has started: both slots in use, without betting on a
    // sleep outlasting the start of the second agent on a busy machine.
    const tasks = Array.from({ length: 6 }, (_, i) => ({
      id: `t${i}`,
      prompt: i === 0 ? "wait-for=t1" : i === 1 ? "wait-for=t0" : "sleep=100",
    }));
    const project = await makeProject({ tasks, maxParallel: 5 });

    const { code, stdout } = await run(project, ["--parallel", "2"]);
    expect(stdout()).toContain("6 of 6 tasks succeeded");

    expect(code).toBe(0);
    const events = await project.events();
    expect(events.filter((e) => e.event === "end")).toHaveLength(6);
    expect(maxOverlap(events)).toBe(2);
  });

  it("starts the task with the longest remaining path first", async () => {
    const project = await makeProject({
      tasks: [
        { id: "short", estimate_minutes: 1 },
        { id: "head", estimate_minutes: 1 },
        { id: "tail", estimate_minutes: 10, dependencies: ["head"] },
      ],
    });

    const { code } = await run(project, ["--parallel", "1"]);

    expect(code).toBe(0);
    const starts = (await project.events()).filter((e) => e.event === "start").map((e) => e.id);
    expect(starts).toEqual(["head", "tail", "short"]);
  });

  it("skips a failed task's descendants, finishes independent tasks, keeps the failed worktree, exits 1", async () => {
    const project = await makeProject({
      tasks: [
        { id: "root", prompt: "fail" },
        { id: "child", dependencies: ["root"] },
        { id: "grandchild", dependencies: ["child"] },
        { id: "other" },
        { id: "idle", prompt: "nochange" },
      ],
    });

    const { code, stdout } = await run(project);

    expect(code).toBe(1);
    const saved = await state(project);
    expect(saved.tasks.root).toMatchObject({ status: "failed" });
    expect(saved.tasks.root?.reason).toContain("exited with code 3");
    expect(saved.tasks.child).toMatchObject({ status: "skipped", reason: 'dependency "root" failed' });
    expect(saved.tasks.grandchild?.status).toBe("skipped");
    expect(saved.tasks.other?.status).toBe("succeeded");
    expect(saved.tasks.idle).toMatchObject({ status: "failed" });
    expect(saved.tasks.idle?.reason).toContain("without changing any file");
    expect(saved.outcome?.conclusion).toBe("failure");
    expect((await project.events()).map((e) => e.id)).not.toContain("child");
    expect(await revParse(project.repo, "orchestrator/other")).not.toBeNull();
    expect(existsSync(join(project.repo, ".orchestrator", "worktrees", "root"))).toBe(true);
    const summary = stdout();
    expect(summary).toContain("worktree kept for inspection: .orchestrator/worktrees/root");
    expect(summary).toMatch(/root\s+failed\s+orchestrator\/root/);
    expect(summary).toMatch(/child\s+skipped/);
    expect(summary).toContain("1 of 5 tasks succeeded, 2 failed (root, idle), 2 skipped");
  });

  it("refuses to start over an unfinished session, and --resume refuses a changed tasks file", async () => {
    const project = await makeProject({ tasks: [{ id: "a", prompt: "sleep=20000" }, { id: "b" }] });
    // An unfinished session: stop it at once with a signal.
    const first = captureIo(project);
    const running = runCommand(["--agent", project.agentCommand], first.io);
    await waitFor(async () => (await project.events()).length > 0);
    first.signals.send("SIGINT");
    expect(await running).toBe(130);

    const again = await run(project);
    expect(again.code).toBe(1);
    expect(again.stderr()).toContain("An unfinished session");
    expect(again.stderr()).toContain("orchestrator run --resume");
    expect(again.stderr()).toContain(".orchestrator/state.json");

    await writeTasksFile(project.repo, { tasks: [{ id: "a" }, { id: "b" }] });
    const resumed = await run(project, ["--resume"]);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr()).toContain("has changed since session");

    const noState = await makeProject({ tasks: [{ id: "a" }] });
    const nothing = await run(noState, ["--resume"]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr()).toContain("no session to resume");
  });

  it("on Ctrl-C stops the agents and saves the state; --resume finishes without redoing finished tasks", async () => {
    const project = await makeProject({
      tasks: [
        { id: "quick" },
        { id: "slow", prompt: "hold-once={scratch}/slow.flag" },
        { id: "after", dependencies: ["slow"] },
      ],
    });
    await armSlowOnce(project, "slow.flag");
    const first = captureIo(project);
    const running = runCommand(["--agent", project.agentCommand], first.io);
    await waitFor(async () => (await project.events()).some((e) => e.id === "quick" && e.event === "end"));
    await waitFor(async () => (await state(project)).tasks.quick?.status === "succeeded");
    first.signals.send("SIGINT");

    expect(await running).toBe(130);
    // Stopped, not waited for: the held agent started and never ended.
    const firstRun = (await project.events()).filter((e) => e.id === "slow");
    expect(firstRun.map((e) => e.event)).toEqual(["start"]);
    const stopped = await state(project);
    expect(stopped.interrupted?.reason).toContain("signal");
    expect(stopped.tasks.slow).toMatchObject({ status: "pending", attempts: 0 });
    expect(stopped.tasks.quick?.status).toBe("succeeded");
    expect(first.stdout()).toContain("Continue with: orchestrator run --resume");

    // No --agent: the session's own agent command is used again.
    const resumed = captureIo(project);
    const code = await runCommand(["--resume"], resumed.io);
    expect(resumed.stderr()).toBe("");
    expect(code).toBe(0);
    const events = await project.events();
    expect(
      events
        .filter((e) => e.event === "end")
        .map((e) => e.id)
        .sort(),
    ).toEqual(["after", "quick", "slow"]);
    // quick ran once; slow's interrupted attempt restarted; the resume said so.
    expect(
      events
        .filter((e) => e.event === "start")
        .map((e) => e.id)
        .sort(),
    ).toEqual(["after", "quick", "slow", "slow"]);
    expect(resumed.stdout()).toContain("resuming session");
    expect((await state(project)).outcome?.conclusion).toBe("success");
    expect(await taskWorktrees(project.repo)).toEqual([]);
    // Two whole runs with real git: a generous limit for a loaded machine, not a speed check.
  }, 180_000);

  it("a second Ctrl-C forces the exit at once", async () => {
    const project = await makeProject({ tasks: [{ id: "slow", prompt: "sleep=20000" }] });
    const capture = captureIo(project);
    const running = runCommand(["--agent", project.agentCommand], capture.io);
    await waitFor(async () => (await project.events()).length > 0);
    capture.signals.send("SIGINT");
    capture.signals.send("SIGINT");
    expect(capture.forced).toEqual([130]);
    expect(capture.stderr()).toContain("Forced exit");
    // (The stub forceExit returns; the first Ctrl-C's orderly stop still completes.)
    expect(await running).toBe(130);
  });

  it("with base: merged, waits until the user merges the dependency, then --resume goes on", async () => {
    const project = await makeProject({
      tasks: [{ id: "a" }, { id: "b", dependencies: ["a"], base: "merged" }],
    });

    const first = await run(project);
    expect(first.code).toBe(1);
    expect(first.stdout()).toContain("b waits for orchestrator/a");
    expect((await state(project)).tasks.b).toBeUndefined();

    await gitIn(project.repo, ["merge", "--quiet", "--no-edit", "orchestrator/a"]);
    const resumed = await run(project, ["--resume"]);
    expect(resumed.code).toBe(0);
    expect((await state(project)).tasks.a?.merged).toBe(true);
    // b started from main, which now holds a's work.
    expect(await gitIn(project.repo, ["show", "orchestrator/b:b.txt"])).toBe("work of b; found: a.txt");
    expect(await gitIn(project.repo, ["rev-parse", "orchestrator/b~1"])).toBe(
      await gitIn(project.repo, ["rev-parse", "main"]),
    );
  });

  it("explains a missing Claude Code CLI and a bad --parallel before doing anything", async () => {
    const project = await makeProject({ tasks: [{ id: "a" }] });
    const capture = captureIo(project);
    capture.io.env = { ...project.env, PATH: "", ORCHESTRATOR_CLAUDE_PATH: undefined };
    expect(await runCommand([], capture.io)).toBe(2);
    expect(capture.stderr()).toContain("npm install -g @anthropic-ai/claude-code");

    const bad = captureIo(project);
    expect(await runCommand(["--parallel", "0"], bad.io)).toBe(2);
    expect(bad.stderr()).toContain("--parallel must be a whole number");
    expect(existsSync(join(project.repo, ".orchestrator", "state.json"))).toBe(false);
  });

  it("--retry runs a failed task again as edited, with its skipped dependents, never a succeeded one", async () => {
    const project = await makeProject({
      tasks: [{ id: "root", prompt: "fail" }, { id: "child", dependencies: ["root"] }, { id: "other" }],
    });
    expect((await run(project)).code).toBe(1);
    const otherTip = await revParse(project.repo, "orchestrator/other");

    // Editing a task that succeeded is refused, with the way out; nothing runs.
    await writeTasksFile(project.repo, {
      tasks: [
        { id: "root", prompt: "fail" },
        { id: "child", dependencies: ["root"] },
        { id: "other", prompt: "changed" },
      ],
    });
    const refused = await run(project, ["--retry", "failed"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr()).toContain('Task "other" succeeded in session');
    expect(refused.stderr()).toContain("run without --retry to start a new session");

    // The failed task's prompt fixed: it runs again, then its dependent; "other" does not.
    await writeTasksFile(project.repo, {
      tasks: [{ id: "root" }, { id: "child", dependencies: ["root"] }, { id: "other" }],
    });
    const before = (await project.events()).length;
    const retried = await run(project, ["--retry", "root"]);
    expect(retried.stderr()).toBe("");
    expect(retried.code).toBe(0);
    expect(retried.stdout()).toContain("Changed since the last run, and run as now written: root.");
    const started = (await project.events())
      .slice(before)
      .filter((e) => e.event === "start")
      .map((e) => e.id);
    expect(started).toEqual(["root", "child"]);
    expect(await revParse(project.repo, "orchestrator/other")).toBe(otherTip);
    const saved = await state(project);
    expect(saved.tasks.root).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(saved.outcome?.conclusion).toBe("success");
  });

  it("--retry says what it cannot do", async () => {
    const project = await makeProject({ tasks: [{ id: "only" }] });
    const none = await run(project, ["--retry", "failed"]);
    expect(none.code).toBe(1);
    expect(none.stderr()).toContain("There is no session to retry");
    expect((await run(project)).code).toBe(0);
    const nothing = await run(project, ["--retry", "failed"]);
    expect(nothing.stderr()).toContain("No task failed in session");
    const both = await run(project, ["--retry", "failed", "--resume"]);
    expect(both.code).toBe(2);
    expect(both.stderr()).toContain("give --resume or --retry, not both");
  });
});

/** Polls until `condition` holds; the limit is a safety net for a loaded machine, not a speed check. */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
