import { constants } from "node:fs";
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DEFAULT_TASKS_FILES } from "../core/session-options.js";
import { CliError } from "./cli-error.js";

/**
 * The files `orchestrator init` writes into a user's repository. Each is written only when it is
 * absent (`wx`: created, never replaced, even if it appears between the check and the write), so
 * a second run — or a repository that already has its own — loses nothing.
 */

/** The starter tasks file's path, relative to the repository root. */
export const STARTER_TASKS_FILE = "tasks/tasks.json";
/** Next to the tasks file, so its `"$schema": "./tasks.schema.json"` works offline, as in this repository's example. */
export const STARTER_SCHEMA_FILE = "tasks/tasks.schema.json";
export const WORKFLOW_FILE = ".github/workflows/orchestrator-task.yml";

// Package files, found from this module: ../../ is the package root from both src/cli and dist/cli.
const PACKAGE_SCHEMA = new URL("../../tasks/tasks.schema.json", import.meta.url);
const PACKAGE_WORKFLOW = new URL("../../.github/workflows/orchestrator-task.yml", import.meta.url);

/** Two small tasks, the second depending on the first: enough to see a graph run, and to edit. */
export const STARTER_TASKS = {
  $schema: "./tasks.schema.json",
  max_parallel_agents: 2,
  tasks: [
    {
      id: "readme",
      name: "Write a README",
      prompt:
        "Read this repository and write (or improve) README.md: what the project does, how to install it, how to run it and its tests. Keep it short and accurate; do not invent features.",
      estimate_minutes: 10,
    },
    {
      id: "contributing",
      name: "Write CONTRIBUTING.md",
      prompt:
        "Write CONTRIBUTING.md for this repository: how to set up a development environment, run the tests and propose a change. Link to it from README.md.",
      dependencies: ["readme"],
      estimate_minutes: 10,
    },
  ],
} as const;

export type WriteOutcome = "written" | "exists";

/** The tasks file the repository already has (tasks/tasks.json, .yaml or .yml), or undefined. */
export async function existingTasksFile(repoRoot: string): Promise<string | undefined> {
  for (const name of DEFAULT_TASKS_FILES) {
    if (await exists(join(repoRoot, name))) return name;
  }
  return undefined;
}

export async function writeStarterTasks(repoRoot: string): Promise<WriteOutcome> {
  return writeNew(join(repoRoot, STARTER_TASKS_FILE), `${JSON.stringify(STARTER_TASKS, null, 2)}\n`);
}

export async function writeStarterSchema(repoRoot: string): Promise<WriteOutcome> {
  return writeNew(join(repoRoot, STARTER_SCHEMA_FILE), await readPackageFile(PACKAGE_SCHEMA));
}

export async function writeWorkflow(repoRoot: string): Promise<WriteOutcome> {
  return writeNew(join(repoRoot, WORKFLOW_FILE), await readPackageFile(PACKAGE_WORKFLOW));
}

/** The package's copy of the workflow, for tests to compare against. */
export function packageWorkflowPath(): URL {
  return PACKAGE_WORKFLOW;
}

async function readPackageFile(url: URL): Promise<string> {
  try {
    return await readFile(url, "utf8");
  } catch (error) {
    throw new CliError(
      `could not read ${url.pathname} from the orchestrator package (${(error as Error).message}); reinstall it`,
      "failed",
    );
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
