import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LIMITS } from "../../src/core/tasks-schema.js";
import {
  shapeTasksFile,
  shapeTasksText,
  TASK_FILE_SHAPES,
  type TaskFileShape,
} from "../support/task-file-shapes.js";
import { projectWith, removeProjects, runCli } from "./cli-test-helpers.js";

/**
 * `orchestrator validate` and `plan` on files at the task limit (10,000 tasks), in every shape
 * that once made them slow: a chain (10,000 scheduling steps), a wide fan, a fan-in, a random
 * layered DAG, a binary tree, a dense ladder. What is checked is the output, worked out here
 * independently; the timeout is only a safety net (the quadratic plan took minutes on a chain).
 * test/core/plan-scaling.test.ts holds the line on the work itself.
 */

afterAll(removeProjects);

const SIZE = LIMITS.maxTasks;
const AGENTS = 4;
const SAFETY_NET_MS = 240_000;

interface Expected {
  waves: number;
  criticalMinutes: number;
  totalMinutes: number;
  estimate: ReadonlyMap<string, number>;
  dependencies: ReadonlyMap<string, readonly string[]>;
}

/** Waves and the critical path straight from the file (tasks are listed after their dependencies). */
function expectedOf(shape: TaskFileShape): Expected {
  const { tasks } = shapeTasksFile(shape, SIZE, { maxParallelAgents: AGENTS });
  const estimate = new Map<string, number>();
  const dependencies = new Map<string, readonly string[]>();
  const depth = new Map<string, number>();
  const finish = new Map<string, number>();
  for (const task of tasks) {
    const id = task.id as string;
    const deps = (task.dependencies as string[] | undefined) ?? [];
    estimate.set(id, task.estimate_minutes as number);
    dependencies.set(id, deps);
    depth.set(id, Math.max(0, ...deps.map((dep) => (depth.get(dep) as number) + 1)));
    finish.set(
      id,
      (task.estimate_minutes as number) + Math.max(0, ...deps.map((dep) => finish.get(dep) as number)),
    );
  }
  return {
    waves: Math.max(...depth.values()) + 1,
    criticalMinutes: Math.max(...finish.values()),
    totalMinutes: [...estimate.values()].reduce((a, b) => a + b, 0),
    estimate,
    dependencies,
  };
}

interface PlanJson {
  makespan_minutes: number;
  lower_bound_minutes: number;
  critical_path: string[];
  waves: string[][];
  schedule: Array<{ id: string; start: number; end: number; agent: number }>;
}

function expectValidPlan(plan: PlanJson, expected: Expected): void {
  expect(plan.waves).toHaveLength(expected.waves);
  expect(plan.lower_bound_minutes).toBe(Math.max(expected.criticalMinutes, expected.totalMinutes / AGENTS));
  const path = plan.critical_path;
  expect(path.reduce((sum, id) => sum + (expected.estimate.get(id) as number), 0)).toBe(
    expected.criticalMinutes,
  );
  for (let k = 1; k < path.length; k++)
    expect(expected.dependencies.get(path[k] as string)).toContain(path[k - 1]);

  // Every task once, as long as its estimate, after its dependencies, on an agent free at the
  // time. Checked in plain code and asserted once: 10,000 expect() calls would be the slow part.
  const problems: string[] = [];
  const byId = new Map(plan.schedule.map((entry) => [entry.id, entry]));
  if (plan.schedule.length !== SIZE || byId.size !== SIZE) problems.push(`${byId.size} tasks scheduled`);
  for (const entry of plan.schedule) {
    if (entry.end - entry.start !== expected.estimate.get(entry.id))
      problems.push(`${entry.id}: wrong length`);
    for (const dep of expected.dependencies.get(entry.id) ?? [])
      if (!((byId.get(dep)?.end ?? Infinity) <= entry.start))
        problems.push(`${entry.id} starts before ${dep} ends`);
  }
  const lastEnd = new Map<number, number>();
  const byAgentThenStart = [...plan.schedule].sort((a, b) => a.agent - b.agent || a.start - b.start);
  for (const entry of byAgentThenStart) {
    if (entry.agent < 1 || entry.agent > AGENTS) problems.push(`${entry.id} on agent ${entry.agent}`);
    if (entry.start < (lastEnd.get(entry.agent) ?? 0))
      problems.push(`${entry.id} overlaps on agent ${entry.agent}`);
    lastEnd.set(entry.agent, entry.end);
  }
  expect(problems.slice(0, 10)).toEqual([]);
  expect(plan.makespan_minutes).toBe(Math.max(...lastEnd.values()));
  expect(plan.makespan_minutes).toBeGreaterThanOrEqual(plan.lower_bound_minutes);
}

const cases: Array<{ shape: TaskFileShape; format: "json" | "yaml" }> = [
  ...TASK_FILE_SHAPES.map((shape) => ({ shape, format: "json" as const })),
  { shape: "chain", format: "yaml" },
];

describe(`validate and plan on ${SIZE}-task files`, () => {
  for (const { shape, format } of cases) {
    it(
      `${shape} (${format.toUpperCase()}): validate reports it, plan schedules every task`,
      async () => {
        const file = `${shape}.${format}`;
        const cwd = projectWith({
          [file]: shapeTasksText(shape, SIZE, format, { maxParallelAgents: AGENTS }),
        });
        const expected = expectedOf(shape);

        const validate = await runCli(["validate", file], { cwd });
        expect(validate.stderr).toBe("");
        expect(validate.code).toBe(0);
        expect(validate.stdout).toMatch(
          new RegExp(
            `^✓ ${file.replace(".", "\\.")}: ${SIZE} tasks, ${expected.waves} waves?, critical path .+ \\(${expected.criticalMinutes} min\\)\\n$`,
          ),
        );

        const json = await runCli(["plan", file, "--json"], { cwd });
        expect(json.stderr).toBe("");
        expect(json.code).toBe(0);
        const plan = JSON.parse(json.stdout) as PlanJson;
        expectValidPlan(plan, expected);

        // The text output draws the same plan; once is enough (each run parses the file again).
        if (shape !== "chain" || format !== "json") return;
        const text = await runCli(["plan", file], { cwd });
        expect(text.code).toBe(0);
        expect(text.stdout).toMatch(
          new RegExp(`^Plan for ${file.replace(".", "\\.")}: ${SIZE} tasks on ${AGENTS} agents\\n`),
        );
        expect(text.stdout).toContain(`Makespan:      ${plan.makespan_minutes} min`);
        expect(text.stdout).toContain(`  … and ${SIZE - 200} more (use --json for all)\n`);
      },
      SAFETY_NET_MS,
    );
  }

  it(
    "reports a cycle through all of them, and a sink over all of them, each as one problem",
    async () => {
      const cycle = shapeTasksFile("chain", SIZE);
      cycle.tasks[0] = { ...cycle.tasks[0], dependencies: [`t${SIZE - 1}`] };
      const sink = shapeTasksFile("chain", SIZE);
      sink.tasks = sink.tasks.map(({ dependencies: _, ...task }) => task);
      sink.tasks[SIZE - 1] = {
        ...sink.tasks[SIZE - 1],
        dependencies: sink.tasks.slice(0, -1).map((task) => task.id),
      };
      const cwd = projectWith({});
      writeFileSync(path.join(cwd, "cycle.json"), JSON.stringify(cycle, null, 2));
      writeFileSync(path.join(cwd, "sink.json"), JSON.stringify(sink, null, 2));

      const looped = await runCli(["validate", "cycle.json", "--json"], { cwd });
      expect(looped.code).toBe(1);
      expect(JSON.parse(looped.stdout)).toEqual({
        valid: false,
        errors: [
          {
            task: "t0",
            field: "dependencies",
            line: expect.any(Number) as number,
            column: expect.any(Number) as number,
            message: `dependency cycle: t0 → t${SIZE - 1} → t${SIZE - 2} → t${SIZE - 3} → t${SIZE - 4} → t${SIZE - 5} → t${SIZE - 6} → t${SIZE - 7} → … ${SIZE - 10} more … → t2 → t1 → t0`,
          },
        ],
      });

      const wide = await runCli(["validate", "sink.json", "--json"], { cwd });
      expect(wide.code).toBe(1);
      expect(JSON.parse(wide.stdout)).toMatchObject({
        valid: false,
        errors: [
          {
            task: `t${SIZE - 1}`,
            field: "dependencies",
            message: `lists too many items: ${SIZE - 1} (the limit is ${LIMITS.maxDependencies})`,
          },
        ],
      });
    },
    SAFETY_NET_MS,
  );
});
