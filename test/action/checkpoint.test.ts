import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseResultBlock } from "../../src/core/task-result-block.js";
import type { ModelScript } from "../../src/demo/scripted-model-server.js";
import { withGrowingTimeout } from "../runner/process-tree-probe.js";
import { git, type ActionHarness } from "./action-harness.js";
import { startActionFixture, type ActionFixture } from "./action-fixture.js";

/**
 * The bundled action on a runner-like environment, with the real Claude Code CLI on the scripted
 * model: a run with feedback builds on the task's existing branch; a run stopped by its deadline
 * pushes its work as a checkpoint, says so on a draft pull request and in its result block
 * (`timed_out`), and the next attempt goes on from it.
 */

const script: ModelScript = (context) => {
  const write = (path: string, content: string) => ({
    toolUse: [{ name: "Write", input: { file_path: path, content } }],
  });
  if (context.prompt.includes("ran out of time"))
    return context.turn === 0 ? write("part2.txt", "two\n") : { text: "Finished from the checkpoint." };
  if (context.prompt.includes("Make it louder"))
    return context.turn === 0 ? write("louder.txt", "HELLO\n") : { text: "Made it louder." };
  if (context.prompt.includes("SLOW"))
    return context.turn === 0 ? write("part1.txt", "one\n") : { hang: true };
  return context.turn === 0 ? write("hello.txt", "hello\n") : { text: "Wrote hello.txt." };
};

let fixture: ActionFixture;
let harness: ActionHarness;

beforeAll(async () => {
  fixture = await startActionFixture({ script });
  ({ harness } = fixture);
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

/** Answers GraphQL requests on loopback with an empty success, recording their bodies. */
async function startGraphqlStub(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      bodies.push(body);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: { markPullRequestReadyForReview: { clientMutationId: null } } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function inline(taskId: string, prompt: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    session_id: "acme:widgets:778",
    task_id: taskId,
    attempt: "1",
    prompt,
    branch: `orchestrator/${taskId}`,
    base_branch: "main",
    timeout_minutes: "5",
    ...extra,
  };
}

describe("the action and existing work", { timeout: 600_000 }, () => {
  it("with feedback, builds on the task's branch: the earlier attempt's commit is kept under the new one", async () => {
    const first = await harness.runAction({
      inputs: inline("hello", "Write hello."),
      env: fixture.modelEnv(),
    });
    expect(first.errors).toEqual([]);
    const firstTip = (await harness.remoteSha("orchestrator/hello")) as string;

    const second = await harness.runAction({
      inputs: inline("hello", "Write hello.", { attempt: "2", feedback: "Make it louder, please." }),
      env: fixture.modelEnv(),
    });

    expect(second.errors).toEqual([]);
    const tip = (await harness.remoteSha("orchestrator/hello")) as string;
    expect(await git(harness.bare, "merge-base", "--is-ancestor", firstTip, tip)).toBe("");
    expect(await git(harness.bare, "rev-list", "--count", "main..orchestrator/hello")).toBe("2");
    expect(await harness.remoteFile("orchestrator/hello", "hello.txt")).toBe("hello");
    expect(await harness.remoteFile("orchestrator/hello", "louder.txt")).toBe("HELLO");
  });

  it("stopped by its deadline, pushes a checkpoint and says so; the next attempt goes on from it", async () => {
    const hanging = () =>
      fixture.model.requests.filter((request) => request.reply !== undefined && "hang" in request.reply)
        .length;
    let hangingBefore = 0;
    let n = 0;
    // The deadline must strike while the CLI waits on its second turn, after the Write ran: a
    // machine too busy to get there in a one-minute task's time gets a longer task.
    const { id, run } = await withGrowingTimeout(
      [1, 3],
      async (minutes) => {
        hangingBefore = hanging();
        const id = `slow-${++n}`;
        const run = await harness.runAction({
          inputs: inline(id, "SLOW: write part1.txt, then part2.txt.", { timeout_minutes: String(minutes) }),
          env: fixture.modelEnv(),
        });
        return { id, run };
      },
      // The CLI asked for its second turn: the Write ran before the deadline stopped it.
      () => hanging() > hangingBefore,
    );
    const branch = `orchestrator/${id}`;

    expect(run.exitCode).not.toBe(0);
    const checkpoint = (await harness.remoteSha(branch)) as string;
    expect(await harness.remoteFile(branch, "part1.txt")).toBe("one");
    expect(await git(harness.bare, "show", "-s", "--format=%(trailers:only,unfold)", checkpoint)).toContain(
      "Orchestrator-Checkpoint: 1",
    );
    const [pull] = fixture.pullsFor(branch);
    expect(pull?.draft).toBe(true);
    expect(pull?.body).toContain(
      `kept as checkpoint ${checkpoint.slice(0, 12)}, pushed to ${branch} on origin`,
    );
    expect(pull?.body).toContain(
      "The branch holds a checkpoint of the work so far; the next attempt goes on from it.",
    );
    expect(parseResultBlock(pull?.body)).toMatchObject({
      conclusion: "failure",
      failure_kind: "timed_out",
      commit: checkpoint,
    });

    // The fake GitHub speaks REST only: marking the draft ready (GraphQL) is answered here.
    const graphql = await startGraphqlStub();
    const next = await harness
      .runAction({
        inputs: inline(id, "SLOW: write part1.txt, then part2.txt.", { attempt: "2" }),
        env: { ...fixture.modelEnv(), GITHUB_GRAPHQL_URL: `${graphql.url}/graphql` },
      })
      .finally(() => graphql.close());

    expect(next.errors).toEqual([]);
    const tip = (await harness.remoteSha(branch)) as string;
    expect(await git(harness.bare, "merge-base", "--is-ancestor", checkpoint, tip)).toBe("");
    expect(await harness.remoteFile(branch, "part1.txt")).toBe("one");
    expect(await harness.remoteFile(branch, "part2.txt")).toBe("two");
    expect(parseResultBlock(fixture.pullsFor(branch)[0]?.body)).toMatchObject({
      attempt: 2,
      conclusion: "success",
      commit: tip,
    });
    // The draft opened for the timed-out attempt is marked ready now that the task succeeded.
    expect(graphql.bodies).toHaveLength(1);
    expect(graphql.bodies[0]).toContain("markPullRequestReadyForReview");
  });
});
