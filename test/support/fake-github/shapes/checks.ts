/** Shapes of a check run (`check-run`) and its annotations (`check-annotation`). */
import type { FakeAnnotation, FakeCheckRun, FakeRepo } from "../state.js";
import { appShape, nodeId, type ShapeContext } from "./accounts.js";

export function checkRunShape(ctx: ShapeContext, repo: FakeRepo, run: FakeCheckRun): Record<string, unknown> {
  const url = `${ctx.api}/repos/${repo.fullName}/check-runs/${run.id}`;
  return {
    id: run.id,
    node_id: nodeId("CheckRun", run.id),
    head_sha: run.headSha,
    external_id: run.externalId,
    url,
    html_url: `${ctx.web}/${repo.fullName}/runs/${run.id}`,
    details_url: run.detailsUrl ?? `${ctx.web}/apps/${ctx.state.app.slug}`,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.output.annotationsCount,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.checkSuiteId },
    app: appShape(ctx),
    // GitHub fills this only for PRs whose head is in the same repository; the App does not rely on it.
    pull_requests: [],
  };
}

export function annotationShape(
  ctx: ShapeContext,
  repo: FakeRepo,
  headSha: string,
  annotation: FakeAnnotation,
): Record<string, unknown> {
  return {
    path: annotation.path,
    blob_href: `${ctx.web}/${repo.fullName}/blob/${headSha}/${annotation.path}`,
    start_line: annotation.startLine,
    end_line: annotation.endLine,
    start_column: null,
    end_column: null,
    annotation_level: annotation.level,
    title: annotation.title,
    message: annotation.message,
    raw_details: null,
  };
}
