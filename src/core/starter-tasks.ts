/**
 * The starter tasks file a new repository gets, from `orchestrator init` and from the App's
 * onboarding: two small tasks, the second depending on the first — enough to see a graph run,
 * and to edit. One definition, so both paths hand users the same thing.
 */

/** The starter tasks file's path, relative to the repository root. */
export const STARTER_TASKS_FILE = "tasks/tasks.json";
/** Next to the tasks file, so its `"$schema": "./tasks.schema.json"` works offline. */
export const STARTER_SCHEMA_FILE = "tasks/tasks.schema.json";
/** The task workflow's file name: the App dispatches it by this name (ORCHESTRATOR_WORKFLOW_FILE changes it). */
export const TASK_WORKFLOW_NAME = "orchestrator-task.yml";
/** Where the task workflow lives, in this package and in a user's repository. */
export const TASK_WORKFLOW_FILE = `.github/workflows/${TASK_WORKFLOW_NAME}`;

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

/** The starter tasks file's text, as written to disk or committed. */
export function starterTasksText(): string {
  return `${JSON.stringify(STARTER_TASKS, null, 2)}\n`;
}
