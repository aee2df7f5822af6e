import { parseDocument } from "yaml";
import { closestMatch } from "./closest-match.js";

/**
 * The options a user writes into an issue body, in a fenced block:
 *
 *     ```orchestrator
 *     model: claude-sonnet-4-5
 *     timeout: 30        # minutes
 *     retries: 1
 *     ```
 *
 * This file finds the block (Markdown fences, so an example inside another code block is not
 * taken), reads it as YAML, maps the short names users write to the tasks schema's fields, and
 * returns the body without it. The values themselves are checked by the tasks schema, where the
 * rest of the tasks file is checked (`issue-graph.ts`).
 */

/** A block is a few lines; this keeps a hostile body from making the YAML parser work hard. */
export const MAX_OPTIONS_BLOCK_CHARS = 10_000;

/** Option name as written → field of the tasks schema. */
export type OptionFields = Readonly<Record<string, string>>;

const TASK_OPTION_FIELDS: OptionFields = {
  model: "model",
  timeout: "timeout_minutes",
  timeout_minutes: "timeout_minutes",
  retries: "retries",
  max_turns: "max_turns",
  max_budget_usd: "max_budget_usd",
  budget: "max_budget_usd",
  allowed_tools: "allowed_tools",
  base: "base",
  allow_no_changes: "allow_no_changes",
  estimate: "estimate_minutes",
  estimate_minutes: "estimate_minutes",
};

/** A sub-issue's block: the options of its task. */
export const SUB_ISSUE_OPTION_FIELDS: OptionFields = TASK_OPTION_FIELDS;

/** The parent's block: the session's settings, and defaults for every task (`estimate` excepted). */
export const PARENT_OPTION_FIELDS: OptionFields = {
  ...Object.fromEntries(
    Object.entries(TASK_OPTION_FIELDS).filter(([, field]) => field !== "estimate_minutes"),
  ),
  budget: "budget_usd",
  budget_usd: "budget_usd",
  parallel: "max_parallel_agents",
  max_parallel_agents: "max_parallel_agents",
  base_branch: "base_branch",
};

export interface OptionsBlock {
  /** The body with the block taken out, trimmed. */
  text: string;
  /** Fields of the tasks schema → values as written; empty when there is no block. */
  options: Record<string, unknown>;
  /** Field → the name the user wrote, to name it back in messages. */
  writtenAs: Record<string, string>;
  problems: string[];
}

const OPENING = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$/;

/** Finds the ```orchestrator block in `body` and reads it with the names in `fields`. */
export function readOptionsBlock(body: string, fields: OptionFields): OptionsBlock {
  const lines = body.split(/\r\n|\r|\n/);
  const kept: string[] = [];
  const blocks: string[][] = [];
  const problems: string[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] as string;
    const opening = OPENING.exec(line);
    if (opening === null) {
      kept.push(line);
      index++;
      continue;
    }
    const fence = opening[1] as string;
    const isOptions = (opening[2] ?? "").toLowerCase() === "orchestrator";
    const closing = new RegExp(`^ {0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}[ \\t]*$`);
    let end = index + 1;
    while (end < lines.length && !closing.test(lines[end] as string)) end++;
    const inner = lines.slice(index + 1, end);
    if (isOptions) {
      if (end >= lines.length) problems.push("the ```orchestrator block is not closed with ```");
      blocks.push(inner);
    } else {
      kept.push(...lines.slice(index, Math.min(end + 1, lines.length)));
    }
    index = end + 1;
  }
  const result: OptionsBlock = { text: kept.join("\n").trim(), options: {}, writtenAs: {}, problems };
  if (blocks.length > 1) problems.push("has more than one ```orchestrator block; keep one");
  const first = blocks[0];
  if (first !== undefined && problems.length === 0) readBlock(first.join("\n"), fields, result);
  return result;
}

function readBlock(source: string, fields: OptionFields, into: OptionsBlock): void {
  if (source.length > MAX_OPTIONS_BLOCK_CHARS) {
    into.problems.push(
      `the \`\`\`orchestrator block is too long: ${source.length} characters (the limit is ${MAX_OPTIONS_BLOCK_CHARS})`,
    );
    return;
  }
  const doc = parseDocument(source, { prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    into.problems.push(`the \`\`\`orchestrator block is not valid YAML: ${syntax.message.split("\n")[0]}`);
    return;
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    into.problems.push(`the \`\`\`orchestrator block could not be read: ${(error as Error).message}`);
    return;
  }
  if (value === null || value === undefined) return;
  if (typeof value !== "object" || Array.isArray(value)) {
    into.problems.push("the ```orchestrator block must hold `name: value` lines");
    return;
  }
  for (const [key, option] of Object.entries(value as Record<string, unknown>)) {
    const field = fields[key];
    if (field === undefined) {
      const suggestion = closestMatch(key, Object.keys(fields));
      into.problems.push(
        `unknown option ${JSON.stringify(key)}` +
          (suggestion !== undefined
            ? ` (did you mean "${suggestion}"?)`
            : `; the options are: ${Object.keys(fields).join(", ")}`),
      );
      continue;
    }
    if (Object.hasOwn(into.options, field)) {
      into.problems.push(`${JSON.stringify(key)} sets ${into.writtenAs[field] ?? field} a second time`);
      continue;
    }
    into.options[field] = option;
    into.writtenAs[field] = key;
  }
}
