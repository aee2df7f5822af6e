/**
 * A validator for the JSON-schema subset that GitHub's OpenAPI 3.0 description uses:
 * type (one name), nullable, enum, required, properties, additionalProperties, items,
 * min/maxItems, min/maxLength, pattern, minimum/maximum, min/maxProperties, uniqueItems,
 * oneOf/anyOf/allOf, $ref, and the formats date-time, date, uri and email.
 *
 * Written here rather than taken from ajv because ajv is only present transitively (eslint's
 * ajv 6) and does not know OpenAPI 3.0's `nullable`. Keywords outside the subset are ignored,
 * which errs on the side of accepting — the same direction GitHub errs in.
 */

export type JsonSchema = { readonly [keyword: string]: unknown };

export interface SchemaIssue {
  /** JSON-pointer-like location, e.g. `/output/summary`; empty for the root. */
  readonly path: string;
  readonly message: string;
}

export interface ValidateSchemaInput {
  readonly value: unknown;
  readonly schema: JsonSchema;
  /** Resolves `#/components/...` references against the document the schema came from. */
  readonly resolveRef: (ref: string) => JsonSchema;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const EMAIL = /^[^@\s]+@[^@\s]+$/;

export function validateSchema({ value, schema, resolveRef }: ValidateSchemaInput): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  check({ value, schema, path: "", issues, resolveRef });
  return issues;
}

interface CheckContext {
  readonly value: unknown;
  readonly schema: JsonSchema;
  readonly path: string;
  readonly issues: SchemaIssue[];
  readonly resolveRef: (ref: string) => JsonSchema;
}

function check(ctx: CheckContext): void {
  const schema = typeof ctx.schema.$ref === "string" ? ctx.resolveRef(ctx.schema.$ref) : ctx.schema;
  const { value, path, issues } = ctx;
  const at = (message: string): void => {
    issues.push({ path, message });
  };
  const sub = (child: unknown, childSchema: unknown, childPath: string): void => {
    if (isSchema(childSchema)) check({ ...ctx, value: child, schema: childSchema, path: childPath });
  };

  if (value === null) {
    // OpenAPI 3.0: null is allowed only by `nullable: true` (GitHub's enums often omit null).
    if (schema.nullable === true) return;
    if (schema.type !== undefined || schema.properties !== undefined) {
      at(`null is not allowed (expected ${describeType(schema)})`);
      return;
    }
  }

  if (Array.isArray(schema.allOf)) for (const part of schema.allOf) sub(value, part, path);
  if (Array.isArray(schema.anyOf)) {
    const ok = schema.anyOf.some((part) => isSchema(part) && countIssues(ctx, value, part) === 0);
    if (!ok) at(`${show(value)} matches none of the "anyOf" schemas`);
  }
  if (Array.isArray(schema.oneOf)) {
    const matching = schema.oneOf.filter(
      (part) => isSchema(part) && countIssues(ctx, value, part) === 0,
    ).length;
    if (matching !== 1) at(`${show(value)} must match exactly one "oneOf" schema, matched ${matching}`);
  }

  if (typeof schema.type === "string" && !hasType(value, schema.type)) {
    at(`${show(value)} is not of type ${schema.type}`);
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => allowed === value)) {
    at(`${show(value)} is not a member of ${JSON.stringify(schema.enum)}`);
  }

  if (typeof value === "string") checkString(schema, value, at);
  if (typeof value === "number") checkNumber(schema, value, at);
  if (Array.isArray(value)) {
    checkArray(schema, value, at);
    value.forEach((item, index) => sub(item, schema.items, `${path}/${index}`));
  } else if (isRecord(value)) {
    checkObject({ ...ctx, schema, value }, sub);
  }
}

function checkString(schema: JsonSchema, value: string, at: (message: string) => void): void {
  // Length in code points, as JSON Schema defines it (GitHub counts characters, not UTF-16 units).
  const length = [...value].length;
  if (typeof schema.maxLength === "number" && length > schema.maxLength) {
    at(`is longer than the maximum length of ${schema.maxLength} (${length})`);
  }
  if (typeof schema.minLength === "number" && length < schema.minLength) {
    at(`is shorter than the minimum length of ${schema.minLength} (${length})`);
  }
  if (typeof schema.pattern === "string" && !safePattern(schema.pattern).test(value)) {
    at(`${show(value)} does not match the pattern ${schema.pattern}`);
  }
  const format = schema.format;
  if (format === "date-time" && !DATE_TIME.test(value)) at(`${show(value)} is not a date-time`);
  if (format === "date" && !DATE.test(value)) at(`${show(value)} is not a date`);
  if (format === "email" && !EMAIL.test(value)) at(`${show(value)} is not an email address`);
  if (format === "uri" && !URL.canParse(value)) at(`${show(value)} is not an absolute URI`);
}

function checkNumber(schema: JsonSchema, value: number, at: (message: string) => void): void {
  if (typeof schema.minimum === "number" && value < schema.minimum)
    at(`${value} is less than ${schema.minimum}`);
  if (typeof schema.maximum === "number" && value > schema.maximum)
    at(`${value} is greater than ${schema.maximum}`);
}

function checkArray(schema: JsonSchema, value: readonly unknown[], at: (message: string) => void): void {
  if (typeof schema.maxItems === "number" && value.length > schema.maxItems) {
    at(`has ${value.length} items, more than the maximum of ${schema.maxItems}`);
  }
  if (typeof schema.minItems === "number" && value.length < schema.minItems) {
    at(`has ${value.length} items, fewer than the minimum of ${schema.minItems}`);
  }
  if (
    schema.uniqueItems === true &&
    new Set(value.map((item) => JSON.stringify(item))).size !== value.length
  ) {
    at("has duplicate items");
  }
}

function checkObject(
  ctx: CheckContext & { readonly value: Record<string, unknown> },
  sub: (child: unknown, childSchema: unknown, childPath: string) => void,
): void {
  const { schema, value, path, issues } = ctx;
  const properties = isRecord(schema.properties) ? schema.properties : {};
  if (Array.isArray(schema.required)) {
    for (const name of schema.required) {
      if (typeof name === "string" && !(name in value))
        issues.push({ path, message: `"${name}" wasn't supplied` });
    }
  }
  const keys = Object.keys(value);
  if (typeof schema.maxProperties === "number" && keys.length > schema.maxProperties) {
    issues.push({
      path,
      message: `has ${keys.length} properties, more than the maximum of ${schema.maxProperties}`,
    });
  }
  if (typeof schema.minProperties === "number" && keys.length < schema.minProperties) {
    issues.push({
      path,
      message: `has ${keys.length} properties, fewer than the minimum of ${schema.minProperties}`,
    });
  }
  for (const key of keys) {
    const childPath = `${path}/${key}`;
    if (key in properties) sub(value[key], properties[key], childPath);
    else if (schema.additionalProperties === false) {
      issues.push({ path, message: `"${key}" is not a permitted key` });
    } else sub(value[key], schema.additionalProperties, childPath);
  }
}

function countIssues(ctx: CheckContext, value: unknown, schema: JsonSchema): number {
  const issues: SchemaIssue[] = [];
  check({ value, schema, path: ctx.path, issues, resolveRef: ctx.resolveRef });
  return issues.length;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return isRecord(value);
    default:
      return true;
  }
}

const patterns = new Map<string, RegExp>();
function safePattern(source: string): RegExp {
  let compiled = patterns.get(source);
  if (compiled === undefined) {
    try {
      compiled = new RegExp(source, "u");
    } catch {
      // A few spec patterns use syntax JavaScript rejects in unicode mode; fall back to legacy mode.
      compiled = new RegExp(source);
    }
    patterns.set(source, compiled);
  }
  return compiled;
}

function describeType(schema: JsonSchema): string {
  return typeof schema.type === "string" ? schema.type : "a value";
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isSchema(value: unknown): value is JsonSchema {
  return isRecord(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
