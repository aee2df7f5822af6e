import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { makePlan } from "../../src/core/make-plan.js";
import { parseTasksFile } from "../../src/core/parse-tasks-file.js";
import { renderPlan } from "../../src/core/render-plan.js";
import { graphFromTasks, type ResolvedTask } from "../../src/core/task-graph.js";

function exampleGraph() {
  const text = readFileSync(new URL("../../tasks/tasks.json", import.meta.url), "utf8");
  const result = parseTasksFile({ text, fileName: "tasks/tasks.json" });
  if (!result.ok) throw new Error("the example file must be valid");
  return result.graph;
}

function task(id: string, estimateMinutes: number, dependencies: string[] = []): ResolvedTask {
  return {
    id,
    name: id,
    description: "",
    prompt: "p",
    branch: `orchestrator/${id}`,
    dependencies,
    estimateMinutes,
    timeoutMinutes: 60,
    retries: 0,
    base: "dependencies",
    allowNoChanges: false,
  };
}

describe("makePlan", () => {
  it("plans the example: the critical path bounds the makespan on 3 agents", () => {
    const plan = makePlan({ graph: exampleGraph(), agents: 3 });
    expect(plan).toMatchObject({
      agents: 3,
      criticalPath: ["project-setup", "slugify", "cli", "docs", "changelog"],
      criticalPathMinutes: 60,
      totalWorkMinutes: 95,
      lowerBoundMinutes: 60,
      makespanMinutes: 60,
    });
    expect(plan.schedule.map(({ id, start, end }) => `${id} ${start}-${end}`)).toEqual([
      "project-setup 0-10",
      "slugify 10-25",
      "word-count 10-25",
      "cli 25-45",
      "tests 25-45",
      "docs 45-55",
      "changelog 55-60",
    ]);
  });

  it("on one agent, the work itself is the bound and is reached", () => {
    const plan = makePlan({ graph: exampleGraph(), agents: 1 });
    expect(plan.lowerBoundMinutes).toBe(95);
    expect(plan.makespanMinutes).toBe(95);
    expect(new Set(plan.schedule.map((entry) => entry.agent))).toEqual(new Set([1]));
  });
});

describe("renderPlan", () => {
  it("renders the example as waves, bounds, a timeline per agent and the schedule", () => {
    const text = renderPlan({
      plan: makePlan({ graph: exampleGraph(), agents: 3 }),
      fileName: "tasks/tasks.json",
    });
    expect(text).toBe(
      [
        "Plan for tasks/tasks.json: 7 tasks on 3 agents",
        "",
        "Waves (a task's dependencies are all in earlier waves)",
        "  1. project-setup",
        "  2. slugify, word-count",
        "  3. cli, tests",
        "  4. docs",
        "  5. changelog",
        "",
        "Critical path: project-setup → slugify → cli → docs → changelog (60 min)",
        "Lower bound:   60 min = max(critical path 60 min, total work 95 min ÷ 3 agents = 31.7 min)",
        "Makespan:      60 min (1.00 × the lower bound)",
        "Worst-case cost: no limit — 7 tasks have no max_budget_usd (project-setup, slugify, word-count, cli, tests and 2 more) and the file sets no budget_usd",
        "",
        "Timeline",
        "         0          10        20         30         40        50         60  (minutes)",
        "agent 1  [project-…][slugify·······][cli················][docs·····][ch…]",
        "agent 2             [word-count····][tests··············]",
        "agent 3",
        "",
        "Schedule",
        "  start  end  agent  task",
        "      0   10      1  project-setup",
        "     10   25      1  slugify",
        "     10   25      2  word-count",
        "     25   45      1  cli",
        "     25   45      2  tests",
        "     45   55      1  docs",
        "     55   60      1  changelog",
        "",
      ].join("\n"),
    );
  });

  it("draws bars in proportion to their minutes", () => {
    const graph = graphFromTasks([task("long", 30), task("short", 10), task("after", 10, ["short"])]);
    const text = renderPlan({ plan: makePlan({ graph, agents: 2 }), fileName: "f", width: 30 });
    const timeline = text.split("\n").filter((line) => line.startsWith("agent"));
    expect(timeline).toEqual(["agent 1  [long························]", "agent 2  [short···][after···]"]);
  });

  it("keeps a huge plan readable and points to --json for the rest", () => {
    const tasks = [task("root", 1)];
    for (let i = 0; i < 300; i++) tasks.push(task(`leaf-${i}`, 1, ["root"]));
    for (let i = 0; i < 50; i++) tasks.push(task(`chain-${i}`, 1, [i === 0 ? "root" : `chain-${i - 1}`]));
    const text = renderPlan({
      plan: makePlan({ graph: graphFromTasks(tasks), agents: 4 }),
      fileName: "big.json",
    });
    const lines = text.split("\n");
    expect(lines).toContain(
      "   2. leaf-0, leaf-1, leaf-2, leaf-3, leaf-4, leaf-5, leaf-6, leaf-7, leaf-8, leaf-9, leaf-10, leaf-11, … and 289 more",
    );
    expect(lines).toContain("  … and 11 more waves");
    expect(lines).toContain("  … and 151 more (use --json for all)");
    expect(lines.length).toBeLessThan(280);
  });

  it("shows fractional minutes with one decimal", () => {
    const graph = graphFromTasks([task("a", 2.5), task("b", 0.25, ["a"])]);
    const text = renderPlan({ plan: makePlan({ graph, agents: 2 }), fileName: "f" });
    expect(text).toContain("Critical path: a → b (2.8 min)");
    expect(text).toContain("    2.5  2.8      1  b");
  });
});
