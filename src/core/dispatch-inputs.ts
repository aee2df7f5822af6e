import { z } from "zod";
import { BASE_STRATEGIES } from "./tasks-schema.js";

/**
 * The inputs of the per-task workflow (`.github/workflows/orchestrator-task.yml`): the contract
 * between the App, which dispatches it, and the Action, which runs one task. workflow_dispatch
 * inputs are strings (at most 25 of them), so lists are encoded: branch lists are separated by
 * spaces (git forbids spaces in branch names), tools by commas.
 */
export const DISPATCH_INPUT_NAMES = [
  "session_id",
  "task_id",
  "attempt",
  "tasks_ref",
  "tasks_file",
  "prompt",
  "branch",
  "base_branch",
  "base_strategy",
  "dependency_branches",
  "pr_base",
  "timeout_minutes",
  "model",
  "max_turns",
  "max_budget_usd",
  "allowed_tools",
  "allow_no_changes",
  // Sent only for issue sessions, so a task workflow installed before it existed still runs
  // file sessions (GitHub refuses inputs a workflow does not declare).
  "issue",
  // Sent only when not the default, for the same reason: what the run does ("task" runs the agent
  // and opens a pull request; "plan" runs a planner with no write tools and pushes its proposal;
  // "restack" rebases the task's branch onto its moved base, with no agent).
  "mode",
  // Sent only for an attempt that goes on from earlier work: review comments, a revise request or
  // the answer to the agent's question, added to the task's prompt (untrusted text, like a prompt).
  "feedback",
] as const;

export const RUN_MODES = ["task", "plan", "restack"] as const;
export type RunMode = (typeof RUN_MODES)[number];

export type DispatchInputName = (typeof DISPATCH_INPUT_NAMES)[number];
export type DispatchInputs = Partial<Record<DispatchInputName, string>>;

export const taskRunRequestSchema = z.object({
  sessionId: z.string().min(1),
  taskId: z.string().min(1),
  attempt: z.number().int().min(1),
  /** Commit the tasks file is read at (the session's commit S); ignored when `prompt` is given. */
  tasksRef: z.string().optional(),
  tasksFile: z.string().default("tasks/tasks.json"),
  /** Inline prompt, for sessions started without a tasks file (quick start, manual runs). */
  prompt: z.string().optional(),
  branch: z.string().min(1),
  baseBranch: z.string().min(1),
  baseStrategy: z.enum(BASE_STRATEGIES).default("dependencies"),
  dependencyBranches: z.array(z.string().min(1)).default([]),
  /** Branch the pull request targets: the single dependency's branch, else the base branch. */
  prBase: z.string().min(1),
  timeoutMinutes: z.number().int().min(1).optional(),
  model: z.string().optional(),
  maxTurns: z.number().int().min(1).optional(),
  maxBudgetUsd: z.number().positive().optional(),
  allowedTools: z.array(z.string().min(1)).optional(),
  allowNoChanges: z.boolean().default(false),
  /** The issue the task works on (issue sessions): its pull request says `Closes #<issue>`. */
  issue: z.number().int().min(1).optional(),
  /** Absent: "task". */
  mode: z.enum(RUN_MODES).optional(),
  /** Text added to the task's prompt for this attempt (review feedback, an answer). */
  feedback: z.string().optional(),
});
export type TaskRunRequest = z.infer<typeof taskRunRequestSchema>;

export function encodeDispatchInputs(request: TaskRunRequest): DispatchInputs {
  const inputs: DispatchInputs = {
    session_id: request.sessionId,
    task_id: request.taskId,
    attempt: String(request.attempt),
    tasks_file: request.tasksFile,
    branch: request.branch,
    base_branch: request.baseBranch,
    base_strategy: request.baseStrategy,
    dependency_branches: request.dependencyBranches.join(" "),
    pr_base: request.prBase,
    allow_no_changes: String(request.allowNoChanges),
  };
  if (request.tasksRef !== undefined) inputs.tasks_ref = request.tasksRef;
  if (request.prompt !== undefined) inputs.prompt = request.prompt;
  if (request.timeoutMinutes !== undefined) inputs.timeout_minutes = String(request.timeoutMinutes);
  if (request.model !== undefined) inputs.model = request.model;
  if (request.maxTurns !== undefined) inputs.max_turns = String(request.maxTurns);
  if (request.maxBudgetUsd !== undefined) inputs.max_budget_usd = String(request.maxBudgetUsd);
  if (request.allowedTools !== undefined) inputs.allowed_tools = request.allowedTools.join(",");
  if (request.issue !== undefined) inputs.issue = String(request.issue);
  if (request.mode !== undefined && request.mode !== "task") inputs.mode = request.mode;
  if (request.feedback !== undefined) inputs.feedback = request.feedback;
  return inputs;
}

export class DispatchInputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`input "${input}": ${message}`);
    this.name = "DispatchInputError";
  }
}

/** Reads workflow inputs (empty strings count as absent, as in the Actions UI). */
export function decodeDispatchInputs(inputs: DispatchInputs): TaskRunRequest {
  const get = (name: DispatchInputName): string | undefined => {
    const value = inputs[name]?.trim();
    return value ? value : undefined;
  };
  const int = (name: DispatchInputName): number | undefined => {
    const value = get(name);
    if (value === undefined) return undefined;
    if (!/^[0-9]+$/.test(value))
      throw new DispatchInputError(name, `expected a whole number, got "${value}"`);
    return Number(value);
  };
  const maxBudget = get("max_budget_usd");
  if (maxBudget !== undefined && !(Number(maxBudget) > 0)) {
    throw new DispatchInputError("max_budget_usd", `expected a positive number, got "${maxBudget}"`);
  }
  const allowNoChanges = get("allow_no_changes") ?? "false";
  if (allowNoChanges !== "true" && allowNoChanges !== "false") {
    throw new DispatchInputError("allow_no_changes", `expected true or false, got "${allowNoChanges}"`);
  }
  const baseBranch = get("base_branch");
  const candidate = {
    sessionId: get("session_id") ?? "manual",
    taskId: get("task_id"),
    attempt: int("attempt") ?? 1,
    tasksRef: get("tasks_ref"),
    tasksFile: get("tasks_file"),
    prompt: get("prompt"),
    branch: get("branch"),
    baseBranch,
    baseStrategy: get("base_strategy"),
    dependencyBranches: (get("dependency_branches") ?? "").split(/\s+/).filter(Boolean),
    prBase: get("pr_base") ?? baseBranch,
    timeoutMinutes: int("timeout_minutes"),
    model: get("model"),
    maxTurns: int("max_turns"),
    maxBudgetUsd: maxBudget === undefined ? undefined : Number(maxBudget),
    allowedTools: splitTools(get("allowed_tools")),
    allowNoChanges: allowNoChanges === "true",
    issue: int("issue"),
    mode: get("mode"),
    feedback: get("feedback"),
  };
  const parsed = taskRunRequestSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? "inputs");
    throw new DispatchInputError(toInputName(field), issue?.message ?? "invalid");
  }
  return parsed.data;
}

/** Splits "Edit,Write,Bash(git diff:*)" at commas outside parentheses. */
export function splitTools(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const tools: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of value) {
    if (char === "(") depth++;
    if (char === ")") depth = Math.max(0, depth - 1);
    if (char === "," && depth === 0) {
      if (current.trim()) tools.push(current.trim());
      current = "";
      continue;
    }
    current += char;
  }
  if (current.trim()) tools.push(current.trim());
  return tools;
}

function toInputName(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** The word after a restack run's name (the task workflow's `run-name` adds it for `mode: restack`). */
export const RESTACK_RUN_SUFFIX = "restack";

/**
 * The workflow's `run-name` carries the session, task and attempt, so the App can match a run to
 * its task from any workflow_run event, and find the run where the server cannot return its id
 * from the dispatch (GitHub Enterprise Server before `return_run_details`). A restack run (a
 * task's branch rebased onto its moved base, no agent) is named like the attempt whose branch it
 * rebases with ` restack` after it, so it is never taken for that attempt; a task run's name is
 * unchanged, so older task workflows and the runs they named still match.
 */
export function formatRunName(args: {
  sessionId: string;
  taskId: string;
  attempt: number;
  mode?: RunMode | undefined;
}): string {
  const suffix = args.mode === "restack" ? ` ${RESTACK_RUN_SUFFIX}` : "";
  return `orchestrator ${args.taskId} #${args.attempt} [${args.sessionId}]${suffix}`;
}

/** What a run's name says: whose attempt, and whether it runs the task or only restacks its branch. */
export interface RunNameParts {
  sessionId: string;
  taskId: string;
  attempt: number;
  /** "task" (the agent's attempt) or "restack" (its branch rebased, no agent). */
  mode: Extract<RunMode, "task" | "restack">;
}

export function parseRunName(title: string): RunNameParts | null {
  const match = /^orchestrator (\S+) #([0-9]+) \[([^\]\s]+)\]( restack)?$/.exec(title.trim());
  if (!match) return null;
  return {
    taskId: match[1] as string,
    attempt: Number(match[2]),
    sessionId: match[3] as string,
    mode: match[4] === undefined ? "task" : "restack",
  };
}
