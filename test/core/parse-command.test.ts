import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/core/parse-command.js";

describe("parseCommand", () => {
  it("ignores comments without the command", () => {
    expect(parseCommand("Looks good to me")).toBeNull();
    expect(parseCommand("we /orchestrate later")).toBeNull();
    expect(parseCommand("/orchestrated it already")).toBeNull();
  });

  it("starts a session by default, with options", () => {
    expect(parseCommand("/orchestrate")).toEqual({ ok: true, command: { kind: "start" } });
    expect(
      parseCommand("/orchestrate start --file tasks/x.yaml --parallel 4 --only a,b --ref main --budget $5"),
    ).toEqual({
      ok: true,
      command: {
        kind: "start",
        file: "tasks/x.yaml",
        parallel: 4,
        only: ["a", "b"],
        ref: "main",
        budgetUsd: 5,
      },
    });
    expect(parseCommand("/orchestrate --parallel=2")).toEqual({
      ok: true,
      command: { kind: "start", parallel: 2 },
    });
  });

  it("finds the command on any line and is case-insensitive", () => {
    expect(parseCommand("Ready now.\n\n/Orchestrate STATUS\nthanks")).toEqual({
      ok: true,
      command: { kind: "status" },
    });
  });

  it("understands phone keyboards that turn -- into dashes", () => {
    expect(parseCommand("/orchestrate \u2014parallel 2 \u2013only api")).toEqual({
      ok: true,
      command: { kind: "start", parallel: 2, only: ["api"] },
    });
  });

  it("parses retry, cancel and status with sessions", () => {
    expect(parseCommand("/orchestrate retry failed")).toEqual({
      ok: true,
      command: { kind: "retry", target: "failed" },
    });
    expect(parseCommand("/orchestrate retry api web --session o:r:12")).toEqual({
      ok: true,
      command: { kind: "retry", target: ["api", "web"], sessionId: "o:r:12" },
    });
    expect(parseCommand("/orchestrate cancel o:r:12")).toEqual({
      ok: true,
      command: { kind: "cancel", sessionId: "o:r:12" },
    });
    expect(parseCommand("/orchestrate help")).toEqual({ ok: true, command: { kind: "help" } });
  });

  it("explains mistakes in plain words", () => {
    expect(parseCommand("/orchestrate deploy")).toEqual({
      ok: false,
      error:
        'unknown command "deploy". Commands: start, status, retry, cancel, revise, answer, plan, approve, help.',
    });
    expect(parseCommand("/orchestrate --parallel 0")).toEqual({
      ok: false,
      error: '--parallel must be a whole number from 1 to 64, got "0"',
    });
    expect(parseCommand("/orchestrate --colour red")).toEqual({
      ok: false,
      error: 'unknown option "--colour" (allowed here: --file, --ref, --parallel, --only, --budget, --issue)',
    });
    expect(parseCommand("/orchestrate --file")).toEqual({ ok: false, error: "--file needs a value" });
    expect(parseCommand("/orchestrate retry")).toEqual({
      ok: false,
      error: "retry needs a task id or `failed`, e.g. `/orchestrate retry failed`",
    });
    expect(parseCommand("/orchestrate --budget free")).toEqual({
      ok: false,
      error: '--budget must be a positive amount in US dollars, at most 10000, got "free"',
    });
    expect(parseCommand("/orchestrate --only ,")).toEqual({
      ok: false,
      error: '--only must name at least one task id (e.g. api,web), got ","',
    });
  });

  it("reads `revise` with its free text: the rest of the line as written, and the lines after it", () => {
    expect(
      parseCommand('Thanks!\n/orchestrate revise Use --strict mode, not "loose".\nAnd keep `a|b`.'),
    ).toEqual({
      ok: true,
      command: { kind: "revise", text: 'Use --strict mode, not "loose".\nAnd keep `a|b`.' },
    });
    expect(parseCommand("/orchestrate REVISE")).toEqual({ ok: true, command: { kind: "revise", text: "" } });
    expect(parseCommand("/orchestrate revised")).toEqual({
      ok: false,
      error:
        'unknown command "revised". Commands: start, status, retry, cancel, revise, answer, plan, approve, help.',
    });
  });
});

describe("plan and approve", () => {
  it("reads plan with an optional cap, and approve with or without starting", () => {
    expect(parseCommand("/orchestrate plan")).toEqual({ ok: true, command: { kind: "plan" } });
    expect(parseCommand("/orchestrate plan --budget 2.5")).toEqual({
      ok: true,
      command: { kind: "plan", budgetUsd: 2.5 },
    });
    expect(parseCommand("/orchestrate approve")).toEqual({
      ok: true,
      command: { kind: "approve", start: false },
    });
    expect(parseCommand("/orchestrate approve --start")).toEqual({
      ok: true,
      command: { kind: "approve", start: true },
    });
    expect(parseCommand("/orchestrate approve and start")).toEqual({
      ok: true,
      command: { kind: "approve", start: true },
    });
    expect(parseCommand("/orchestrate approve --session acme:widgets:7")).toEqual({
      ok: true,
      command: { kind: "approve", start: false, sessionId: "acme:widgets:7" },
    });
  });

  it("says what is wrong with them", () => {
    expect(parseCommand("/orchestrate plan everything")).toEqual({
      ok: false,
      error: 'unexpected "everything"',
    });
    expect(parseCommand("/orchestrate plan --budget lots")).toMatchObject({ ok: false });
    expect(parseCommand("/orchestrate approve now")).toEqual({ ok: false, error: 'unexpected "now"' });
  });
});

describe("parseCommand: answer", () => {
  it("takes the task id and the rest of the comment, as written, as the answer", () => {
    expect(parseCommand('/orchestrate answer api Use "SQLite", please\nand one file per table.')).toEqual({
      ok: true,
      command: { kind: "answer", taskId: "api", text: 'Use "SQLite", please\nand one file per table.' },
    });
    expect(parseCommand("/orchestrate answer api --session acme:widgets:7 Yes")).toEqual({
      ok: true,
      command: { kind: "answer", taskId: "api", text: "Yes", sessionId: "acme:widgets:7" },
    });
    expect(parseCommand("/orchestrate answer api")).toEqual({
      ok: false,
      error: "answer needs a task id and the answer, e.g. `/orchestrate answer api Use SQLite`",
    });
  });
});
