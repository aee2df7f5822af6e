import { z } from "zod";
import { LIMITS, type TasksFile } from "./tasks-schema.js";
import { buildTaskGraph, type TaskGraph } from "./task-graph.js";
import { validateTasksFile } from "./validate-tasks-file.js";

/**
 * A planner's proposal: the sub-issues it suggests for a goal, with their "blocked by" links,
 * estimates and caps. It is written by an agent, so it is untrusted input like any other: read
 * with a schema, checked as a task graph (unknown links, cycles), bounded in size, and believed
 * as nothing but a suggestion a person approves. Its costs are never taken from it: the
 * worst case is computed from the caps it proposes (worst-case-cost.ts), which the approver sees.
 */

export const PROPOSAL_LIMITS = {
  /** GitHub allows 100 sub-issues per parent; a plan a person reviews on a phone is far smaller. */
  maxTasks: 50,
  maxTitleLength: 200,
  maxPromptLength: 20_000,
  maxSummaryLength: 2_000,
  /** The JSON text the planner may answer with. */
  maxProposalChars: 400_000,
} as const;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const proposedTaskSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(60)
    .regex(ID_PATTERN, "must start with a letter or digit and use only letters, digits, '.', '_' and '-'"),
  title: z.string().regex(/\S/, "must not be empty").max(PROPOSAL_LIMITS.maxTitleLength),
  prompt: z.string().regex(/\S/, "must not be empty").max(PROPOSAL_LIMITS.maxPromptLength),
  /** Ids of the proposed tasks that must be done first. */
  blocked_by: z.array(z.string()).max(LIMITS.maxDependencies).optional(),
  estimate_minutes: z.number().positive().max(LIMITS.maxEstimateMinutes).optional(),
  max_budget_usd: z.number().positive().max(LIMITS.maxBudgetUsd).optional(),
  timeout_minutes: z.number().int().min(1).max(LIMITS.maxTimeoutMinutes).optional(),
  retries: z.number().int().min(0).max(LIMITS.maxRetries).optional(),
  model: z.string().min(1).max(100).optional(),
});
export type ProposedTask = z.infer<typeof proposedTaskSchema>;

export const planProposalSchema = z.strictObject({
  summary: z.string().max(PROPOSAL_LIMITS.maxSummaryLength).optional(),
  tasks: z.array(proposedTaskSchema).min(1, "must list at least one task").max(PROPOSAL_LIMITS.maxTasks),
});
export type PlanProposal = z.infer<typeof planProposalSchema>;

export type ProposalCheck =
  { ok: true; proposal: PlanProposal; file: TasksFile; graph: TaskGraph } | { ok: false; problems: string[] };

/** At most this many problems are named; a planner that got more wrong gets the first ones. */
const MAX_PROBLEMS = 10;

/** Checks a parsed proposal: the schema, then the graph its links make. */
export function checkProposal(data: unknown): ProposalCheck {
  const parsed = planProposalSchema.safeParse(data);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.slice(0, MAX_PROBLEMS).map((issue) => {
        const where = issue.path.length === 0 ? "the proposal" : issue.path.join(".");
        return `${where}: ${issue.message}`;
      }),
    };
  }
  const file = proposalTasksFile(parsed.data);
  const validation = validateTasksFile(file);
  if (validation.file === null) {
    return {
      ok: false,
      problems: validation.errors.slice(0, MAX_PROBLEMS).map((problem) => problem.message),
    };
  }
  return { ok: true, proposal: parsed.data, file: validation.file, graph: buildTaskGraph(validation.file) };
}

/** The proposal as a tasks file, so the same validation, graph and cost rules apply. */
export function proposalTasksFile(proposal: PlanProposal): TasksFile {
  return {
    tasks: proposal.tasks.map((task) => ({
      id: task.id,
      name: task.title,
      prompt: task.prompt,
      ...(task.blocked_by && task.blocked_by.length > 0 ? { dependencies: [...task.blocked_by] } : {}),
      ...(task.estimate_minutes === undefined ? {} : { estimate_minutes: task.estimate_minutes }),
      ...(task.max_budget_usd === undefined ? {} : { max_budget_usd: task.max_budget_usd }),
      ...(task.timeout_minutes === undefined ? {} : { timeout_minutes: task.timeout_minutes }),
      ...(task.retries === undefined ? {} : { retries: task.retries }),
      ...(task.model === undefined ? {} : { model: task.model }),
    })),
  };
}

/**
 * The proposal in a planner's final answer: the last fenced ```json block (the planner is asked
 * to end with one), else the whole answer when it is a JSON object. Problems say what to fix.
 */
export function readProposalAnswer(answer: string): ProposalCheck {
  if (answer.length > PROPOSAL_LIMITS.maxProposalChars) {
    return {
      ok: false,
      problems: [
        `the answer is ${answer.length} characters; a proposal may be at most ${PROPOSAL_LIMITS.maxProposalChars}`,
      ],
    };
  }
  const text = lastJsonBlock(answer) ?? answer.trim();
  if (!text.startsWith("{")) {
    return { ok: false, problems: ["the answer holds no proposal: it must end with a ```json block"] };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`the proposal is not valid JSON: ${(error as Error).message}`] };
  }
  return checkProposal(data);
}

/** The body of the last ```json (or ~~~json) fenced block, if any. */
function lastJsonBlock(text: string): string | undefined {
  const lines = text.split(/\r?\n/);
  let found: string | undefined;
  for (let index = 0; index < lines.length; index++) {
    const opening = /^ {0,3}(`{3,}|~{3,})\s*json\s*$/i.exec(lines[index] as string);
    if (opening === null) continue;
    const fence = opening[1] as string;
    const body: string[] = [];
    let closed = false;
    for (index++; index < lines.length; index++) {
      const line = lines[index] as string;
      if (isClosing(line, fence)) {
        closed = true;
        break;
      }
      body.push(line);
    }
    if (closed) found = body.join("\n").trim();
  }
  return found;
}

/** A closing fence: the opening's character, at least as many, nothing else on the line. */
function isClosing(line: string, fence: string): boolean {
  const trimmed = line.trim();
  const char = fence[0] as string;
  return trimmed.length >= fence.length && [...trimmed].every((c) => c === char);
}
