import type { Context } from "probot";
import { dispatchRefProblem } from "../../core/dispatch-ref.js";
import type { AppService } from "../app-service.js";
import type { GitHubClient } from "../github-client.js";
import { claimTrigger } from "../sessions/orchestrator-refs.js";
import {
  cancelSession,
  listActiveSessions,
  logWarnings,
  retrySession,
  startSession,
} from "../sessions/index.js";
import { isDispatchEventType, parseDispatchPayload, type DispatchRequest } from "./dispatch-payload.js";
import { senderMayCommand } from "./repository-permission.js";
import { sessionInRepository } from "./same-repository.js";

/**
 * `repository_dispatch` events (sent with a token that can write to the repository, e.g. from
 * curl or an iOS Shortcut; payloads in dispatch-payload.ts): parse, run, answer. Without
 * session_id, retry and cancel act on the repository's newest running session.
 *
 * Sending the event proves only a token that can write: a workflow's own token can (it acts as
 * `github-actions[bot]`, the task workflow's included, so an agent with a shell could send one).
 * So the sender is checked as for comments — bots refused unless the operator named them, people
 * need write access — and a session starts only from an allowed branch (core/dispatch-ref.ts),
 * never from a task branch. GitHub answers the sender 204 before we see the event, so a refusal
 * is logged (with its reason) and nothing is started; the session's check run shows the rest.
 */
export async function handleRepositoryDispatch(
  context: Context<"repository_dispatch">,
  service: AppService,
): Promise<void> {
  const eventType = context.payload.action;
  if (!isDispatchEventType(eventType)) return;
  const repo = context.repo();
  const refuse = (message: string): void => {
    context.log.warn(
      { eventType, repository: `${repo.owner}/${repo.repo}` },
      `repository_dispatch refused: ${message}`,
    );
  };
  const parsed = parseDispatchPayload(eventType, context.payload.client_payload ?? {});
  if (!parsed.ok) return refuse(parsed.error);
  const { request } = parsed;
  const { sender } = context.payload;
  const verdict = await senderMayCommand({
    client: context.octokit as GitHubClient,
    repo,
    sender: { login: sender.login, type: sender.type },
    policy: service.commandPolicy,
  });
  if (!verdict.allowed) return refuse(verdict.reason);
  if (request.kind === "start") {
    const options = await allowedStartOptions({ context, service, options: request.options });
    if (typeof options === "string") return refuse(options);
    return start({ context, service, options, refuse });
  }
  return command({ context, service, request, refuse });
}

type StartOptions = Extract<DispatchRequest, { kind: "start" }>["options"];

/**
 * The options with the ref pinned to the allowed branch (`heads/<branch>`: a tag or commit of
 * the same name cannot stand in for it), or why the ref is refused. Task branches of running
 * sessions are read only when a branch other than the default one is asked for.
 */
async function allowedStartOptions(args: {
  context: Context<"repository_dispatch">;
  service: AppService;
  options: StartOptions;
}): Promise<StartOptions | string> {
  const { context, service, options } = args;
  const defaultBranch = context.payload.repository.default_branch;
  const branch = (options.ref ?? defaultBranch).replace(/^refs\/heads\//, "");
  const policy = {
    defaultBranch,
    allowed: service.commandPolicy.dispatchRefs,
    taskBranches: new Set<string>(),
  };
  let problem = dispatchRefProblem(options.ref, policy);
  if (problem === undefined && branch !== defaultBranch) {
    const active = await listActiveSessions({
      client: context.octokit as GitHubClient,
      repo: context.repo(),
      config: service.config,
      runtime: service.runtime,
    });
    policy.taskBranches = new Set(active.flatMap((session) => session.tasks.map((task) => task.branch)));
    problem = dispatchRefProblem(options.ref, policy);
  }
  return problem ?? { ...options, ref: `heads/${branch}` };
}

/**
 * Starting is not idempotent: the delivery is claimed first (a redelivery finds the claim), and
 * once begun a failure is logged, not thrown, so one event never starts two sessions.
 */
async function start(args: {
  context: Context<"repository_dispatch">;
  service: AppService;
  options: StartOptions;
  refuse: (message: string) => void;
}): Promise<void> {
  const { context, service } = args;
  const client = context.octokit as GitHubClient;
  const repo = context.repo();
  const claimed = await claimTrigger({
    client,
    repo,
    key: `dispatch-${context.id}`,
    branch: context.payload.branch,
  });
  if (!claimed) {
    context.log.info(
      { delivery: context.id },
      "repository_dispatch already handled (a redelivery): not run again",
    );
    return;
  }
  try {
    const result = await startSession({
      client,
      repo,
      options: args.options,
      trigger: { kind: "repository_dispatch", actor: context.payload.sender.login },
      config: service.config,
      runtime: service.runtime,
    });
    logWarnings(context.log, result.warnings);
    if (result.ok)
      context.log.info({ sessionId: result.sessionId }, "session started from repository_dispatch");
    else args.refuse(`${result.error.kind}: ${result.error.message}`);
  } catch (error) {
    context.log.error({ err: error }, "repository_dispatch: starting the session failed");
  }
}

/** Retry and cancel are idempotent: errors are thrown, so a failed delivery is redelivered. */
async function command(args: {
  context: Context<"repository_dispatch">;
  service: AppService;
  request: Exclude<DispatchRequest, { kind: "start" }>;
  refuse: (message: string) => void;
}): Promise<void> {
  const { context, service, request } = args;
  const client = context.octokit as GitHubClient;
  const repo = context.repo();
  const { config, runtime } = service;
  let sessionId = request.sessionId;
  if (sessionId === undefined) {
    const active = await listActiveSessions({ client, repo, config, runtime });
    sessionId = active[0]?.sessionId;
    if (sessionId === undefined) return args.refuse("no running session; name one with session_id");
  }
  if (!sessionInRepository(sessionId, repo)) {
    return args.refuse(`${sessionId} is not a session of ${repo.owner}/${repo.repo}`);
  }
  const actor = context.payload.sender.login;
  const outcome =
    request.kind === "retry"
      ? await retrySession({ client, sessionId, tasks: request.tasks, actor, config, runtime })
      : await cancelSession({ client, sessionId, actor, config, runtime });
  logWarnings(context.log, outcome.warnings);
  if (outcome.ok) context.log.info({ sessionId }, outcome.message);
  else args.refuse(outcome.error.message);
}
