import type { ApplicationFunction, Context } from "probot";
import type { AppService } from "./app-service.js";
import { handleCheckRun } from "./handlers/check-run.js";
import { handleInstallationCreated, handleRepositoriesAdded } from "./handlers/installation.js";
import { handleIssueComment } from "./handlers/issue-comment.js";
import { handleIssueDependencies, handleSubIssues } from "./handlers/issue-graph-events.js";
import { handlePullRequestClosed } from "./handlers/pull-request.js";
import { handlePullRequestReview } from "./handlers/pull-request-review.js";
import { handleRepositoryDispatch } from "./handlers/repository-dispatch.js";
import { handleWorkflowJob, handleWorkflowRun } from "./handlers/workflow-run.js";

/**
 * The Probot app: which webhook goes to which handler, nothing else. Every handler runs after its
 * delivery is answered (sessions/background-work.ts): GitHub waits 10 s at most, and a command's
 * writes, a second apart under Probot's throttling, take longer. A handler's failure is logged;
 * what it was doing for a session is recovered by the session's next pass or the sweep, and
 * commands say on their issue when they fail (issue-comment.ts).
 */
export function createOrchestratorApp(service: AppService): ApplicationFunction {
  return (app) => {
    app.on("issue_comment.created", answerFirst(service, handleIssueComment));
    app.on("repository_dispatch", answerFirst(service, handleRepositoryDispatch));
    app.on(["check_run.rerequested", "check_run.requested_action"], answerFirst(service, handleCheckRun));
    app.on("workflow_run", answerFirst(service, handleWorkflowRun));
    app.on("workflow_job.completed", answerFirst(service, handleWorkflowJob));
    app.on("pull_request.closed", answerFirst(service, handlePullRequestClosed));
    app.on("pull_request_review.submitted", answerFirst(service, handlePullRequestReview));
    // Delivered to every App without subscribing (app.yml): onboarding of new repositories.
    app.on("installation.created", answerFirst(service, handleInstallationCreated));
    app.on("installation_repositories.added", answerFirst(service, handleRepositoriesAdded));
    // An issue session's graph changed: its session reads it again.
    app.on(
      ["sub_issues.sub_issue_added", "sub_issues.sub_issue_removed"],
      answerFirst(service, handleSubIssues),
    );
    app.on(
      ["issue_dependencies.blocked_by_added", "issue_dependencies.blocked_by_removed"],
      answerFirst(service, handleIssueDependencies),
    );
  };
}

function answerFirst<C extends Context>(
  service: AppService,
  handler: (context: C, service: AppService) => Promise<void>,
): (context: C) => Promise<void> {
  return (context) => {
    service.runtime.background.run(
      () => handler(context, service),
      (error) =>
        context.log.error(
          { err: error, event: context.name, delivery: context.id },
          "webhook work failed after the delivery was answered",
        ),
    );
    return Promise.resolve();
  };
}
