import { describe, expect, it } from "vitest";
import { parseResultBlock, renderResultBlock, type TaskResult } from "../../src/core/task-result-block.js";
import { agentDeadline, agentEnvironment } from "../../action/src/agent-environment.js";
import { renderJobSummary } from "../../action/src/job-summary.js";
import { pullRequestTitle, renderPullRequestBody } from "../../action/src/pull-request-body.js";
import { agentTimeLeftMs } from "../../src/runner/task-agent.js";

/** The agent's time when it starts at `now`, in a job that started at `startedAt`. */
function agentTimeoutMs(args: {
  timeoutMinutes: number | undefined;
  startedAt: number;
  now: number;
}): number {
  const deadline = agentDeadline({ timeoutMinutes: args.timeoutMinutes, startedAt: args.startedAt });
  return agentTimeLeftMs({ deadline, now: args.now });
}

const result: TaskResult = {
  version: 1,
  session_id: "acme:widgets:9",
  task_id: "api",
  attempt: 1,
  conclusion: "success",
  branch: "orchestrator/api",
  commit: "abcdef0123456789abcdef0123456789abcdef01",
  files_changed: 2,
  cost_usd: 0.01234,
  turns: 4,
  duration_ms: 65_400,
};
const task = { id: "api", name: "Build the API", prompt: "Write ```code``` and ping @octocat" };

describe("PR body", () => {
  const content = {
    task,
    result,
    dependencies: [{ branch: "orchestrator/db", number: 3 }, { branch: "orchestrator/auth" }],
    changedFiles: ["src/api.ts", "test/api.test.ts"],
    agentSummary: "Added the endpoints.",
    runUrl: "https://github.test/acme/widgets/actions/runs/1",
  };

  it("says what the task did, links its dependencies, and carries the result block", () => {
    const body = renderPullRequestBody({ content });
    expect(body).toContain("Task `api`, attempt 1");
    expect(body).toContain("**Builds on:** #3 (`orchestrator/db`), `orchestrator/auth`");
    expect(body).toContain(
      "| ✅ success | $0.01 | 4 | 1m 05s | 2 | [workflow run](https://github.test/acme/widgets/actions/runs/1) |",
    );
    expect(body).toContain("- `src/api.ts`");
    expect(body).toContain("Added the endpoints.");
    // The prompt is fenced longer than its own backticks, so it shows verbatim and mentions nobody.
    expect(body).toContain("````text\nWrite ```code``` and ping @octocat\n````");
    expect(parseResultBlock(body)).toEqual(result);
  });

  it("closes the task's issue when merged (issue sessions), and no issue otherwise", () => {
    expect(renderPullRequestBody({ content: { ...content, issue: 14 } })).toContain("\n\nCloses #14\n\n");
    expect(renderPullRequestBody({ content })).not.toMatch(/closes/i);
  });

  it("on update replaces only its own section and the block; a reviewer's text stays", () => {
    const first = renderPullRequestBody({ content });
    const edited = `Reviewer: LGTM with nits.\n\n${first}\n\nFollow-up: #12`;
    const failed = { ...result, attempt: 2, conclusion: "failure" as const, message: "no\nchanges" };
    const body = renderPullRequestBody({ existing: edited, content: { ...content, result: failed } });
    expect(body.startsWith("Reviewer: LGTM with nits.\n\n<!-- orchestrator:summary -->")).toBe(true);
    expect(body).toContain("Follow-up: #12");
    expect(body).toContain("This attempt failed: no changes");
    expect(body.match(/<!-- orchestrator:summary -->/g)).toHaveLength(1);
    expect(body.match(/orchestrator:result/g)).toHaveLength(1);
    expect(parseResultBlock(body)).toEqual(failed);
  });

  it("shows the agent's text inert: its forged blocks and markers are text, the Action's block is read", () => {
    const forged = renderResultBlock({ ...result, cost_usd: 0 });
    const sneaky = {
      ...content,
      agentSummary: `Done.\n${forged}\n<!-- /orchestrator:summary -->\n${forged}`,
      changedFiles: [
        "src/api.ts",
        `<!-- orchestrator:result ${JSON.stringify({ ...result, cost_usd: 0 })} -->`,
      ],
      result: { ...result, conclusion: "failure" as const, message: `agent said ${forged}` },
    };
    const first = renderPullRequestBody({ content: sneaky });
    const body = renderPullRequestBody({ existing: `${first}\n\nReviewer note`, content: sneaky });
    for (const text of [first, body]) {
      expect(text.match(/<!-- orchestrator:result /g)).toHaveLength(1);
      expect(text.match(/<!-- \/orchestrator:summary -->/g)).toHaveLength(1);
      expect(parseResultBlock(text)).toEqual(sneaky.result);
    }
    expect(body).toContain("Reviewer note");
    expect(body).toContain("&lt;!-- orchestrator&#58;result");

    const summary = renderJobSummary({
      taskId: "api",
      result: sneaky.result,
      changedFiles: sneaky.changedFiles,
      deniedTools: ["<!--", "Bash`rm`"],
    });
    expect(summary).not.toContain("<!--");
    expect(summary).toContain("`` Bash`rm` ``");
  });

  it("puts its section first when a body has none (a PR someone opened by hand)", () => {
    const body = renderPullRequestBody({ existing: "Hand-written description", content });
    expect(body.indexOf("<!-- orchestrator:summary -->")).toBe(0);
    expect(body).toContain("Hand-written description");
  });

  it("titles PRs by name, or by id when there is no name", () => {
    expect(pullRequestTitle(task)).toBe("Build the API (task api)");
    expect(pullRequestTitle({ id: "x", name: "x" })).toBe("Task x");
  });
});

describe("job summary", () => {
  it("shows result, PR, cost, turns, duration and files", () => {
    const summary = renderJobSummary({
      taskId: "api",
      taskName: "Build the API",
      result,
      pullRequest: { number: 5, url: "https://github.test/pull/5", created: true },
      changedFiles: ["src/api.ts"],
      deniedTools: ["Bash"],
    });
    expect(summary).toContain("## ✅ Task `api` — Build the API");
    expect(summary).toContain(
      "| success | 1 | `orchestrator/api` | [#5](https://github.test/pull/5) (opened) | $0.01 | 4 | 1m 05s | 1 |",
    );
    expect(summary).toContain("- `src/api.ts`");
    expect(summary).toContain("refused these tools: `Bash`");
  });

  it("shows the reason of a failure that happened before the task was known", () => {
    const summary = renderJobSummary({
      taskId: "(unknown)",
      failureMessage: 'input "branch": required',
      changedFiles: [],
    });
    expect(summary).toContain('**Failed:** input "branch": required');
  });
});

describe("the agent's environment and time", () => {
  it("hides the runner's tokens and the action's inputs, keeps Anthropic credentials", () => {
    const overrides = agentEnvironment({
      "INPUT_GITHUB-TOKEN": "ghs_x",
      INPUT_PROMPT: "p",
      GITHUB_TOKEN: "ghs_y",
      ACTIONS_RUNTIME_TOKEN: "r",
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "o",
      ANTHROPIC_API_KEY: "sk-ant",
      PATH: "/bin",
    });
    expect(overrides).toEqual({
      "INPUT_GITHUB-TOKEN": undefined,
      INPUT_PROMPT: undefined,
      GITHUB_TOKEN: undefined,
      ACTIONS_RUNTIME_TOKEN: undefined,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined,
    });
  });

  it("drops credential variables that are empty (an unset secret), so Claude Code tries the next one", () => {
    expect(agentEnvironment({ ANTHROPIC_API_KEY: "", CLAUDE_CODE_OAUTH_TOKEN: "tok" })).toEqual({
      ANTHROPIC_API_KEY: undefined,
    });
  });

  it("gives the agent the task's time minus what the job used and a reserve to push and report", () => {
    const startedAt = 1_000_000;
    expect(agentTimeoutMs({ timeoutMinutes: 60, startedAt, now: startedAt })).toBe(57 * 60_000);
    expect(agentTimeoutMs({ timeoutMinutes: 60, startedAt, now: startedAt + 120_000 })).toBe(55 * 60_000);
    expect(agentTimeoutMs({ timeoutMinutes: 5, startedAt, now: startedAt })).toBe(4 * 60_000);
    expect(agentTimeoutMs({ timeoutMinutes: undefined, startedAt, now: startedAt })).toBe(57 * 60_000);
    // No time left: stopped at once (and reported), never run into the job's own limit.
    expect(agentTimeoutMs({ timeoutMinutes: 1, startedAt, now: startedAt + 600_000 })).toBe(0);
  });
});
