import { checkProposal } from "../../core/plan-proposal.js";
import { approvalSteps, missingLinks, plannedIssueBody } from "../../core/proposal-issues.js";
import { describeApiError, type GitHubClient, type RepoRef } from "../github-client.js";
import { IssueGraphReadError, readIssueGraph } from "../issue-graph/read-issue-graph.js";
import { advanceSession } from "./advance-session.js";
import type { AppConfig } from "./app-config.js";
import { loadSession } from "./load-session.js";
import type { SessionRuntime } from "./session-runtime.js";
import { sessionWarnings, type Warning } from "./warnings.js";

export type ApprovePlanResult =
  | {
      ok: true;
      /** Sub-issues made now, and those an earlier approval had made. */
      created: number[];
      existing: number[];
      /** "Blocked by" links added now. */
      linked: number;
      parent: number;
      warnings: Warning[];
    }
  | { ok: false; message: string; warnings: Warning[] };

/**
 * `/orchestrate approve`: the planner session's proposal (checked again: an agent wrote it)
 * becomes sub-issues of the planned issue, each with its prompt and options, and the proposal's
 * edges become "blocked by" links. What an earlier, interrupted approval made is found by its
 * marker (core/proposal-issues.ts) and not made again. Nothing is created before this command.
 * The session records what was made, so its comment shows the issue numbers.
 */
export async function approvePlan(args: {
  client: GitHubClient;
  repo: RepoRef;
  sessionId: string;
  issueNumber: number;
  config: AppConfig;
  runtime: SessionRuntime;
}): Promise<ApprovePlanResult> {
  const { client, repo, sessionId, config, runtime } = args;
  const refuse = (message: string): ApprovePlanResult => ({ ok: false, message, warnings: [] });
  const session =
    runtime.unsaved.get(sessionId)?.session ?? (await loadSession({ client, sessionId, config }));
  if (!session) return refuse(`no orchestrator session \`${sessionId}\` was found.`);
  const planner = session.record.planner;
  if (!planner)
    return refuse(`session \`${sessionId}\` is not a plan: start one with \`/orchestrate plan\`.`);
  if (planner.issue !== args.issueNumber)
    return refuse(`session \`${sessionId}\` planned #${planner.issue}: approve it there.`);
  if (planner.proposal === undefined) {
    return refuse(
      session.record.outcome === undefined
        ? "the planner is still working: approve once its proposal is shown here."
        : "the planner made no proposal (its task did not succeed): see the session, then `/orchestrate plan` again.",
    );
  }
  const checked = checkProposal(planner.proposal);
  if (!checked.ok) return refuse(`the proposal is not usable: ${checked.problems.join("; ")}`);
  const { proposal } = checked;

  let snapshot;
  try {
    ({ snapshot } = await readIssueGraph({ client, ...repo, issueNumber: planner.issue }));
  } catch (error) {
    if (error instanceof IssueGraphReadError) return refuse(error.message);
    throw error;
  }
  const subIssues = snapshot.subIssues
    .filter((sub) => sub.repository === undefined)
    .map((sub) => ({
      number: sub.number,
      id: sub.id,
      body: sub.body,
      blockedBy: sub.blockedBy.map((b) => b.id),
    }));
  const steps = approvalSteps({ proposal, sessionId, subIssues });
  const issues = { ...steps.existing };
  const created: number[] = [];
  const failed = (what: string, error: unknown): ApprovePlanResult => {
    const made = created.length === 0 ? "" : ` (made so far: ${created.map((n) => `#${n}`).join(", ")})`;
    return refuse(
      `${what}: ${describeApiError(error)}${made}. \`/orchestrate approve\` again goes on from there.`,
    );
  };
  for (const task of steps.create) {
    let issue;
    try {
      ({ data: issue } = await client.request("POST /repos/{owner}/{repo}/issues", {
        ...repo,
        title: task.title,
        body: plannedIssueBody(task, sessionId),
      }));
      await client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/sub_issues", {
        ...repo,
        issue_number: planner.issue,
        sub_issue_id: Number(issue.id),
      });
    } catch (error) {
      return failed(`could not create the sub-issue for \`${task.id}\``, error);
    }
    issues[task.id] = { number: issue.number, id: Number(issue.id) };
    created.push(issue.number);
  }
  const blockedBy = new Map(subIssues.map((sub) => [sub.id, sub.blockedBy]));
  // A closed sub-issue is done: its links were not read (only open ones' are) and matter no more.
  const closed = new Set(snapshot.subIssues.filter((sub) => sub.state === "closed").map((sub) => sub.number));
  const links = missingLinks({ proposal, issues, blockedBy }).filter((link) => !closed.has(link.issue));
  for (const link of links) {
    try {
      await client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by", {
        ...repo,
        issue_number: link.issue,
        issue_id: link.blocker.id,
      });
    } catch (error) {
      return failed(`could not mark #${link.issue} as blocked by #${link.blocker.number}`, error);
    }
  }

  const numbers = Object.fromEntries(Object.entries(issues).map(([task, issue]) => [task, issue.number]));
  const advanced = await runtime.queue.run(sessionId, () =>
    advanceSession({
      client,
      sessionId,
      input: { command: { kind: "plan_approved", created: numbers } },
      config,
      runtime,
    }),
  );
  return {
    ok: true,
    created,
    existing: Object.values(steps.existing).map((issue) => issue.number),
    linked: links.length,
    parent: planner.issue,
    warnings: sessionWarnings(sessionId, advanced?.warnings ?? []),
  };
}
