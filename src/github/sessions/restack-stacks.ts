import { dependentsOnBranchOf } from "../../core/restack-plan.js";
import type { TaskGraph } from "../../core/task-graph.js";
import { describeApiError, httpStatus, type GitHubClient } from "../github-client.js";
import type { LoadedSession } from "./load-session.js";
import type { TaskView } from "./session-record.js";
import type { SessionRuntime } from "./session-runtime.js";

/**
 * GitHub's stacked pull requests (REST "Stacks API", public preview: `POST
 * /repos/{owner}/{repo}/stacks` with the pull request numbers bottom to top, `POST
 * .../stacks/{stack_number}/add` to put more on top, `GET .../stacks?pull_request=N` to find the
 * stack of one). When a task built on its dependency's branch alone succeeds, its pull request
 * (which targets that branch) is registered on top of the dependency's: GitHub then shows the
 * chain as a stack. Best effort: where the API answers 404 (not enabled for the repository, or
 * an older server) the App goes on without it and does not ask that repository again in this
 * process; other refusals are warnings. Restacking never depends on it.
 */

export async function registerStacks(args: {
  client: GitHubClient;
  session: LoadedSession;
  graph: TaskGraph;
  runtime: SessionRuntime;
  /** Attempt outcomes this pass recorded. */
  finished: ReadonlyArray<{ id: string; entry: TaskView }>;
  warnings: string[];
}): Promise<void> {
  const { session, graph } = args;
  const { record } = session;
  const repoKey = `${session.repo.owner}/${session.repo.repo}`.toLowerCase();
  for (const { id, entry } of args.finished) {
    if (args.runtime.noStacks.has(repoKey)) return;
    if (entry.status !== "succeeded" || entry.prNumber === undefined) continue;
    const dependency = graph.byId.get(id)?.dependencies[0];
    if (dependency === undefined || !dependentsOnBranchOf(graph, dependency).includes(id)) continue;
    const below = record.runs[dependency]?.prNumber;
    if (below === undefined || record.tasks[dependency]?.merged === true) continue;
    try {
      await stackOnTop({ client: args.client, session, below, top: entry.prNumber });
    } catch (error) {
      if (httpStatus(error) === 404) {
        args.runtime.noStacks.add(repoKey);
        return;
      }
      args.warnings.push(
        `could not stack pull request #${entry.prNumber} of ${id} on #${below} of ${dependency}: ${describeApiError(error)}`,
      );
    }
  }
}

/** Puts `top` on the stack whose top is `below`, or makes a stack of the two. */
async function stackOnTop(args: {
  client: GitHubClient;
  session: LoadedSession;
  below: number;
  top: number;
}): Promise<void> {
  const { client, session, below, top } = args;
  const { data: stacks } = await client.request("GET /repos/{owner}/{repo}/stacks", {
    ...session.repo,
    pull_request: below,
    per_page: 1,
  });
  const stack = stacks[0];
  if (stack === undefined) {
    await client.request("POST /repos/{owner}/{repo}/stacks", {
      ...session.repo,
      pull_requests: [below, top],
    });
    return;
  }
  const numbers = stack.pull_requests.map((pull) => pull.number);
  if (numbers.includes(top)) return;
  // Only on top: a stack grows upward, and `below` must be its top for `top` to follow it.
  if (numbers.at(-1) !== below) return;
  await client.request("POST /repos/{owner}/{repo}/stacks/{stack_number}/add", {
    ...session.repo,
    stack_number: stack.number,
    pull_requests: [top],
  });
}
