import { z } from "zod";

/**
 * The machine-readable result a task run leaves in its pull request body, inside an HTML comment
 * so people never see it. The Action writes it; the App reads it when the run completes.
 */
export const taskResultSchema = z.object({
  version: z.literal(1),
  session_id: z.string(),
  task_id: z.string(),
  attempt: z.number().int().min(1),
  conclusion: z.enum(["success", "failure"]),
  /** On failure: a short kind (agent_error, no_changes, merge_conflict, ...) and plain words. */
  failure_kind: z.string().optional(),
  message: z.string().optional(),
  branch: z.string(),
  commit: z.string().optional(),
  files_changed: z.number().int().min(0).optional(),
  cost_usd: z.number().min(0).optional(),
  turns: z.number().int().min(0).optional(),
  duration_ms: z.number().min(0).optional(),
  run_id: z.number().int().optional(),
});
export type TaskResult = z.infer<typeof taskResultSchema>;

const OPEN = "<!-- orchestrator:result ";
const CLOSE = " -->";

export function renderResultBlock(result: TaskResult): string {
  // "--" cannot appear inside an HTML comment; JSON escapes keep the payload intact.
  const json = JSON.stringify(result).replace(/--/g, "\\u002d\\u002d");
  return `${OPEN}${json}${CLOSE}`;
}

/** The last valid result block in a text, or null. */
export function parseResultBlock(text: string | null | undefined): TaskResult | null {
  if (!text) return null;
  let found: TaskResult | null = null;
  let from = 0;
  for (;;) {
    const start = text.indexOf(OPEN, from);
    if (start < 0) return found;
    const end = text.indexOf(CLOSE, start + OPEN.length);
    if (end < 0) return found;
    try {
      const parsed = taskResultSchema.safeParse(JSON.parse(text.slice(start + OPEN.length, end)));
      if (parsed.success) found = parsed.data;
    } catch {
      // A hand-edited or truncated block is ignored; the App then reports the run's own conclusion.
    }
    from = end + CLOSE.length;
  }
}

/** Replaces the result block in a PR body (or appends one), leaving the rest as the user edited it. */
export function upsertResultBlock(body: string, result: TaskResult): string {
  const block = renderResultBlock(result);
  const start = body.indexOf(OPEN);
  if (start < 0) return body.trimEnd() + (body.trim() ? "\n\n" : "") + block + "\n";
  const end = body.indexOf(CLOSE, start);
  if (end < 0) return body.slice(0, start) + block + "\n";
  return body.slice(0, start) + block + body.slice(end + CLOSE.length);
}
