import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  STATE_VERSION,
  StateFileError,
  readStateFile,
  writeStateFile,
  type LocalSessionState,
} from "../../src/local/state-file.js";
import { acquireSessionLock, SessionLockedError } from "../../src/local/session-lock.js";
import { makeTempDir, removeTempDirs } from "../support/git-fixtures.js";

afterAll(removeTempDirs);

const state: LocalSessionState = {
  version: STATE_VERSION,
  sessionId: "local-1",
  tasksFile: "tasks/tasks.json",
  tasksFileSha256: "abc",
  baseBranch: "main",
  maxParallel: 2,
  agentCommand: ["node", "agent.mjs"],
  startedAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:01:00.000Z",
  tasks: { a: { status: "succeeded", attempts: 1, costUsd: 0.1 } },
  runs: { a: { branch: "orchestrator/a", commitSha: "1234", changedFiles: 2, commits: 1 } },
};

describe("state file", () => {
  it("round-trips and leaves no temporary file behind, also when written many times at once", async () => {
    const dir = await makeTempDir();
    const path = join(dir, ".orchestrator", "state.json");
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => writeStateFile(path, { ...state, maxParallel: i + 1 })),
    );
    const read = await readStateFile(path);
    expect(read).toMatchObject({ ...state, maxParallel: expect.any(Number) as number });
    expect(await readdir(join(dir, ".orchestrator"))).toEqual(["state.json"]);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual(read);
  });

  it("reads a missing file as no state, and refuses unreadable ones with what to do", async () => {
    const dir = await makeTempDir();
    const path = join(dir, "state.json");
    expect(await readStateFile(path)).toBeNull();

    await writeFile(path, "{ not json");
    await expect(readStateFile(path)).rejects.toThrow(StateFileError);
    await expect(readStateFile(path)).rejects.toThrow(/not valid JSON.*Delete it to start a new session/);

    await writeFile(path, JSON.stringify({ ...state, version: 99 }));
    await expect(readStateFile(path)).rejects.toThrow(/format version 99/);

    await writeFile(path, JSON.stringify({ ...state, tasks: { a: { status: "exploded", attempts: 1 } } }));
    await expect(readStateFile(path)).rejects.toThrow(/unreadable entry for task a/);
  });
});

describe("state file: interrupted attempts", () => {
  it("keeps an attempt's base and its interruptions (kept refs, known and unknown costs), and refuses a bad entry", async () => {
    const dir = await makeTempDir();
    const path = join(dir, "state.json");
    const withInterruptions: LocalSessionState = {
      ...state,
      runs: {
        a: {
          branch: "orchestrator/a",
          baseSha: "abcd",
          interruptions: [
            {
              attempt: 1,
              at: "2026-01-01T00:00:30.000Z",
              costUsd: 0.25,
              kept: [{ ref: "refs/orchestrator/interrupted/a/1", commit: "ef01", commits: 2 }],
            },
            { attempt: 1, at: "2026-01-01T00:00:40.000Z" },
          ],
        },
      },
    };
    await writeStateFile(path, withInterruptions);
    expect(await readStateFile(path)).toEqual(withInterruptions);

    await writeFile(
      path,
      JSON.stringify({
        ...state,
        runs: { a: { branch: "x", interruptions: [{ attempt: 1, at: "t", costUsd: -1 }] } },
      }),
    );
    await expect(readStateFile(path)).rejects.toThrow(/unreadable entry for task a/);
  });
});

describe("session lock", () => {
  it("lets one run in, refuses a second live one, and takes over a dead owner's lock", async () => {
    const dir = await makeTempDir();
    const path = join(dir, "run.lock");
    const lock = await acquireSessionLock(path);
    // A live process that is not us holds it: pid 1 always exists.
    await writeFile(path, "1\n");
    await expect(acquireSessionLock(path)).rejects.toThrow(SessionLockedError);
    await expect(acquireSessionLock(path)).rejects.toThrow(/Another orchestrator run \(pid 1\)/);

    // A pid that cannot be alive (above the kernel's pid limit) is a stale lock.
    await writeFile(path, "2147483646\n");
    const taken = await acquireSessionLock(path);
    expect((await readFile(path, "utf8")).trim()).toBe(String(process.pid));
    await taken.release();
    await lock.release();
  });
});
