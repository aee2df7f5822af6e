import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readTask } from "../../action/src/read-task.js";
import { taskRunRequestSchema } from "../../src/core/dispatch-inputs.js";
import { MAX_FILE_BYTES } from "../../src/core/parse-tasks-file.js";

/**
 * The Action reads the tasks file from git at `tasks_ref`. A link committed in the repository is a
 * blob holding its target's path: it must not be parsed (the parser would echo that path) nor
 * followed, and a blob over the limit must not be read at all.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function repoWith(setup: (dir: string) => void): { cwd: string; sha: string } {
  const cwd = mkdtempSync(path.join(tmpdir(), "orchestrator-read-task-"));
  dirs.push(cwd);
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd,
      encoding: "utf8",
    });
  git("init", "--quiet");
  mkdirSync(path.join(cwd, "tasks"));
  setup(cwd);
  git("add", "-A");
  git("commit", "--quiet", "-m", "tasks");
  return { cwd, sha: git("rev-parse", "HEAD").trim() };
}

const read = (repo: { cwd: string; sha: string }, tasksFile = "tasks/tasks.yaml") =>
  readTask({
    cwd: repo.cwd,
    remote: "origin",
    request: taskRunRequestSchema.parse({
      sessionId: "s",
      taskId: "a",
      attempt: 1,
      tasksRef: repo.sha,
      tasksFile,
      branch: "orchestrator/a",
      baseBranch: "main",
      prBase: "main",
    }),
  });

describe("the Action reads the task from the tasks file at tasks_ref", () => {
  it("a committed symbolic link is refused, and its target is not echoed", async () => {
    const repo = repoWith((cwd) =>
      symlinkSync("../../../home/runner/.ssh/id_rsa", path.join(cwd, "tasks/tasks.yaml")),
    );
    const error = await read(repo).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      kind: "tasks_file_invalid",
      message:
        `The tasks file tasks/tasks.yaml at ${repo.sha.slice(0, 12)} is a symbolic link; a tasks file must be ` +
        "a regular file: name the file itself, not a link to it.",
    });
    expect(String((error as Error).message)).not.toContain("id_rsa");
  });

  it("a blob over the limit is refused by its size", async () => {
    const repo = repoWith((cwd) =>
      writeFileSync(
        path.join(cwd, "tasks/tasks.yaml"),
        `tasks: []\npad: ${"x".repeat(MAX_FILE_BYTES + 1024 ** 2)}\n`,
      ),
    );
    await expect(read(repo)).rejects.toMatchObject({
      kind: "tasks_file_invalid",
      message: `The tasks file tasks/tasks.yaml at ${repo.sha.slice(0, 12)} is 6 MB; the limit is 5 MB.`,
    });
  });

  it("a regular file is read, also when named with ./; a folder is not a tasks file", async () => {
    const repo = repoWith((cwd) =>
      writeFileSync(path.join(cwd, "tasks/tasks.yaml"), "tasks:\n  - id: a\n    prompt: do a\n"),
    );
    await expect(read(repo)).resolves.toMatchObject({ id: "a", prompt: "do a" });
    await expect(read(repo, "./tasks/tasks.yaml")).resolves.toMatchObject({ id: "a", prompt: "do a" });
    await expect(read(repo, "tasks")).rejects.toMatchObject({ kind: "task_not_found" });
  });
});
