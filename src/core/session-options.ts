import { z } from "zod";
import { LIMITS } from "./tasks-schema.js";

/**
 * The options that start a session, one schema for every way in: the comment command, the HTTP
 * API, `repository_dispatch`, the Checks tab and the CLI. The limits come from the tasks file's
 * LIMITS, so `--parallel 65` and `max_parallel_agents: 65` are refused alike. Values may be text
 * (a comment, a command line, a phone's HTTP tool sending `"3"`) or JSON numbers and lists.
 * Messages leave the option's name out: each way in names it as its users write it
 * (`--parallel`, `parallel`, `budget_usd`).
 */

/** Tried in this order when no tasks file is named, at the repository's root. */
export const DEFAULT_TASKS_FILES = ["tasks/tasks.json", "tasks/tasks.yaml", "tasks/tasks.yml"] as const;

const PARALLEL_RULE = `must be a whole number from 1 to ${LIMITS.maxParallelAgents}`;
const BUDGET_RULE = `must be a positive amount in US dollars, at most ${LIMITS.maxBudgetUsd}`;

/** `"3"`, `" 2.5 "` and (for money) `"$5"` become numbers; anything else is left to be refused. */
function numberFromText(options: { dollars: boolean }) {
  const pattern = options.dollars ? /^\$?[0-9]+(\.[0-9]+)?$/ : /^[0-9]+(\.[0-9]+)?$/;
  return (value: unknown): unknown => {
    if (typeof value !== "string") return value;
    const text = value.trim();
    return pattern.test(text) ? Number(text.replace(/^\$/, "")) : value;
  };
}

const parallel = z.preprocess(
  numberFromText({ dollars: false }),
  z
    .number({ error: PARALLEL_RULE })
    .int({ error: PARALLEL_RULE })
    .min(1, { error: PARALLEL_RULE })
    .max(LIMITS.maxParallelAgents, { error: PARALLEL_RULE }),
);

const budgetUsd = z.preprocess(
  numberFromText({ dollars: true }),
  z
    .number({ error: BUDGET_RULE })
    .positive({ error: BUDGET_RULE })
    .max(LIMITS.maxBudgetUsd, { error: BUDGET_RULE }),
);

/** A list (`["api", "web"]`) or text (`"api,web"`), as a list of ids. */
const only = z
  .union([z.array(z.string().trim().min(1, { error: "must not hold empty task ids" })), z.string()], {
    error: "must list task ids (e.g. api,web)",
  })
  .transform((value) =>
    Array.isArray(value)
      ? value
      : value
          .split(",")
          .map((id) => id.trim())
          .filter(Boolean),
  )
  .pipe(z.array(z.string()).min(1, { error: "must name at least one task id (e.g. api,web)" }));

/** GitHub issue numbers are 32-bit database integers. */
export const MAX_ISSUE_NUMBER = 2_147_483_647;
const ISSUE_RULE = "must be an issue number, like 12 or #12";

/**
 * The parent issue whose open sub-issues are the session's tasks ("blocked by" links give the
 * order). `12`, `"12"` and `"#12"` are the same issue.
 */
const issue = z.preprocess(
  (value: unknown): unknown => {
    if (typeof value !== "string") return value;
    const text = value.trim();
    return /^#?[0-9]+$/.test(text) ? Number(text.replace(/^#/, "")) : value;
  },
  z
    .number({ error: ISSUE_RULE })
    .int({ error: ISSUE_RULE })
    .min(1, { error: ISSUE_RULE })
    .max(MAX_ISSUE_NUMBER, { error: ISSUE_RULE }),
);

const file = z.string({ error: "must be a path" }).trim().min(1, { error: "must be a path" }).max(1_000);
const ref = z
  .string({ error: "must be a branch, tag or commit" })
  .trim()
  .min(1, { error: "must be a branch, tag or commit" })
  .max(255);

/** Each option's schema, for ways in that compose their own payloads (the HTTP API's snake_case). */
export const sessionOptionFields = { file, ref, parallel, only, budgetUsd, issue };

/** An issue session's tasks come from its sub-issues: it reads no tasks file. */
export const ISSUE_WITH_FILE = "cannot be combined with a tasks file: the issue's sub-issues are the tasks";

export const sessionOptionsSchema = z
  .strictObject({
    file: file.optional(),
    ref: ref.optional(),
    parallel: parallel.optional(),
    only: only.optional(),
    budgetUsd: budgetUsd.optional(),
    issue: issue.optional(),
  })
  .superRefine((options, context) => {
    if (options.issue !== undefined && options.file !== undefined)
      context.addIssue({ code: "custom", path: ["issue"], message: ISSUE_WITH_FILE });
  });

export type SessionOptions = z.output<typeof sessionOptionsSchema>;
export type SessionOptionName = keyof SessionOptions;

/** How the command line and the comment command write each option. */
export const OPTION_FLAGS: Readonly<Record<SessionOptionName, string>> = {
  file: "--file",
  ref: "--ref",
  parallel: "--parallel",
  only: "--only",
  budgetUsd: "--budget",
  issue: "--issue",
};

export type ParsedSessionOptions =
  { ok: true; options: SessionOptions } | { ok: false; error: string; option: SessionOptionName };

/**
 * Options given as text or JSON, checked; the first problem names the option as `label` writes
 * it and quotes what was given: `--parallel must be a whole number from 1 to 64, got "0"`.
 */
export function parseSessionOptions(args: {
  values: Partial<Record<SessionOptionName, unknown>>;
  label?: (option: SessionOptionName) => string;
}): ParsedSessionOptions {
  const label = args.label ?? ((option) => OPTION_FLAGS[option]);
  const parsed = sessionOptionsSchema.safeParse(args.values);
  if (parsed.success) return { ok: true, options: parsed.data };
  const issue = parsed.error.issues[0];
  const option = (issue?.path[0] ?? "file") as SessionOptionName;
  const given = args.values[option];
  const shown = typeof given === "string" ? given : (JSON.stringify(given) ?? "");
  return { ok: false, option, error: `${label(option)} ${issue?.message ?? "is invalid"}, got "${shown}"` };
}
