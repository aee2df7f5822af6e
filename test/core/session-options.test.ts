import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/core/tasks-schema.js";
import { parseSessionOptions, sessionOptionsSchema } from "../../src/core/session-options.js";

describe("session options", () => {
  it("takes text as the command line and comments give it, and JSON as the API gives it", () => {
    expect(
      parseSessionOptions({
        values: { file: " tasks/a.yaml ", parallel: "2", only: "api, web", budgetUsd: "$2.50", ref: "v1" },
      }),
    ).toEqual({
      ok: true,
      options: { file: "tasks/a.yaml", parallel: 2, only: ["api", "web"], budgetUsd: 2.5, ref: "v1" },
    });
    expect(parseSessionOptions({ values: { parallel: 3, only: ["api"], budgetUsd: 4 } })).toEqual({
      ok: true,
      options: { parallel: 3, only: ["api"], budgetUsd: 4 },
    });
  });

  it("refuses each bad value with a message that names the option and quotes the value", () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ parallel: "0" }, '--parallel must be a whole number from 1 to 64, got "0"'],
      [{ parallel: "65" }, '--parallel must be a whole number from 1 to 64, got "65"'],
      [{ parallel: "1.5" }, '--parallel must be a whole number from 1 to 64, got "1.5"'],
      [{ parallel: "two" }, '--parallel must be a whole number from 1 to 64, got "two"'],
      [{ budgetUsd: "0" }, '--budget must be a positive amount in US dollars, at most 10000, got "0"'],
      [{ budgetUsd: 20_000 }, '--budget must be a positive amount in US dollars, at most 10000, got "20000"'],
      [{ only: [] }, '--only must name at least one task id (e.g. api,web), got "[]"'],
      [{ only: ["api", " "] }, '--only must not hold empty task ids, got "["api"," "]"'],
      [{ file: " " }, '--file must be a path, got " "'],
      [{ ref: "" }, '--ref must be a branch, tag or commit, got ""'],
    ];
    for (const [values, error] of cases) {
      expect(parseSessionOptions({ values }), JSON.stringify(values)).toMatchObject({ ok: false, error });
    }
  });

  it("lets each way in name the option its own way", () => {
    const parsed = parseSessionOptions({
      values: { budgetUsd: -1 },
      label: (option) => (option === "budgetUsd" ? "budget_usd" : option),
    });
    expect(parsed).toEqual({
      ok: false,
      option: "budgetUsd",
      error: 'budget_usd must be a positive amount in US dollars, at most 10000, got "-1"',
    });
  });

  it("takes its limits from the tasks file's LIMITS", () => {
    expect(sessionOptionsSchema.safeParse({ parallel: LIMITS.maxParallelAgents }).success).toBe(true);
    expect(sessionOptionsSchema.safeParse({ parallel: LIMITS.maxParallelAgents + 1 }).success).toBe(false);
    expect(sessionOptionsSchema.safeParse({ budgetUsd: LIMITS.maxBudgetUsd }).success).toBe(true);
    expect(sessionOptionsSchema.safeParse({ budgetUsd: LIMITS.maxBudgetUsd + 0.01 }).success).toBe(false);
  });

  it('reads an issue as 12, "12" or "#12", and refuses it beside a tasks file', () => {
    for (const issue of [12, "12", " #12 "])
      expect(parseSessionOptions({ values: { issue } })).toEqual({ ok: true, options: { issue: 12 } });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ issue: 0 }, '--issue must be an issue number, like 12 or #12, got "0"'],
      [{ issue: "#x" }, '--issue must be an issue number, like 12 or #12, got "#x"'],
      [{ issue: 1.5 }, '--issue must be an issue number, like 12 or #12, got "1.5"'],
      [{ issue: 2 ** 31 }, '--issue must be an issue number, like 12 or #12, got "2147483648"'],
      [
        { issue: 3, file: "tasks.json" },
        '--issue cannot be combined with a tasks file: the issue\'s sub-issues are the tasks, got "3"',
      ],
    ];
    for (const [values, error] of cases) {
      expect(parseSessionOptions({ values }), JSON.stringify(values)).toMatchObject({ ok: false, error });
    }
  });
});
