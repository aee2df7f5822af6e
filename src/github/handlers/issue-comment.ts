import type { Context } from "probot";
import { COMMAND_HELP, parseCommand, type OrchestrateCommand } from "../../core/parse-command.js";
import type { SessionOptions } from "../../core/session-options.js";
import { describeApiError, type GitHubClient, type RepoRef } from "../github-client.js";
import {
  advanceSession,
  cancelSession,
  logWarnings,
  giveInput,
  retrySession,
  sessionWarnings,
  startSession,
  type CommandResult,
  type StartSessionResult,
  type WarningLog,
} from "../sessions/index.js";
import type { AppService } from "../app-service.js";
import { proposalSessionInComment } from "../../core/render-proposal.js";
import { approvePlan } from "../sessions/approve-plan.js";
import { startPlanSession } from "../sessions/start-plan.js";
import { latestSessionOnIssue } from "./latest-session.js";
import { reviseFromComment } from "./revise-command.js";
import { isAllowedBot, repositoryPermission } from "./repository-permission.js";
import { sessionInRepository } from "./same-repository.js";

/**
 * `/orchestrate …` in an issue or pull request comment (DESIGN §5). Only people who can push
 * may command the App; bots (this App included) are ignored before any API call. The 👀
 * reaction acknowledges a command and doubles as its claim: GitHub answers 200 instead of 201
 * when the reaction is already there, so a redelivered comment does not start a second session.
 * The session itself answers in its status comment; this handler replies only for refusals and
 * problems (the use-cases return them; only handlers write on issues).
 */
export async function handleIssueComment(
  context: Context<"issue_comment.created">,
  service: AppService,
): Promise<void> {
  const { comment, sender, issue } = context.payload;
  // Bots are ignored without a word (no reply loops), unless the operator allowed them by name.
  const allowedBot = isAllowedBot(sender.login, service.commandPolicy);
  if ((sender.type === "Bot" || comment.user?.type === "Bot") && !allowedBot) return;
  if (comment.performed_via_github_app?.id === service.appId) return;
  const parsed = parseCommand(comment.body ?? "");
  if (parsed === null) return;

  const client = context.octokit as GitHubClient;
  const repo = context.repo();
  const talk = new CommentTalk({
    client,
    repo,
    issueNumber: issue.number,
    commentId: comment.id,
    login: sender.login,
  });
  const permission = allowedBot
    ? { allowed: true, role: "allowed bot" }
    : await repositoryPermission({ client, repo, username: sender.login });
  if (!permission.allowed) {
    await talk.react("confused");
    await talk.reply(
      `only people with write, maintain or admin permission on ${repo.owner}/${repo.repo} can run orchestrator ` +
        `commands; your permission is \`${permission.role}\`.`,
    );
    return;
  }
  if (!parsed.ok) {
    await talk.react("confused");
    await talk.reply(`${parsed.error}\n\n${COMMAND_HELP}`);
    return;
  }
  const claim = await talk.react("eyes");
  if (claim === "existed") {
    context.log.info({ commentId: comment.id }, "command already acknowledged (a redelivery): not run again");
    return;
  }
  try {
    await runCommand({
      command: parsed.command,
      client,
      repo,
      talk,
      service,
      issueNumber: issue.number,
      hasSubIssues: hasSubIssues(issue),
      onPullRequest: issue.pull_request !== undefined && issue.pull_request !== null,
      actor: sender.login,
      log: context.log,
    });
  } catch (error) {
    // The command was claimed: say what went wrong rather than have the delivery retried.
    context.log.error({ err: error, commentId: comment.id }, "command failed");
    await talk.react("confused");
    await talk.reply(`the command failed: ${describeApiError(error)}. Try again in a minute.`);
  }
}

async function runCommand(args: {
  command: OrchestrateCommand;
  client: GitHubClient;
  repo: RepoRef;
  talk: CommentTalk;
  service: AppService;
  issueNumber: number;
  /** The issue has sub-issues (from the webhook's payload: no request). */
  hasSubIssues: boolean;
  /** The comment is on a pull request (from the payload). */
  onPullRequest: boolean;
  actor: string;
  log: WarningLog;
}): Promise<void> {
  const { command, client, repo, talk, service, actor, log } = args;
  const { config, runtime } = service;
  if (command.kind === "help") {
    await talk.reply(COMMAND_HELP);
    return;
  }
  if (command.kind === "revise") {
    const answer = await reviseFromComment({ ...args, text: command.text, service });
    if (!answer.ok) await talk.react("confused");
    await talk.reply(answer.message);
    return;
  }
  if (command.kind === "start" || command.kind === "plan") {
    const trigger = {
      kind: "comment" as const,
      actor,
      issueNumber: args.issueNumber,
      commentId: talk.commentId,
    };
    const common = { client, repo, trigger, config, runtime };
    let result: StartSessionResult;
    if (command.kind === "plan") {
      result = await startPlanSession({
        ...common,
        issueNumber: args.issueNumber,
        budgetUsd: command.budgetUsd,
      });
    } else {
      const { kind: _start, ...given } = command;
      result = await startSession({ ...common, options: withIssueGraph(given, args) });
    }
    logWarnings(log, result.warnings);
    // A started session answers in its status comment; why nothing started is said here.
    if (!result.ok) {
      await talk.react("confused");
      await talk.post(notStartedReply(result));
    }
    return;
  }
  if (command.kind === "approve") {
    await approve({ ...args, command });
    return;
  }

  const sessionId =
    command.sessionId ??
    (await latestSessionOnIssue({ client, repo, issueNumber: args.issueNumber, appId: service.appId }));
  if (sessionId === null) {
    await talk.react("confused");
    await talk.reply("no orchestrator session was started from this issue; name one with `--session ID`.");
    return;
  }
  if (!sessionInRepository(sessionId, repo)) {
    await talk.react("confused");
    await talk.reply(`\`${sessionId}\` is not a session of ${repo.owner}/${repo.repo}.`);
    return;
  }

  if (command.kind === "status") {
    const result = await runtime.queue.run(sessionId, () =>
      advanceSession({ client, sessionId, input: { refreshComment: true }, config, runtime }),
    );
    if (!result) {
      await talk.react("confused");
      await talk.reply(`no orchestrator session \`${sessionId}\` was found.`);
      return;
    }
    logWarnings(log, sessionWarnings(sessionId, result.warnings));
    // Sessions started elsewhere (API, dispatch, another issue) have no status comment here.
    if (result.status.statusComment?.issueNumber !== args.issueNumber) {
      const link = result.status.checkRunUrl ? ` ([Checks tab](${result.status.checkRunUrl}))` : "";
      await talk.reply(`session \`${sessionId}\`: ${result.status.summary}${link}`);
    }
    return;
  }
  const outcome: CommandResult =
    command.kind === "retry"
      ? await retrySession({ client, sessionId, tasks: command.target, actor, config, runtime })
      : command.kind === "answer"
        ? await giveInput({
            client,
            sessionId,
            command: { kind: "answer", taskId: command.taskId, text: command.text },
            actor,
            config,
            runtime,
          })
        : await cancelSession({ client, sessionId, actor, config, runtime });
  logWarnings(log, outcome.warnings);
  if (!outcome.ok) {
    await talk.react("confused");
    await talk.reply(outcome.error.message);
  }
}

/**
 * `/orchestrate approve [--start]`: the latest proposal shown on this issue (or the session named)
 * becomes sub-issues; with `--start` an issue session runs them at once.
 */
async function approve(args: {
  command: Extract<OrchestrateCommand, { kind: "approve" }>;
  client: GitHubClient;
  repo: RepoRef;
  talk: CommentTalk;
  service: AppService;
  issueNumber: number;
  actor: string;
  log: WarningLog;
}): Promise<void> {
  const { command, client, repo, talk, service, log } = args;
  const { config, runtime } = service;
  const sessionId =
    command.sessionId ??
    (await latestSessionOnIssue({
      client,
      repo,
      issueNumber: args.issueNumber,
      appId: service.appId,
      find: proposalSessionInComment,
    }));
  if (sessionId === null) {
    await talk.react("confused");
    await talk.reply("there is no proposal on this issue to approve: `/orchestrate plan` asks for one.");
    return;
  }
  if (!sessionInRepository(sessionId, repo)) {
    await talk.react("confused");
    await talk.reply(`\`${sessionId}\` is not a session of ${repo.owner}/${repo.repo}.`);
    return;
  }
  const approved = await approvePlan({
    client,
    repo,
    sessionId,
    issueNumber: args.issueNumber,
    config,
    runtime,
  });
  logWarnings(log, approved.warnings);
  if (!approved.ok) {
    await talk.react("confused");
    await talk.reply(approved.message);
    return;
  }
  const list = (numbers: number[]) => numbers.map((number) => `#${number}`).join(", ");
  const parts = [
    approved.created.length > 0 ? `created ${list(approved.created)}` : "",
    approved.existing.length > 0 ? `${list(approved.existing)} already existed` : "",
    approved.linked > 0
      ? `added ${approved.linked} "blocked by" link${approved.linked === 1 ? "" : "s"}`
      : "",
  ].filter((part) => part !== "");
  const made = `Approved: ${parts.join("; ") || "nothing was missing"}.`;
  if (!command.start) {
    await talk.post(`${made} Comment \`/orchestrate\` here to run them.`);
    return;
  }
  const started = await startSession({
    client,
    repo,
    options: { issue: approved.parent },
    trigger: { kind: "comment", actor: args.actor, issueNumber: args.issueNumber, commentId: talk.commentId },
    config,
    runtime,
  });
  logWarnings(log, started.warnings);
  if (started.ok) await talk.post(`${made} Started session \`${started.sessionId}\`.`);
  else {
    await talk.react("confused");
    await talk.post(`${made}\n\n${notStartedReply(started)}`);
  }
}

/**
 * `/orchestrate` on an issue that has sub-issues runs them (an issue session), unless the command
 * names a tasks file or another issue. The payload tells, so a comment elsewhere costs no request.
 */
function withIssueGraph(
  options: SessionOptions,
  args: { hasSubIssues: boolean; issueNumber: number },
): SessionOptions {
  if (!args.hasSubIssues || options.file !== undefined || options.issue !== undefined) return options;
  return { ...options, issue: args.issueNumber };
}

function hasSubIssues(issue: {
  pull_request?: unknown;
  sub_issues_summary?: { total?: number } | undefined;
}): boolean {
  if (issue.pull_request !== undefined && issue.pull_request !== null) return false;
  return (issue.sub_issues_summary?.total ?? 0) > 0;
}

/** Why nothing started, with a link to the failed check run when one records the problems. */
function notStartedReply(result: Extract<StartSessionResult, { ok: false }>): string {
  const url = result.status?.checkRunUrl;
  const details = url === undefined ? "" : `\n\nDetails on the [Checks tab](${url}).`;
  return `### ❌ Orchestrator: nothing was started\n\n${result.error.message}${details}`;
}

/** Reactions and replies on the comment that held the command. */
class CommentTalk {
  constructor(
    private readonly target: {
      client: GitHubClient;
      repo: RepoRef;
      issueNumber: number;
      commentId: number;
      login: string;
    },
  ) {}

  get commentId(): number {
    return this.target.commentId;
  }

  /** "existed" when the App had already reacted so (GitHub answers 200 rather than 201). */
  async react(content: "eyes" | "confused"): Promise<"created" | "existed" | "failed"> {
    const { client, repo, commentId } = this.target;
    try {
      const response = await client.request(
        "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
        {
          ...repo,
          comment_id: commentId,
          content,
        },
      );
      return response.status === 200 ? "existed" : "created";
    } catch {
      // A reaction is a courtesy (and a best-effort claim): its failure must not stop the command.
      return "failed";
    }
  }

  /** A reply addressed to the person who commanded. */
  async reply(message: string): Promise<void> {
    await this.post(`@${this.target.login} ${message}`);
  }

  async post(body: string): Promise<void> {
    const { client, repo, issueNumber } = this.target;
    await client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      ...repo,
      issue_number: issueNumber,
      body,
    });
  }
}
