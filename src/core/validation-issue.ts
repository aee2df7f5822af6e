/** One problem found in a tasks file, located as precisely as the input allows. */
export interface ValidationIssue {
  file: string;
  /** The task's id, or `#N` (1-based position in the list) when it has no usable id. */
  task?: string;
  /** The field, e.g. `dependencies`, or `defaults.retries` for a nested one. */
  field?: string;
  /** 1-based. */
  line?: number;
  /** 1-based, in UTF-16 code units (as editors count). */
  column?: number;
  message: string;
}

/** `tasks/tasks.json:12:7: task "api" field "dependencies": unknown task "databse" (did you mean "database"?)` */
export function formatIssue(issue: ValidationIssue): string {
  let where = issue.file;
  if (issue.line !== undefined) {
    where += `:${issue.line}`;
    if (issue.column !== undefined) where += `:${issue.column}`;
  }
  const subject: string[] = [];
  if (issue.task !== undefined)
    subject.push(issue.task.startsWith("#") ? `task ${issue.task}` : `task ${JSON.stringify(issue.task)}`);
  if (issue.field !== undefined) subject.push(`field ${JSON.stringify(issue.field)}`);
  return subject.length > 0
    ? `${where}: ${subject.join(" ")}: ${issue.message}`
    : `${where}: ${issue.message}`;
}
