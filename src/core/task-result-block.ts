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
  /**
   * With `failure_kind: "needs_input"`: what the agent waits for. The tools it was refused and the
   * question it ended with are the agent's text: shown inert, and the tools are granted only when
   * a person presses "Allow & retry".
   */
  needs_input: z
    .object({
      refused_tools: z.array(z.string().max(200)).max(20),
      question: z.string().max(2_000).optional(),
    })
    .optional(),
  /** With `failure_kind: "limited"`: when the model API's limit resets (epoch ms), if it said. */
  limited: z.object({ resets_at: z.number().optional() }).optional(),
});
export type TaskResult = z.infer<typeof taskResultSchema>;

const OPEN = "<!-- orchestrator:result ";
const CLOSE = " -->";

/**
 * Where the App looks, and the only place: the block must be the last thing in the body (nothing
 * but whitespace after it). The Action writes it there after everything else, and all text it
 * shows from the agent is made inert first (`inertComments`), so a block the agent forged in its
 * final message, a file name or a tool name is never the one read.
 */
export function renderResultBlock(result: TaskResult): string {
  // "--" cannot appear inside an HTML comment; JSON escapes keep the payload intact.
  const json = JSON.stringify(result).replace(/--/g, "\\u002d\\u002d");
  return `${OPEN}${json}${CLOSE}`;
}

/** The result block that ends the text, or null (none there, or not a valid block). */
export function parseResultBlock(text: string | null | undefined): TaskResult | null {
  if (!text) return null;
  const trimmed = text.trimEnd();
  if (!trimmed.endsWith(CLOSE)) return null;
  const start = trimmed.lastIndexOf(OPEN);
  if (start < 0) return null;
  const payload = trimmed.slice(start + OPEN.length, trimmed.length - CLOSE.length);
  try {
    const parsed = taskResultSchema.safeParse(JSON.parse(payload));
    return parsed.success ? parsed.data : null;
  } catch {
    // A hand-edited or truncated block is ignored; the App then reports the run's own conclusion.
    return null;
  }
}

/**
 * Puts the result block at the end of a PR body: every earlier block (a previous attempt's, or a
 * broken one) is removed, the rest stays as the user edited it.
 */
export function upsertResultBlock(body: string, result: TaskResult): string {
  const rest = withoutResultBlocks(body).trimEnd();
  return rest + (rest ? "\n\n" : "") + renderResultBlock(result) + "\n";
}

function withoutResultBlocks(body: string): string {
  let text = body;
  for (let start = text.indexOf(OPEN); start >= 0; start = text.indexOf(OPEN, start)) {
    const end = text.indexOf(CLOSE, start + OPEN.length);
    // Unterminated: a truncated block, cut off with everything after it.
    text = end < 0 ? text.slice(0, start) : text.slice(0, start) + text.slice(end + CLOSE.length);
  }
  return text;
}

/**
 * Text from the agent (its final message, file names, tool names, failure messages quoting it),
 * made inert for Markdown that is also read by machines: no HTML comment can open or close in it,
 * so it cannot forge a result block, hide the rest of a body, or end one of our hidden markers.
 * The entities render as the same characters on GitHub.
 */
export function inertComments(text: string): string {
  return text
    .replace(/<!--/g, "&lt;!--")
    .replace(/--!?>/g, (match) => match.replace(">", "&gt;"))
    .replace(/orchestrator:result/gi, "orchestrator&#58;result");
}
