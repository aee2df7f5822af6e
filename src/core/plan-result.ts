import { z } from "zod";

/**
 * How a planner run hands its proposal to the App. A planner opens no pull request, so the
 * Action pushes one commit holding only `PLAN_RESULT_FILE` to the planner task's branch, and the
 * App reads that file at that branch (one request). The file names the run it belongs to, like
 * a task's result block does, and the App checks the names before it believes anything; the
 * proposal inside is checked again (plan-proposal.ts): it was written by an agent.
 */

export const PLAN_RESULT_FILE = "orchestrator-plan.json";

export const planResultSchema = z.object({
  version: z.literal(1),
  session_id: z.string().min(1),
  task_id: z.string().min(1),
  attempt: z.number().int().min(1),
  run_id: z.number().int().optional(),
  cost_usd: z.number().min(0).optional(),
  turns: z.number().int().min(0).optional(),
  duration_ms: z.number().min(0).optional(),
  /** The proposal as the planner answered it (checked by the Action, and again by the App). */
  proposal: z.unknown(),
});
export type PlanResult = z.infer<typeof planResultSchema>;

/** The file's text: stable key order, readable in the branch's web view. */
export function formatPlanResult(result: PlanResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

export function parsePlanResult(text: string): PlanResult | null {
  try {
    const parsed = planResultSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
