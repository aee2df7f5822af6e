import { execFileSync } from "node:child_process";
import { mkdirSync, openSync, closeSync, ftruncateSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_FILE_BYTES } from "../../src/core/parse-tasks-file.js";
import { readTasksFile } from "../../src/cli/read-tasks-file.js";
import { projectWith, removeProjects, runCli } from "./cli-test-helpers.js";

afterAll(removeProjects);

/**
 * A tasks file usually comes with a repository someone else wrote. Each case here would have made
 * the old reader follow a link, read without end or block: every test has a short timeout as a
 * safety net, and each answer comes from one lstat/open/fstat, not from reading the file.
 */
const BOUNDED = 20_000;

const VALID = JSON.stringify({ tasks: [{ id: "a", prompt: "do a" }] });
const SECRET = "SECRET-CONTENT-do-not-echo";

function outsideFolder(): string {
  return projectWith({ "secret/tasks.json": VALID.replace("do a", SECRET), "secret.json": SECRET });
}

describe("reading a tasks file from disk", () => {
  it(
    "a link to /dev/zero is refused without reading it, and its target is not echoed",
    async () => {
      const cwd = projectWith({});
      symlinkSync("/dev/zero", path.join(cwd, "tasks.json"));
      const run = await runCli(["validate", "tasks.json"], { cwd });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe(
        "tasks.json: is a symbolic link; a tasks file must be a regular file: name the file itself, not a link to it\n" +
          "✗ tasks.json: 1 problem\n",
      );
      expect(run.stdout + run.stderr).not.toContain("/dev/zero");
    },
    BOUNDED,
  );

  it(
    "the default tasks/tasks.json as a link is found and refused (not skipped, not followed)",
    async () => {
      const cwd = projectWith({});
      mkdirSync(path.join(cwd, "tasks"));
      symlinkSync("/dev/zero", path.join(cwd, "tasks/tasks.json"));
      const run = await runCli(["plan"], { cwd });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("tasks/tasks.json: is a symbolic link;");
      expect(run.stderr).not.toContain("/dev/zero");
    },
    BOUNDED,
  );

  it(
    "a device named directly is not a regular file: refused at once",
    async () => {
      const result = await readTasksFile({ cwd: projectWith({}), file: "/dev/zero" });
      expect(result).toEqual({
        ok: false,
        fileName: "/dev/zero",
        message: "is a device, not a regular file; a tasks file must be one",
      });
    },
    BOUNDED,
  );

  it(
    "a named pipe with no writer is refused without blocking",
    async () => {
      const cwd = projectWith({});
      // mkfifo is part of coreutils (Linux, macOS): a machine without it fails here, never passes untested.
      execFileSync("mkfifo", [path.join(cwd, "pipe.json")]);
      const run = await runCli(["validate", "pipe.json"], { cwd });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe(
        "pipe.json: is a named pipe, not a regular file; a tasks file must be one\n✗ pipe.json: 1 problem\n",
      );
    },
    BOUNDED,
  );

  it(
    "a file over the limit is refused by its size, with the limit named",
    async () => {
      expect(MAX_FILE_BYTES).toBe(5 * 1024 * 1024);
      const cwd = projectWith({
        "big.json": `{"tasks": [], "pad": "${"x".repeat(MAX_FILE_BYTES + 1024 ** 2)}"}`,
      });
      const run = await runCli(["validate", "big.json"], { cwd });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe("big.json: the file is 6 MB; the limit is 5 MB\n✗ big.json: 1 problem\n");
    },
    BOUNDED,
  );

  it(
    "a 3 GB (sparse) file is refused by its size without being read",
    async () => {
      const cwd = projectWith({});
      const fd = openSync(path.join(cwd, "huge.json"), "w");
      ftruncateSync(fd, 3 * 1024 ** 3);
      closeSync(fd);
      const result = await readTasksFile({ cwd, file: "huge.json" });
      expect(result).toEqual({
        ok: false,
        fileName: "huge.json",
        message: "the file is 3072 MB; the limit is 5 MB",
      });
    },
    BOUNDED,
  );

  it(
    "a link to a file outside the repository is refused; neither its path nor its content is shown",
    async () => {
      const outside = outsideFolder();
      const cwd = projectWith({});
      symlinkSync(path.join(outside, "secret.json"), path.join(cwd, "tasks.json"));
      const run = await runCli(["validate", "tasks.json", "--json"], { cwd });
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toEqual({
        valid: false,
        errors: [
          {
            message:
              "is a symbolic link; a tasks file must be a regular file: name the file itself, not a link to it",
          },
        ],
      });
      expect(run.stdout + run.stderr).not.toContain(outside);
      expect(run.stdout + run.stderr).not.toContain(SECRET);
    },
    BOUNDED,
  );

  it(
    "a linked folder that leads outside the repository is refused, also for the default file",
    async () => {
      const outside = outsideFolder();
      const cwd = projectWith({});
      symlinkSync(path.join(outside, "secret"), path.join(cwd, "tasks"));
      for (const args of [["validate", "tasks/tasks.json"], ["validate"]]) {
        const run = await runCli(args, { cwd });
        expect(run.code).toBe(1);
        expect(run.stdout).toBe(
          "tasks/tasks.json: lies in a linked folder that leads outside the repository; a tasks file must be inside it\n" +
            "✗ tasks/tasks.json: 1 problem\n",
        );
        expect(run.stdout).not.toContain(outside);
        expect(run.stdout).not.toContain(SECRET);
      }
    },
    BOUNDED,
  );

  it("a linked folder inside the repository, and a path the user wrote outside it, are read", async () => {
    const outside = outsideFolder();
    const cwd = projectWith({ "config/tasks/tasks.json": VALID });
    symlinkSync(path.join(cwd, "config/tasks"), path.join(cwd, "tasks"));
    expect((await runCli(["validate"], { cwd })).stdout).toMatch(/^✓ tasks\/tasks.json: 1 task/);
    const named = path.join(outside, "secret/tasks.json");
    expect((await runCli(["validate", named], { cwd })).stdout).toMatch(/^✓ .*secret\/tasks.json: 1 task/);
    expect(readFileSync(named, "utf8")).toContain(SECRET);
  });

  it(
    "orchestrator run refuses a linked tasks file before anything starts (exit 1, the path as given)",
    async () => {
      const cwd = projectWith({});
      execFileSync("git", ["init", "--quiet", cwd]);
      symlinkSync("/dev/zero", path.join(cwd, "tasks.json"));
      const run = await runCli(["run", "tasks.json", "--agent", "true"], { cwd });
      expect(run).toEqual({
        code: 1,
        stdout: "",
        stderr:
          "orchestrator run: cannot read the tasks file tasks.json: is a symbolic link; a tasks file must be a " +
          "regular file: name the file itself, not a link to it\n",
      });
    },
    BOUNDED,
  );
});
