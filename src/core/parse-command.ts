import {
  DEFAULT_TASKS_FILES,
  OPTION_FLAGS,
  parseSessionOptions,
  type SessionOptionName,
  type SessionOptions,
} from "./session-options.js";

/**
 * Parses `/orchestrate …` commands from issue comments. Written for phones too: the command may
 * sit anywhere in the comment on its own line, keyboards that turn `--` into a dash are
 * understood, and the keyword is case-insensitive.
 */

export type OrchestrateCommand =
  | ({ kind: "start" } & SessionOptions)
  | { kind: "status"; sessionId?: string }
  | { kind: "retry"; target: "failed" | string[]; sessionId?: string }
  | { kind: "cancel"; sessionId?: string }
  /** Run a planner on this issue: it proposes sub-issues (`budgetUsd`: the planner's own cap). */
  | { kind: "plan"; budgetUsd?: number }
  /** Make the latest proposal on this issue into sub-issues; `start`: then run them. */
  | { kind: "approve"; start: boolean; sessionId?: string }
  /** On a task's pull request: run the task again on its branch, with `text` added to its prompt. */
  | { kind: "revise"; text: string }
  /** The answer to a needs-input task's question: its next attempt's feedback (untrusted text). */
  | { kind: "answer"; taskId: string; text: string; sessionId?: string }
  | { kind: "help" };

export type ParsedCommand = { ok: true; command: OrchestrateCommand } | { ok: false; error: string };

export const COMMAND_KEYWORD = "/orchestrate";

export const COMMAND_HELP = [
  `\`/orchestrate\` — start a session from \`${DEFAULT_TASKS_FILES[0]}\` on the default branch. Options:`,
  "  `--file PATH` tasks file · `--ref REF` branch, tag or commit to read it at · `--parallel N` agents at once ·",
  "  `--only a,b` run only these tasks (and what they need) · `--budget USD` stop dispatching past this spend",
  'On an issue with sub-issues, `/orchestrate` runs the open sub-issues as tasks in "blocked by" order;',
  "  `--issue N` runs those of issue N, `--file PATH` a tasks file instead.",
  "`/orchestrate status` — show the latest session of this issue",
  "`/orchestrate retry <task|failed>` — run a failed task again (its skipped dependents too)",
  "`/orchestrate cancel` — cancel the running session",
  "`/orchestrate plan` — on an issue describing a goal: a planner proposes sub-issues (`--budget USD` caps it)",
  "`/orchestrate approve` — create the proposed sub-issues and their links (`--start` also runs them)",
  "`/orchestrate revise [text]` — on a task's pull request: run the task again on its branch, its commits kept,",
  "  with the text (and the lines after it) as feedback; a review requesting changes does the same",
  "`/orchestrate answer <task> <text>` — answer a task that needs input; the text (the rest of the comment too) is added to its next attempt's prompt",
  "`/orchestrate help` — this list",
  "`status`, `retry` and `cancel` take `--session ID` to name another session.",
].join("\n");

/** `null` when the comment holds no command at all (most comments). */
export function parseCommand(comment: string): ParsedCommand | null {
  const lines = comment.split(/\r?\n/).map((text) => text.trim());
  const at = lines.findIndex((text) => text.toLowerCase().startsWith(COMMAND_KEYWORD));
  if (at < 0) return null;
  const line = lines[at] as string;
  const rest = line.slice(COMMAND_KEYWORD.length);
  // "/orchestrated" or "/orchestrate-x" is another word, not our command.
  if (rest !== "" && !/^\s/.test(rest)) return null;
  const words = tokenize(normalizeDashes(rest));
  const first = words[0]?.toLowerCase();
  const verb = first === undefined || first.startsWith("--") ? "start" : first;
  const args = first === undefined || first.startsWith("--") ? words : words.slice(1);
  switch (verb) {
    case "start":
    case "run":
      return parseStart(args);
    case "status":
      return withSession(args, (sessionId) => ({ kind: "status", ...sessionId }));
    case "cancel":
    case "stop":
      return withSession(args, (sessionId) => ({ kind: "cancel", ...sessionId }));
    case "retry":
      return parseRetry(args);
    case "plan":
      return parsePlan(args);
    case "approve":
      return parseApprove(args);
    case "revise":
      // Free text, not options: the rest of the line as written, and the lines after it.
      return { ok: true, command: { kind: "revise", text: reviseText(rest, lines.slice(at + 1)) } };
    case "answer":
      return parseAnswer(rest, lines.slice(at + 1));
    case "help":
      return { ok: true, command: { kind: "help" } };
    default:
      return {
        ok: false,
        error: `unknown command "${words[0]}". Commands: start, status, retry, cancel, revise, answer, plan, approve, help.`,
      };
  }
}

function reviseText(rest: string, after: readonly string[]): string {
  return freeText(rest.trim().replace(/^revise\b/i, ""), after);
}

/** A command's free text: the rest of its line as written, and every line after it. */
function freeText(first: string, after: readonly string[]): string {
  return [first, ...after].join("\n").trim();
}

function parseStart(args: string[]): ParsedCommand {
  const flags = Object.entries(OPTION_FLAGS) as Array<[SessionOptionName, string]>;
  const options = readOptions(
    args,
    flags.map(([, flag]) => flag.slice(2)),
  );
  if (!options.ok) return options;
  if (options.positional.length > 0) {
    return { ok: false, error: `unexpected "${options.positional[0]}" (options start with --)` };
  }
  const values: Partial<Record<SessionOptionName, string>> = {};
  for (const [option, flag] of flags) {
    const value = options.values[flag.slice(2)];
    if (value !== undefined) values[option] = value;
  }
  const parsed = parseSessionOptions({ values });
  return parsed.ok
    ? { ok: true, command: { kind: "start", ...parsed.options } }
    : { ok: false, error: parsed.error };
}

function parseRetry(args: string[]): ParsedCommand {
  const options = readOptions(args, ["session"]);
  if (!options.ok) return options;
  const targets = options.positional.flatMap((word) => word.split(",")).filter(Boolean);
  if (targets.length === 0) {
    return { ok: false, error: "retry needs a task id or `failed`, e.g. `/orchestrate retry failed`" };
  }
  const target = targets.some((word) => word.toLowerCase() === "failed") ? "failed" : targets;
  const command: OrchestrateCommand = { kind: "retry", target };
  if (options.values.session !== undefined) command.sessionId = options.values.session;
  return { ok: true, command };
}

function parsePlan(args: string[]): ParsedCommand {
  const options = readOptions(args, ["budget"]);
  if (!options.ok) return options;
  if (options.positional.length > 0) return { ok: false, error: `unexpected "${options.positional[0]}"` };
  if (options.values.budget === undefined) return { ok: true, command: { kind: "plan" } };
  const parsed = parseSessionOptions({ values: { budgetUsd: options.values.budget } });
  if (!parsed.ok) return { ok: false, error: parsed.error };
  return {
    ok: true,
    command: {
      kind: "plan",
      ...(parsed.options.budgetUsd === undefined ? {} : { budgetUsd: parsed.options.budgetUsd }),
    },
  };
}

/** `approve`, `approve --start`, `approve and start`, `approve --session ID`. */
function parseApprove(args: string[]): ParsedCommand {
  const words = args.filter((word) => word.toLowerCase() !== "--start");
  const start = words.length < args.length || words.some((word) => word.toLowerCase() === "start");
  const options = readOptions(
    words.filter((word) => !["start", "and"].includes(word.toLowerCase())),
    ["session"],
  );
  if (!options.ok) return options;
  if (options.positional.length > 0) return { ok: false, error: `unexpected "${options.positional[0]}"` };
  const command: OrchestrateCommand = { kind: "approve", start };
  if (options.values.session !== undefined) command.sessionId = options.values.session;
  return { ok: true, command };
}

/**
 * `/orchestrate answer <task> [--session ID] <text>`: the text is the rest of the command's line
 * and every line after it, as written (not split into words).
 */
function parseAnswer(rest: string, after: readonly string[]): ParsedCommand {
  const text = freeText(rest.trim().replace(/^answer\b/i, ""), after);
  const match = /^(\S+)(?:\s+(?:--|[\u2013\u2014])session(?:=|\s+)(\S+))?\s*([\s\S]*)$/i.exec(text);
  const taskId = match?.[1];
  const answer = (match?.[3] ?? "").trim();
  if (taskId === undefined || taskId.startsWith("-") || answer === "") {
    return {
      ok: false,
      error: "answer needs a task id and the answer, e.g. `/orchestrate answer api Use SQLite`",
    };
  }
  const command: OrchestrateCommand = { kind: "answer", taskId, text: answer };
  if (match?.[2] !== undefined) command.sessionId = match[2];
  return { ok: true, command };
}

function withSession(
  args: string[],
  build: (session: { sessionId?: string }) => OrchestrateCommand,
): ParsedCommand {
  const options = readOptions(args, ["session"]);
  if (!options.ok) return options;
  // `/orchestrate status owner:repo:123` is accepted as well as `--session`.
  const sessionId = options.values.session ?? options.positional[0];
  if (options.positional.length > (options.values.session === undefined ? 1 : 0)) {
    return { ok: false, error: `unexpected "${options.positional.at(-1)}"` };
  }
  return { ok: true, command: build(sessionId === undefined ? {} : { sessionId }) };
}

type Options =
  { ok: true; values: Partial<Record<string, string>>; positional: string[] } | { ok: false; error: string };

function readOptions(args: string[], allowed: readonly string[]): Options {
  const values: Partial<Record<string, string>> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (!word.startsWith("--")) {
      positional.push(word);
      continue;
    }
    const [rawName, inlineValue] = splitOnce(word.slice(2), "=");
    const name = rawName.toLowerCase();
    if (!allowed.includes(name)) {
      const list = allowed.map((option) => `--${option}`).join(", ");
      return { ok: false, error: `unknown option "--${rawName}" (allowed here: ${list})` };
    }
    const value = inlineValue ?? args[++i];
    if (value === undefined || value.startsWith("--")) return { ok: false, error: `--${name} needs a value` };
    values[name] = value;
  }
  return { ok: true, values, positional };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** iOS and Android keyboards turn "--" into an en or em dash ("—file"). */
function normalizeDashes(text: string): string {
  return text.replace(/(^|\s)[\u2013\u2014]+(?=\S)/g, "$1--");
}

/** Splits on white space; double or single quotes (straight or curly) keep spaces in a value. */
function tokenize(text: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|\u201c([^\u201d]*)\u201d|\u2018([^\u2019]*)\u2019|(\S+)/g;
  for (const match of text.matchAll(pattern)) {
    words.push(match[1] ?? match[2] ?? match[3] ?? match[4] ?? match[5] ?? "");
  }
  return words;
}
