import { describe, expect, it } from "vitest";
import { validateSchema, type JsonSchema } from "../support/fake-github/schema-validator.js";

const components: Record<string, JsonSchema> = {
  user: { type: "object", required: ["login"], properties: { login: { type: "string" } } },
};
const resolveRef = (ref: string): JsonSchema => {
  const found = components[ref.replace("#/components/schemas/", "")];
  if (found === undefined) throw new Error(ref);
  return found;
};
const check = (value: unknown, schema: JsonSchema): string[] =>
  validateSchema({ value, schema, resolveRef }).map((issue) => `${issue.path} ${issue.message}`);

describe("validateSchema", () => {
  it("checks types, integers and enums", () => {
    expect(check(3, { type: "integer" })).toEqual([]);
    expect(check(3.5, { type: "integer" })).toEqual([" 3.5 is not of type integer"]);
    expect(check("bad", { type: "string", enum: ["queued", "completed"] })).toEqual([
      ' "bad" is not a member of ["queued","completed"]',
    ]);
  });

  it("allows null only where the schema is nullable", () => {
    expect(check(null, { type: "string", nullable: true, enum: ["a"] })).toEqual([]);
    expect(check(null, { type: "string" })).toHaveLength(1);
  });

  it("checks required properties, nested paths and forbidden extra keys", () => {
    const schema: JsonSchema = {
      type: "object",
      required: ["name"],
      additionalProperties: false,
      properties: {
        name: { type: "string" },
        output: { type: "object", properties: { summary: { type: "string", maxLength: 3 } } },
      },
    };
    expect(check({ name: "a", output: { summary: "abcd" } }, schema)).toEqual([
      "/output/summary is longer than the maximum length of 3 (4)",
    ]);
    expect(check({ extra: 1 }, schema)).toEqual([
      ' "name" wasn\'t supplied',
      ' "extra" is not a permitted key',
    ]);
  });

  it("counts length in characters, not UTF-16 units", () => {
    expect(check("😀😀😀", { type: "string", maxLength: 3 })).toEqual([]);
  });

  it("applies oneOf, anyOf, allOf and $ref", () => {
    const oneOf: JsonSchema = { oneOf: [{ type: "string" }, { type: "integer" }] };
    expect(check("x", oneOf)).toEqual([]);
    expect(check(true, oneOf)).toHaveLength(1);
    const anyOf: JsonSchema = {
      anyOf: [
        { properties: { status: { enum: ["completed"] } }, required: ["conclusion"] },
        { properties: { status: { enum: ["queued", "in_progress"] } } },
      ],
    };
    expect(check({ status: "completed", conclusion: "success" }, anyOf)).toEqual([]);
    expect(check({ status: "completed" }, anyOf)).toHaveLength(1);
    expect(check({ login: 1 }, { allOf: [{ $ref: "#/components/schemas/user" }] })).toEqual([
      "/login 1 is not of type string",
    ]);
  });

  it("checks array bounds and item schemas, and formats", () => {
    const schema: JsonSchema = { type: "array", maxItems: 2, items: { type: "string", format: "date-time" } };
    expect(check(["2025-01-01T00:00:00Z"], schema)).toEqual([]);
    expect(check(["a", "b", "c"], schema)).toHaveLength(4);
    expect(check("not a url", { type: "string", format: "uri" })).toHaveLength(1);
    expect(check({ a: "1", b: "2" }, { type: "object", maxProperties: 1 })).toHaveLength(1);
  });
});
