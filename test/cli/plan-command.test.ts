import { afterAll, describe, expect, it } from "vitest";
import { projectWith, projectWithExample, removeProjects, runCli, spawnCli } from "./cli-test-helpers.js";

afterAll(removeProjects);

describe("orchestrator plan (real process)", () => {
  it("prints the plan as JSON with exactly the documented fields", async () => {
    const run = await spawnCli(["plan", "--json", "--parallel", "2"], { cwd: projectWithExample() });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({
      makespan_minutes: 60,
      lower_bound_minutes: 60,
      critical_path: ["project-setup", "slugify", "cli", "docs", "changelog"],
      waves: [["project-setup"], ["slugify", "word-count"], ["cli", "tests"], ["docs"], ["changelog"]],
      schedule: [
        { id: "project-setup", start: 0, end: 10, agent: 1 },
        { id: "slugify", start: 10, end: 25, agent: 1 },
        { id: "word-count", start: 10, end: 25, agent: 2 },
        { id: "cli", start: 25, end: 45, agent: 1 },
        { id: "tests", start: 25, end: 45, agent: 2 },
        { id: "docs", start: 45, end: 55, agent: 1 },
        { id: "changelog", start: 55, end: 60, agent: 1 },
      ],
      worst_case_cost_usd: null,
      uncapped_tasks: ["project-setup", "slugify", "word-count", "cli", "tests", "docs", "changelog"],
    });
  });
});

describe("orchestrator plan", () => {
  it("prints waves, the critical path, the bounds and a timeline", async () => {
    const run = await runCli(["plan"], { cwd: projectWithExample() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Plan for tasks\/tasks\.json: 7 tasks on 3 agents\n/);
    expect(run.stdout).toContain(
      "Critical path: project-setup → slugify → cli → docs → changelog (60 min)\n",
    );
    expect(run.stdout).toContain("Makespan:      60 min (1.00 × the lower bound)\n");
    expect(run.stdout).toContain("agent 2             [word-count····][tests··············]\n");
  });

  it("uses --parallel over the file's max_parallel_agents, else the file's, else 3", async () => {
    const one = await runCli(["plan", "--parallel", "1", "--json"], { cwd: projectWithExample() });
    expect(JSON.parse(one.stdout)).toMatchObject({ makespan_minutes: 95, lower_bound_minutes: 95 });

    const text = (parallel?: number) =>
      JSON.stringify({
        ...(parallel === undefined ? {} : { max_parallel_agents: parallel }),
        tasks: ["a", "b", "c", "d"].map((id) => ({ id, prompt: "p", estimate_minutes: 10 })),
      });
    const fromFile = await runCli(["plan", "two.json", "--json"], {
      cwd: projectWith({ "two.json": text(2) }),
    });
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ makespan_minutes: 20, lower_bound_minutes: 20 });
    const byDefault = await runCli(["plan", "three.json", "--json"], {
      cwd: projectWith({ "three.json": text() }),
    });
    expect(JSON.parse(byDefault.stdout)).toMatchObject({ makespan_minutes: 20, lower_bound_minutes: 40 / 3 });
  });

  it("uses a duration of 1 minute for tasks without an estimate", async () => {
    const text = `{"tasks": [{"id": "a", "prompt": "p"}, {"id": "b", "prompt": "p", "dependencies": ["a"]}]}`;
    const run = await runCli(["plan", "t.json", "--json"], { cwd: projectWith({ "t.json": text }) });
    expect(JSON.parse(run.stdout)).toMatchObject({ makespan_minutes: 2, critical_path: ["a", "b"] });
  });

  it("validates first: an invalid file prints its problems and exits 1", async () => {
    const text = `{"tasks": [{"id": "a", "prompt": "p", "dependencies": ["a"]}]}`;
    const run = await runCli(["plan", "t.json"], { cwd: projectWith({ "t.json": text }) });
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr:
        't.json:1:56: task "a" field "dependencies": a task cannot depend on itself\n' +
        "✗ t.json: 1 problem; fix it to see a plan\n",
    });
  });

  it("rejects a bad --parallel with exit 2", async () => {
    for (const value of ["0", "65", "two", "1.5", "-1"]) {
      const run = await runCli(["plan", `--parallel=${value}`], { cwd: projectWithExample() });
      expect(run).toEqual({
        code: 2,
        stdout: "",
        stderr:
          `orchestrator plan: --parallel must be a whole number from 1 to 64, got "${value}"\n` +
          'Run "orchestrator plan --help" for usage.\n',
      });
    }
    const missing = await runCli(["plan", "--parallel"], { cwd: projectWithExample() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'orchestrator plan: option --parallel needs a value\nRun "orchestrator plan --help" for usage.\n',
    );
  });

  it("explains itself with --help", async () => {
    const run = await runCli(["plan", "-h"], { cwd: projectWithExample() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: orchestrator plan \[file\] \[--parallel N\] \[--json\]\n/);
  });
});
