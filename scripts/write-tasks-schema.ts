import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { isMainModule } from "../src/cli/is-main-module.js";
import { tasksFileSchema } from "../src/core/tasks-schema.js";

/**
 * `npm run schema`: writes tasks/tasks.schema.json from the zod schema, so editors check tasks
 * files as they are typed with the same rules as `orchestrator validate` (the graph rules, such
 * as cycles, need the validator). A test fails when the committed file is stale.
 */

export const TASKS_SCHEMA_PATH = fileURLToPath(new URL("../tasks/tasks.schema.json", import.meta.url));

/** The file's exact text. Draft-07: the version editors (VS Code, JetBrains) support best. */
export function tasksSchemaJson(): string {
  const { $schema, ...rest } = z.toJSONSchema(tasksFileSchema, { target: "draft-07", io: "input" });
  const schema = {
    $schema,
    title: "Orchestrator tasks file",
    description:
      "A dependency graph of Claude Code tasks. Validate with `orchestrator validate`; " +
      "see the plan with `orchestrator plan`.",
    ...rest,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (isMainModule(import.meta.url)) {
  writeFileSync(TASKS_SCHEMA_PATH, tasksSchemaJson());
  console.log(`wrote ${TASKS_SCHEMA_PATH}`);
}
