import { parseTasksFile, type ParseTasksFileResult } from "../core/parse-tasks-file.js";
import type { ValidationIssue } from "../core/validation-issue.js";
import { readTasksFile } from "./read-tasks-file.js";

/** Read and validate in one step; a file that cannot be read becomes one issue, like any other problem. */
export async function loadTasksFile(args: {
  cwd: string;
  file?: string | undefined;
}): Promise<{ fileName: string; result: ParseTasksFileResult }> {
  const source = await readTasksFile(args);
  if (!source.ok) {
    const issue: ValidationIssue = { file: source.fileName, message: source.message };
    return { fileName: source.fileName, result: { ok: false, issues: [issue] } };
  }
  return {
    fileName: source.fileName,
    result: parseTasksFile({ text: source.text, fileName: source.fileName }),
  };
}
