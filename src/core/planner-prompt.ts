import { LIMITS } from "./tasks-schema.js";
import { PROPOSAL_LIMITS } from "./plan-proposal.js";

/**
 * The planner's prompt: the goal (an issue's title and body, written by someone with write
 * access) and how to answer. The planner runs with read-only tools; its answer is a proposal a
 * person approves (plan-proposal.ts checks it), so the prompt asks for exactly that shape.
 */
export function plannerPrompt(args: {
  repository: string;
  issue: number;
  title: string;
  body: string;
}): string {
  return [
    `You are planning work in the repository ${args.repository}. Read the code as much as you need; do not change any file (you have read-only tools).`,
    "",
    `Split the goal below (issue #${args.issue}) into tasks that coding agents can each finish in one pull request.`,
    "Each task runs on its own branch, after the tasks it is blocked by; a task blocked by exactly one task builds on that task's branch.",
    "Prefer tasks that can run in parallel; keep each one focused enough to review.",
    "",
    "## The goal",
    "",
    `# ${args.title.trim()}`,
    "",
    args.body.trim() === "" ? "(no description)" : args.body.trim(),
    "",
    "## How to answer",
    "",
    "End your answer with one fenced ```json block holding an object of this shape, and nothing after it:",
    "",
    "```",
    "{",
    '  "summary": "one or two sentences on the approach",',
    '  "tasks": [',
    "    {",
    '      "id": "short-id",            // letters, digits, ".", "_", "-"',
    '      "title": "what the task does",  // becomes the sub-issue title',
    '      "prompt": "the full instructions for the agent, with the files and checks involved",',
    '      "blocked_by": ["other-id"],   // ids of tasks that must be done first (optional)',
    '      "estimate_minutes": 30,       // your estimate of the agent\'s time',
    '      "max_budget_usd": 2           // a spending cap for one attempt of the task',
    "    }",
    "  ]",
    "}",
    "```",
    "",
    `At most ${PROPOSAL_LIMITS.maxTasks} tasks; titles up to ${PROPOSAL_LIMITS.maxTitleLength} characters; ` +
      `prompts up to ${PROPOSAL_LIMITS.maxPromptLength}; at most ${LIMITS.maxDependencies} blockers per task; no cycles. ` +
      "Optional per task: timeout_minutes, retries, model.",
  ].join("\n");
}
