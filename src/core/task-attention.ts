/**
 * The two ends of an attempt that are neither success nor failure, and the rules that name them.
 * Pure: the runner applies them to Claude Code's output, the Action and the App to what reached
 * them, the local executor to its own runs.
 *
 * - **needs input**: the agent stopped for a person — it was refused tools, or it ended by asking
 *   a question — and changed nothing. The rule is deliberately narrow: an agent that edited files
 *   and still mentions a refused tool, or closes with "Shall I also…?", did its task; only one
 *   that did nothing because it could not, or would not without an answer, waits for a person.
 * - **limited**: the model API answered with a rate limit or a usage limit. Nothing is wrong with
 *   the task: it waits until the limit resets (the time the API gave, else `DEFAULT_LIMIT_BACKOFF_MS`)
 *   and starts again without counting a failed attempt.
 */

/** The longest question kept (the agent's text; shown inert). */
export const MAX_QUESTION_CHARS = 2_000;

/** The most refused tools kept (names as Claude Code reports them). */
export const MAX_REFUSED_TOOLS = 20;

/** How long a task waits after a limit that named no reset time. */
export const DEFAULT_LIMIT_BACKOFF_MS = 5 * 60_000;

/**
 * The longest wait taken from a limit's reset time: a weekly usage limit resets within 7 days; a
 * time further out is not believed and the default wait applies.
 */
export const MAX_LIMIT_WAIT_MS = 8 * 24 * 60 * 60_000;

/**
 * The question an answer ends with, if it ends with one: its last paragraph, when that ends with a
 * question mark (closing Markdown emphasis, quotes or brackets aside). Only the end counts: a
 * question in the middle of a report is not one the agent waits on.
 */
export function finalQuestion(answer: string | undefined): string | undefined {
  if (answer === undefined) return undefined;
  const paragraphs = answer
    .trim()
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph !== "");
  const last = paragraphs[paragraphs.length - 1];
  if (last === undefined) return undefined;
  const bare = last.replace(/[\s*_`'"”’)\]]+$/u, "");
  if (!bare.endsWith("?")) return undefined;
  return last.length > MAX_QUESTION_CHARS ? `${last.slice(0, MAX_QUESTION_CHARS - 1)}…` : last;
}

/** Tool names as a short, unique list (the agent's names; shown inert). */
export function refusedToolList(tools: readonly string[] | undefined): string[] {
  const names = (tools ?? []).map((tool) => tool.trim()).filter((tool) => tool !== "" && tool.length <= 200);
  return [...new Set(names)].slice(0, MAX_REFUSED_TOOLS);
}

/**
 * A reset time the API gave that has already passed by the time the attempt's end is read (the
 * attempt took a while to wind up): the limit is over, but the next start still waits this long,
 * so an API that keeps naming past times is not asked again and again without a pause.
 */
export const MIN_LIMIT_WAIT_MS = 10_000;

/**
 * When a limited task may start again: the limit's reset time when the API gave a believable one
 * (ahead of `now`, or just passed: `now + MIN_LIMIT_WAIT_MS`), else `now` plus the default wait.
 * Times are epoch milliseconds.
 */
export function limitResumeAt(args: { now: number; resetsAt?: number | undefined }): number {
  const { now, resetsAt } = args;
  if (resetsAt === undefined || !Number.isFinite(resetsAt) || resetsAt - now > MAX_LIMIT_WAIT_MS)
    return now + DEFAULT_LIMIT_BACKOFF_MS;
  return resetsAt > now ? Math.ceil(resetsAt) : now + MIN_LIMIT_WAIT_MS;
}

/**
 * A reset time written in a limit message, for CLIs that say it only in words:
 * "Claude AI usage limit reached|1767225600" (epoch seconds after the bar), or "… resets 5:42pm
 * (UTC)" (the next such time after `now`). Other time zones are not guessed at.
 */
export function resetTimeInMessage(text: string, now: number): number | undefined {
  const epoch = /limit reached\|(\d{9,11})\b/i.exec(text);
  if (epoch?.[1] !== undefined) return Number(epoch[1]) * 1000;
  const clock = /\bresets (?:at )?(\d{1,2})(?::(\d{2}))?\s*(am|pm)\s*\(UTC\)/i.exec(text);
  if (clock?.[1] === undefined || clock[3] === undefined) return undefined;
  const hour12 = Number(clock[1]);
  const minute = clock[2] === undefined ? 0 : Number(clock[2]);
  if (hour12 < 1 || hour12 > 12 || minute > 59) return undefined;
  const hour = (hour12 % 12) + (clock[3].toLowerCase() === "pm" ? 12 : 0);
  const today = new Date(now);
  let at = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), hour, minute);
  if (at <= now) at += 24 * 60 * 60_000;
  return at;
}

/** The longest answer kept as the next attempt's feedback. */
export const MAX_ANSWER_CHARS = 10_000;

/** What an attempt that ended needing input or limited tells, read from its block or its message. */
export type AttemptAttention =
  | { kind: "needs_input"; refusedTools: string[]; question?: string | undefined }
  | { kind: "limited"; resetsAt?: number | undefined };

/**
 * The runner's words for a needs-input attempt, which the App reads back from the job's failure
 * annotation when no pull request carries the result block (an attempt that changed nothing has
 * none). The agent's text (the question) only ever comes after the part that is parsed.
 */
export function needsInputMessage(args: {
  refusedTools: readonly string[];
  question?: string | undefined;
}): string {
  const why: string[] = [];
  if (args.refusedTools.length > 0) why.push(`refused: ${args.refusedTools.join(", ")}`);
  if (args.question !== undefined) why.push("asked a question");
  const head = `Claude needs input (${why.join("; ")}) and changed nothing`;
  return args.question === undefined ? `${head}.` : `${head}: ${args.question}`;
}

/** The runner's closing words for a limited attempt (read back like `needsInputMessage`). */
export function limitedMessageEnd(resetsAt: number | undefined): string {
  const at = resetsAt === undefined ? "" : ` at ${new Date(resetsAt).toISOString()}`;
  return `The task waits until the limit resets${at} and starts again; this attempt does not count as failed.`;
}

const NEEDS_INPUT_WORDS = /Claude needs input \(([^)]*)\) and changed nothing(?:\.$|: ([\s\S]*)$)/;
const LIMITED_WORDS =
  /The task waits until the limit resets(?: at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z))? and starts again; this attempt does not count as failed\.$/;

/** `needsInputMessage` or `limitedMessageEnd` read back from a message (an annotation). */
export function attentionInMessage(message: string): AttemptAttention | undefined {
  const trimmed = message.trim();
  const limited = LIMITED_WORDS.exec(trimmed);
  if (limited) {
    const resetsAt = limited[1] === undefined ? undefined : Date.parse(limited[1]);
    return { kind: "limited", ...(resetsAt === undefined || Number.isNaN(resetsAt) ? {} : { resetsAt }) };
  }
  const needs = NEEDS_INPUT_WORDS.exec(trimmed);
  if (!needs) return undefined;
  const refused = /(?:^|; )refused: ([^;]*)/.exec(needs[1] ?? "");
  const tools = refusedToolList(refused?.[1]?.split(", "));
  const question = needs[2]?.trim();
  return { kind: "needs_input", refusedTools: tools, ...(question ? { question } : {}) };
}
