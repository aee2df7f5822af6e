import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { AgentSpec, RunnableTask } from "../../src/runner/run-task.js";
import { makeTempDir } from "../support/git-fixtures.js";

/** A task as the tasks file would give it, with a one-minute timeout. */
export function task(overrides: Partial<RunnableTask> & Pick<RunnableTask, "id">): RunnableTask {
  return {
    name: overrides.id,
    prompt: `Do the work of ${overrides.id}.`,
    branch: `orchestrator/${overrides.id}`,
    base: "dependencies",
    allowNoChanges: false,
    timeoutMinutes: 1,
    ...overrides,
  };
}

/** A node script as the agent: no shell, fast. */
export async function nodeAgent(source: string): Promise<AgentSpec> {
  const file = join(await makeTempDir("orchestrator-agent-"), "agent.mjs");
  await writeFile(file, source);
  return { kind: "command", command: [process.execPath, file] };
}
