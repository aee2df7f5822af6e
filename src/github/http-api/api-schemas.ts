import { randomBytes } from "node:crypto";
import { z } from "zod";
import { ISSUE_WITH_FILE, sessionOptionFields, type SessionOptions } from "../../core/session-options.js";
import { LIMITS, type TasksFile } from "../../core/tasks-schema.js";
import { validateTasksFile } from "../../core/validate-tasks-file.js";
import type { RepoRef } from "../github-client.js";
import { ApiError, badRequest } from "./api-error.js";

/**
 * Request bodies of the HTTP API (and the `client_payload` of repository_dispatch, which takes
 * the same options). Phone tools (iOS Shortcuts, HTTP Request apps) often send numbers as
 * strings and lists as "a,b": both are accepted. Unknown fields are refused by name, so a typo
 * such as `paralel` is not silently ignored.
 */

const REPOSITORY = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/;

const repository = z.string().regex(REPOSITORY, 'must be "owner/repo"');

// The session options' own schemas (and limits), under the API's snake_case names.
const { file: path, ref, parallel, only: taskIds, budgetUsd: budget, issue } = sessionOptionFields;

/** Options that start a session from a tasks file: API body and repository_dispatch payload. */
export const startOptionsShape = {
  tasks_file: path.optional(),
  /** Alias of tasks_file (the comment command's `--file`). */
  file: path.optional(),
  ref: ref.optional(),
  parallel: parallel.optional(),
  only: taskIds.optional(),
  budget_usd: budget.optional(),
  /** A parent issue: its open sub-issues are the tasks, in "blocked by" order (instead of a file). */
  issue: issue.optional(),
};

export const orchestrateBodySchema = z.strictObject({
  repository: repository.optional(),
  ...startOptionsShape,
});
export type OrchestrateBody = z.infer<typeof orchestrateBodySchema>;

export const quickStartBodySchema = z.strictObject({
  repository: repository.optional(),
  /** One task: what the agent is asked to do. */
  prompt: z.string().max(LIMITS.maxPromptLength).optional(),
  /** Title of the one-task session. */
  name: z.string().max(LIMITS.maxNameLength).optional(),
  /** Branch of the one-task session (default: orchestrator/quick-<time>-<random>). */
  branch: z.string().trim().min(1).max(LIMITS.maxBranchLength).optional(),
  /** Several tasks, in the tasks file's format (checked like a file). */
  tasks: z.array(z.unknown()).min(1, "must list at least one task").optional(),
  /** Task options applied to every task (the tasks file's `defaults`). */
  defaults: z.record(z.string(), z.unknown()).optional(),
  base_branch: z.string().trim().min(1).max(LIMITS.maxBranchLength).optional(),
  /** Commit the session is recorded on (default: the default branch). */
  ref: ref.optional(),
  parallel: parallel.optional(),
  budget_usd: budget.optional(),
});
export type QuickStartBody = z.infer<typeof quickStartBodySchema>;

export const retryPayloadSchema = z.strictObject({
  session_id: z.string().trim().min(1).optional(),
  /** "failed" (default), a list of task ids, or "a,b". */
  tasks: z.union([z.literal("failed"), taskIds]).optional(),
});

export const cancelPayloadSchema = z.strictObject({ session_id: z.string().trim().min(1).optional() });

/** Parses with a schema, or throws a 400 naming the first field at fault. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw badRequest("invalid_request", ...describeFirstIssue(parsed.error));
}

/** `[message, field]` of the first problem, e.g. `["parallel: must be a whole number from 1 to 64", "parallel"]`. */
export function describeFirstIssue(error: z.ZodError): [string, string | undefined] {
  const issue = error.issues[0];
  if (!issue) return ["the request is invalid", undefined];
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const field = [...issue.path.map(String), key].join(".");
    return [`unknown field "${field}"`, field];
  }
  if (issue.path.length === 0) return [issue.message, undefined];
  const field = issue.path.map(String).join(".");
  return [`${field}: ${issue.message}`, field];
}

/** The start options of the session use-case, from the API body or a dispatch payload. */
export function toStartOptions(body: z.infer<z.ZodObject<typeof startOptionsShape>>): SessionOptions {
  if (body.file !== undefined && body.tasks_file !== undefined && body.file !== body.tasks_file) {
    throw badRequest("invalid_request", "give tasks_file or file, not both", "file");
  }
  const options: SessionOptions = {};
  const file = body.tasks_file ?? body.file;
  if (file !== undefined) options.file = file;
  if (body.ref !== undefined) options.ref = body.ref;
  if (body.parallel !== undefined) options.parallel = body.parallel;
  if (body.only !== undefined) options.only = body.only;
  if (body.budget_usd !== undefined) options.budgetUsd = body.budget_usd;
  if (body.issue !== undefined) {
    if (file !== undefined) throw badRequest("invalid_request", `issue: ${ISSUE_WITH_FILE}`, "issue");
    options.issue = body.issue;
  }
  return options;
}

/**
 * The inline tasks of a quick start, checked like a tasks file (unknown dependencies, cycles,
 * branch names...). A prompt alone becomes one task on a branch of its own, so two quick starts
 * never share a branch.
 */
export function quickStartTasks(body: QuickStartBody, now: Date): TasksFile {
  const hasPrompt = body.prompt !== undefined && body.prompt.trim() !== "";
  if (hasPrompt === (body.tasks !== undefined)) {
    throw badRequest(
      "invalid_request",
      hasPrompt ? "give prompt or tasks, not both" : "give a prompt (one task) or tasks (a list)",
      hasPrompt ? "tasks" : "prompt",
    );
  }
  if (!hasPrompt && (body.name !== undefined || body.branch !== undefined)) {
    throw badRequest(
      "invalid_request",
      "name and branch go with prompt; put them in each task instead",
      body.name !== undefined ? "name" : "branch",
    );
  }
  const candidate: Record<string, unknown> = {
    tasks: hasPrompt
      ? [
          {
            id: "quick-start",
            name: body.name ?? "Quick start",
            prompt: body.prompt,
            branch_name: body.branch ?? quickBranchName(now),
          },
        ]
      : body.tasks,
  };
  if (body.defaults !== undefined) candidate.defaults = body.defaults;
  if (body.base_branch !== undefined) candidate.base_branch = body.base_branch;
  const checked = validateTasksFile(candidate);
  const first = checked.errors[0];
  if (checked.file === null || first !== undefined) {
    const issues = checked.errors.slice(0, 50).map((problem) => ({
      field: problem.path.map(String).join("."),
      ...(problem.task === undefined ? {} : { task: problem.task }),
      message: problem.message,
    }));
    const field = first ? first.path.map(String).join(".") : "tasks";
    const where = first?.task === undefined ? "" : `task ${JSON.stringify(first.task)}: `;
    throw new ApiError(400, {
      code: "invalid_tasks",
      message: `${where}${first?.message ?? "the tasks are invalid"}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`,
      field,
      issues,
    });
  }
  return checked.file;
}

function quickBranchName(now: Date): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
  return `orchestrator/quick-${stamp}-${randomBytes(2).toString("hex")}`;
}

export function parseRepository(text: string): RepoRef | null {
  const match = REPOSITORY.exec(text);
  return match ? { owner: match[1] as string, repo: match[2] as string } : null;
}
