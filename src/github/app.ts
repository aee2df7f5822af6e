import type { ApplicationFunction } from "probot";
import type { AppService } from "./app-service.js";
import { handleCheckRun } from "./handlers/check-run.js";
import { handleIssueComment } from "./handlers/issue-comment.js";
import { handlePullRequestClosed } from "./handlers/pull-request.js";
import { handleRepositoryDispatch } from "./handlers/repository-dispatch.js";
import { handleWorkflowJob, handleWorkflowRun } from "./handlers/workflow-run.js";

/**
 * The Probot app: which webhook goes to which handler, nothing else. A handler that throws makes
 * the delivery fail (HTTP 500), and the server's redelivery pass sends it again later; handlers
 * of non-idempotent triggers catch their own errors instead (see issue-comment.ts).
 */
export function createOrchestratorApp(service: AppService): ApplicationFunction {
  return (app) => {
    app.on("issue_comment.created", (context) => handleIssueComment(context, service));
    app.on("repository_dispatch", (context) => handleRepositoryDispatch(context, service));
    app.on(["check_run.rerequested", "check_run.requested_action"], (context) =>
      handleCheckRun(context, service),
    );
    app.on("workflow_run", (context) => handleWorkflowRun(context, service));
    app.on("workflow_job.completed", (context) => handleWorkflowJob(context, service));
    app.on("pull_request.closed", (context) => handlePullRequestClosed(context, service));
  };
}
