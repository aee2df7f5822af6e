import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileWritingScript, type ModelScript } from "../../src/demo/scripted-model-script.js";
import { startActionFixture, type ActionFixture } from "./action-fixture.js";
import { git } from "./action-harness.js";

/**
 * The task workflow checks out blobless (`filter: blob:none`, every commit and tree, the files of
 * the default branch's tip only) and without keeping the token. Here the remote is served over
 * http by `git http-backend`, refusing git without the job's token, with partial clone allowed as
 * on GitHub; the checkout is cloned blobless. The Action must get every file content it needs
 * before the agent runs (the dependency branches' files for the checkout and the merge, the tasks
 * file at an older `tasks_ref`) with the token; the agent, which never has it, cannot.
 */

let fixture: ActionFixture;
/** main's commit whose history.txt ("first version") a blobless checkout of main lacks. */
let historySha: string;
let mainSha: string;
let depA: string;
let depB: string;

const SHARED_BEFORE = "one\ntwo\nthree\nfour\nfive\n";
const PROBE = [
  // The agent asks for a file's old contents: its git has no token, so the remote refuses it.
  'git show "$1:history.txt" > old.txt 2> old-err.txt || echo "git show failed: $?" >> old-err.txt',
  "cat .git/config > config.txt",
  "env > env.txt",
  "true",
].join("\n");

const writer = fileWritingScript([
  { promptIncludes: "hello.txt", files: [{ path: "hello.txt", content: "Hello, world!\n" }] },
]);

const script: ModelScript = (context) => {
  const { prompt, turn } = context;
  const probe = /PROBE ([0-9a-f]{40})/.exec(prompt);
  if (probe) {
    if (turn === 0)
      return { toolUse: [{ name: "Write", input: { file_path: "probe.sh", content: `${PROBE}\n` } }] };
    if (turn === 1)
      return {
        toolUse: [{ name: "Bash", input: { command: `sh probe.sh ${probe[1]}`, description: "Probe" } }],
      };
    return { text: "Probed." };
  }
  return writer(context);
};

beforeAll(async () => {
  fixture = await startActionFixture({ httpRemote: true, script });
  const { harness } = fixture;
  historySha = await harness.commitOnRemote({
    branch: "main",
    files: { "history.txt": "first version\n", "shared.txt": SHARED_BEFORE },
  });
  // main moves on: history.txt and the tasks file as they were are then in the history only.
  const tasks = JSON.parse(await harness.remoteFile("main", "tasks/tasks.json")) as {
    tasks: Array<{ id: string; prompt: string }>;
  };
  for (const task of tasks.tasks) if (task.id === "greet") task.prompt = "Create hello.txt, a newer prompt.";
  mainSha = await harness.commitOnRemote({
    branch: "main",
    files: { "history.txt": "second version\n", "tasks/tasks.json": JSON.stringify(tasks) },
  });
  // Two dependencies that change the same file in different places: the merge reads all three
  // versions of it, two of which the checkout does not have.
  depA = await harness.commitOnRemote({
    branch: "dep-a",
    files: { "a.txt": "from a\n", "shared.txt": SHARED_BEFORE.replace("one", "ONE (a)") },
  });
  depB = await harness.commitOnRemote({
    branch: "dep-b",
    files: { "b.txt": "from b\n", "shared.txt": SHARED_BEFORE.replace("five", "FIVE (b)") },
  });
});

afterAll(async () => {
  await fixture?.close();
});

/** Tree, parents and subject of the branch's tip and of the commit below it (the merge). */
async function shape(branch: string): Promise<string[]> {
  const { bare } = fixture.harness;
  return [
    await git(bare, "log", "-1", "--format=%T %s", branch),
    await git(bare, "log", "-1", "--format=%T %P %s", `${branch}^`),
  ];
}

// Each test runs the Claude Code CLI; a loaded machine needs more than the default minute.
describe("the Action in a blobless partial clone", { timeout: 180_000 }, () => {
  it("merges a dependency branch into the other's, as in a full clone, fetching the contents it lacks", async () => {
    const { harness } = fixture;
    const inputs = (branch: string) =>
      fixture.taskInputs("greet", { branch, tasks_ref: mainSha, dependency_branches: "dep-a dep-b" });
    const partial = await harness.runAction({
      inputs: inputs("orchestrator/greet-partial"),
      env: fixture.modelEnv(),
      partialClone: true,
    });
    expect(partial.errors).toEqual([]);
    expect(partial.exitCode).toBe(0);
    // It was a partial clone, and stays one: old contents were not fetched wholesale.
    expect(await git(partial.workspace, "config", "remote.origin.promisor")).toBe("true");
    const objects = await git(partial.workspace, "rev-list", "--objects", "--all", "--missing=print");
    expect(objects.split("\n").filter((line) => line.startsWith("?")).length).toBeGreaterThan(0);

    const full = await harness.runAction({
      inputs: inputs("orchestrator/greet-full"),
      env: fixture.modelEnv(),
    });
    expect(full.errors).toEqual([]);
    expect(await git(full.workspace, "config", "--default", "none", "remote.origin.promisor")).toBe("none");

    const [tip, merge] = await shape("orchestrator/greet-partial");
    expect([tip, merge]).toEqual(await shape("orchestrator/greet-full"));
    expect(merge).toMatch(
      new RegExp(`^[0-9a-f]{40} ${depA} ${depB} Merge dependency branch dep-b for task greet$`),
    );
    expect(await harness.remoteFile("orchestrator/greet-partial", "shared.txt")).toBe(
      "ONE (a)\ntwo\nthree\nfour\nFIVE (b)",
    );
    expect(await harness.remoteFile("orchestrator/greet-partial", "hello.txt")).toBe("Hello, world!");
  });

  it("reads the tasks file at a tasks_ref whose contents the checkout lacks", async () => {
    const { harness, model } = fixture;
    const before = model.requests.length;
    const result = await harness.runAction({
      // The fixture's first commit: its tasks file is not the one main has now.
      inputs: fixture.taskInputs("greet", { branch: "orchestrator/greet-old-tasks" }),
      env: fixture.modelEnv(),
      partialClone: true,
    });
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    const asked = JSON.stringify(model.requests.slice(before).find((r) => r.kind === "conversation")?.body);
    expect(asked).toContain("Create hello.txt with a greeting.");
    expect(asked).not.toContain("a newer prompt");
  });

  it("gives the agent no token: its git cannot fetch old contents, and the token is nowhere it can read", async () => {
    const { harness } = fixture;
    const server = harness.gitServer;
    const refusedBefore = server?.refused ?? 0;
    const result = await harness.runAction({
      inputs: {
        session_id: "acme:widgets:777",
        task_id: "probe",
        attempt: "1",
        prompt: `PROBE ${historySha}`,
        branch: "orchestrator/probe",
        base_branch: "main",
        timeout_minutes: "5",
        allowed_tools: "Bash",
      },
      env: fixture.modelEnv(),
      partialClone: true,
    });
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);

    // The agent's git asked the remote for the old contents without a token, and was refused.
    expect(await harness.remoteFile("orchestrator/probe", "old.txt").catch(() => "")).toBe("");
    expect(await harness.remoteFile("orchestrator/probe", "old-err.txt")).toContain("git show failed");
    expect(server?.refused ?? 0).toBeGreaterThan(refusedBefore);

    const { token } = harness;
    const forms = [token, Buffer.from(`x-access-token:${token}`).toString("base64")];
    for (const file of ["config.txt", "env.txt"]) {
      const text = await harness.remoteFile("orchestrator/probe", file);
      expect(text.length).toBeGreaterThan(0);
      for (const form of forms) expect(text, `${file} holds the token`).not.toContain(form);
    }
    for (const form of forms) expect(result.stdout + result.stderr).not.toContain(form);
  });
});
