import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TASKS_SCHEMA_PATH, tasksSchemaJson } from "../scripts/write-tasks-schema.js";

describe("tasks/tasks.schema.json", () => {
  it("is what `npm run schema` writes from the zod schema today", () => {
    // If this fails: run `npm run schema` and commit tasks/tasks.schema.json.
    expect(readFileSync(TASKS_SCHEMA_PATH, "utf8")).toBe(tasksSchemaJson());
  });

  it("carries the limits and rules editors can check", () => {
    const schema = JSON.parse(tasksSchemaJson()) as {
      $schema: string;
      required: string[];
      properties: {
        tasks: { maxItems: number; items: { required: string[]; properties: Record<string, unknown> } };
      };
    };
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.required).toEqual(["tasks"]);
    expect(schema.properties.tasks.maxItems).toBe(10_000);
    expect(schema.properties.tasks.items.required).toEqual(["id", "prompt"]);
    expect(schema.properties.tasks.items.properties.prompt).toMatchObject({ type: "string", pattern: "\\S" });
  });

  it("is the one the example file points to", () => {
    const example = JSON.parse(readFileSync(new URL("../tasks/tasks.json", import.meta.url), "utf8")) as {
      $schema: string;
    };
    expect(new URL(example.$schema, new URL("../tasks/tasks.json", import.meta.url)).pathname).toBe(
      new URL(`file://${TASKS_SCHEMA_PATH}`).pathname,
    );
  });
});
