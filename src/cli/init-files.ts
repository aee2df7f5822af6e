import { constants } from "node:fs";
import { access, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DEFAULT_TASKS_FILES } from "../core/session-options.js";
import {
  STARTER_SCHEMA_FILE,
  STARTER_TASKS_FILE,
  starterTasksText,
  TASK_WORKFLOW_FILE,
} from "../core/starter-tasks.js";
import {
  PACKAGE_SCHEMA,
  PACKAGE_WORKFLOW,
  PackageFileError,
  readPackageFile,
} from "../package/package-files.js";
import { CliError } from "./cli-error.js";

export { STARTER_SCHEMA_FILE, STARTER_TASKS_FILE, TASK_WORKFLOW_FILE as WORKFLOW_FILE };

/**
 * The files `orchestrator init` writes into a user's repository. Each is written only when it is
 * absent (`wx`: created, never replaced, even if it appears between the check and the write), so
 * a second run — or a repository that already has its own — loses nothing.
 */

export type WriteOutcome = "written" | "exists";

/** The tasks file the repository already has (tasks/tasks.json, .yaml or .yml), or undefined. */
export async function existingTasksFile(repoRoot: string): Promise<string | undefined> {
  for (const name of DEFAULT_TASKS_FILES) {
    if (await exists(join(repoRoot, name))) return name;
  }
  return undefined;
}

export async function writeStarterTasks(repoRoot: string): Promise<WriteOutcome> {
  return writeNew(join(repoRoot, STARTER_TASKS_FILE), starterTasksText());
}

export async function writeStarterSchema(repoRoot: string): Promise<WriteOutcome> {
  return writeNew(join(repoRoot, STARTER_SCHEMA_FILE), packageText(PACKAGE_SCHEMA));
}

export async function writeWorkflow(repoRoot: string): Promise<WriteOutcome> {
  return writeNew(join(repoRoot, TASK_WORKFLOW_FILE), packageText(PACKAGE_WORKFLOW));
}

function packageText(url: URL): string {
  try {
    return readPackageFile(url);
  } catch (error) {
    if (error instanceof PackageFileError) throw new CliError(error.message, "failed");
    throw error;
  }
}

async function writeNew(path: string, text: string): Promise<WriteOutcome> {
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, text, { flag: "wx" });
    return "written";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return "exists";
    throw new CliError(`could not write ${path}: ${(error as Error).message}`, "failed");
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path, constants.F_OK).then(
    () => true,
    () => false,
  );
}
