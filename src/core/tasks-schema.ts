import { z } from "zod";

/**
 * The one schema of the tasks file. It gives the TypeScript types, the field checks (with the
 * limits users see in error messages) and, through `npm run schema`, `tasks/tasks.schema.json`
 * for editors. Graph-level rules (unknown dependencies, cycles, shared branches) need the whole
 * file and live in `validate-tasks-file.ts`.
 */

export const LIMITS = {
  maxTasks: 10_000,
  maxDependencies: 100,
  maxIdLength: 100,
  maxNameLength: 200,
  maxDescriptionLength: 10_000,
  maxPromptLength: 100_000,
  maxBranchLength: 200,
  maxParallelAgents: 64,
  maxTimeoutMinutes: 360, // GitHub-hosted jobs stop at 6 hours
  maxRetries: 10,
  maxTurns: 1_000,
  maxBudgetUsd: 10_000,
  maxEstimateMinutes: 10_000,
  maxAllowedTools: 100,
} as const;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const BASE_STRATEGIES = ["dependencies", "merged", "base_branch"] as const;
export type BaseStrategy = (typeof BASE_STRATEGIES)[number];

const positiveInt = (max: number) => z.number().int().min(1).max(max);

/** Options a task may set, and the file may default under `defaults`. */
const taskOptionsShape = {
  timeout_minutes: positiveInt(LIMITS.maxTimeoutMinutes)
    .optional()
    .describe("Minutes before the agent is stopped and the task fails (default 60)."),
  retries: z
    .number()
    .int()
    .min(0)
    .max(LIMITS.maxRetries)
    .optional()
    .describe("Extra attempts after a failure (default 0)."),
  model: z.string().min(1).max(100).optional().describe("Claude model for this task."),
  max_turns: positiveInt(LIMITS.maxTurns).optional().describe("Maximum agent turns."),
  max_budget_usd: z
    .number()
    .positive()
    .max(LIMITS.maxBudgetUsd)
    .optional()
    .describe("Spending cap for one attempt, in US dollars."),
  allowed_tools: z
    .array(z.string().min(1).max(200))
    .max(LIMITS.maxAllowedTools)
    .optional()
    .describe("Claude Code tools the agent may use without asking (e.g. Edit, Write, Bash(npm test))."),
  base: z
    .enum(BASE_STRATEGIES)
    .optional()
    .describe(
      "Where the task's branch starts: 'dependencies' (default) builds on the dependencies' branches, " +
        "'merged' waits for their pull requests to be merged and starts from the base branch, " +
        "'base_branch' starts from the base branch regardless.",
    ),
  allow_no_changes: z
    .boolean()
    .optional()
    .describe("Succeed even if the agent changed no file (default false: no changes is a failure)."),
};

export const taskOptionsSchema = z.strictObject(taskOptionsShape);
export type TaskOptions = z.infer<typeof taskOptionsSchema>;

export const taskSchema = z.strictObject({
  id: z
    .string()
    .min(1, "must not be empty")
    .max(LIMITS.maxIdLength)
    .regex(ID_PATTERN, "must start with a letter or digit and use only letters, digits, '.', '_' and '-'")
    .describe("Unique id, used in dependencies, branch names and commands."),
  name: z.string().max(LIMITS.maxNameLength).optional().describe("Short human title (default: the id)."),
  description: z.string().max(LIMITS.maxDescriptionLength).optional(),
  prompt: z
    .string()
    .max(LIMITS.maxPromptLength)
    // A regex rather than a refine: it reaches tasks.schema.json, so editors flag empty prompts too.
    .regex(/\S/, "must not be empty")
    .describe("What the agent is asked to do."),
  branch_name: z
    .string()
    .min(1)
    .max(LIMITS.maxBranchLength)
    .optional()
    .describe("Branch for the task's work (default: orchestrator/<id>)."),
  dependencies: z
    .array(z.string())
    .max(LIMITS.maxDependencies)
    .optional()
    .describe("Ids of tasks that must succeed first."),
  estimate_minutes: z
    .number()
    .positive()
    .max(LIMITS.maxEstimateMinutes)
    .optional()
    .describe("Expected duration, used to start the longest remaining path first and to plan."),
  ...taskOptionsShape,
  reset_existing: z
    .boolean()
    .optional()
    .describe(
      "Let the task replace its branch even if that branch already exists with commits that are not " +
        "this task's (default false: the task fails and the branch is left alone). The old tip is kept " +
        "under refs/orchestrator/replaced/<branch>/<sha>.",
    ),
});
export type Task = z.infer<typeof taskSchema>;

export const tasksFileSchema = z.strictObject({
  $schema: z.string().optional(),
  max_parallel_agents: positiveInt(LIMITS.maxParallelAgents)
    .optional()
    .describe("How many agents run at once (default 3)."),
  base_branch: z
    .string()
    .min(1)
    .max(LIMITS.maxBranchLength)
    .optional()
    .describe("Default: the repository's default branch."),
  budget_usd: z
    .number()
    .positive()
    .max(LIMITS.maxBudgetUsd)
    .optional()
    .describe("Session budget: no new task starts once this much has been spent."),
  defaults: taskOptionsSchema.optional().describe("Options applied to every task that does not set them."),
  tasks: z.array(taskSchema).min(1, "must list at least one task").max(LIMITS.maxTasks),
});
export type TasksFile = z.infer<typeof tasksFileSchema>;

export const DEFAULTS = {
  maxParallelAgents: 3,
  timeoutMinutes: 60,
  retries: 0,
  estimateMinutes: 1,
  base: "dependencies" as BaseStrategy,
  branchPrefix: "orchestrator/",
} as const;
