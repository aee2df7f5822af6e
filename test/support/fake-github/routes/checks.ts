/**
 * Check runs. GitHub semantics kept here:
 * - giving `conclusion` implies `status: completed`; `completed` needs a conclusion (the spec's
 *   anyOf on update; enforced here for create too, as GitHub does);
 * - `started_at` defaults to now, `completed_at` to now on completion;
 * - list-for-ref filters only by `check_name`, `status`, `app_id` and `filter` (latest per name
 *   by default) — there is no `external_id` filter, so callers must filter themselves.
 */
import { annotationShape, checkRunShape } from "../shapes/checks.js";
import { sha1, type FakeAnnotation, type FakeCheckRun } from "../state.js";
import { isRecord } from "../schema-validator.js";
import {
  FakeHttpError,
  intParam,
  notFound,
  paginate,
  repoOf,
  stringField,
  type RouteRequest,
  type RouteTable,
} from "./route-types.js";

type CheckStatus = FakeCheckRun["status"];

export const checkRoutes: RouteTable = {
  "POST /repos/{owner}/{repo}/check-runs": (request) => {
    const repo = repoOf(request);
    const state = request.ctx.state;
    const headSha = stringField(request.body, "head_sha") ?? "";
    const commit = state.resolveCommit(repo, headSha);
    if (commit === undefined || commit.sha !== headSha) {
      throw new FakeHttpError(422, "No commit found for SHA: " + headSha);
    }
    const now = state.timestamp();
    const run: FakeCheckRun = {
      id: state.id(),
      repo: repo.fullName,
      headSha,
      appId: state.app.id,
      checkSuiteId: checkSuiteId(state.app.id, repo.id, headSha),
      name: stringField(request.body, "name") ?? "",
      status: "queued",
      conclusion: null,
      startedAt: stringField(request.body, "started_at") ?? now,
      completedAt: null,
      externalId: stringField(request.body, "external_id") ?? "",
      detailsUrl: stringField(request.body, "details_url") ?? null,
      output: { title: null, summary: null, text: null, annotationsCount: 0 },
      annotations: [],
      actions: [],
    };
    applyUpdate(request, run);
    state.checkRuns.set(run.id, run);
    return { status: 201, body: checkRunShape(request.ctx, repo, run) };
  },

  "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": (request) => {
    const { repo, run } = findRun(request);
    const name = stringField(request.body, "name");
    if (name !== undefined) run.name = name;
    const externalId = stringField(request.body, "external_id");
    if (externalId !== undefined) run.externalId = externalId;
    const detailsUrl = stringField(request.body, "details_url");
    if (detailsUrl !== undefined) run.detailsUrl = detailsUrl;
    const startedAt = stringField(request.body, "started_at");
    if (startedAt !== undefined) run.startedAt = startedAt;
    applyUpdate(request, run);
    return { status: 200, body: checkRunShape(request.ctx, repo, run) };
  },

  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}": (request) => {
    const { repo, run } = findRun(request);
    return { status: 200, body: checkRunShape(request.ctx, repo, run) };
  },

  // A workflow job is a check run too (same id): its annotations are the job's failures.
  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations": (request) => {
    const repo = repoOf(request);
    const id = intParam(request, "check_run_id");
    const state = request.ctx.state;
    const job = state.workflowJobs.get(id);
    const check = state.checkRuns.get(id);
    let annotations: FakeAnnotation[];
    let headSha: string;
    if (job !== undefined && job.repo === repo.fullName) {
      annotations = job.annotations;
      headSha = state.workflowRuns.get(job.runId)?.headSha ?? "";
    } else if (check !== undefined && check.repo === repo.fullName) {
      annotations = check.annotations;
      headSha = check.headSha;
    } else throw notFound();
    const { page, headers } = paginate({
      items: annotations,
      request,
      path: `/repos/${repo.fullName}/check-runs/${id}/annotations`,
    });
    return {
      status: 200,
      headers,
      body: page.map((annotation) => annotationShape(request.ctx, repo, headSha, annotation)),
    };
  },

  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs": (request) => {
    const repo = repoOf(request);
    const ref = request.params.ref ?? "";
    const commit = request.ctx.state.resolveCommit(repo, ref);
    if (commit === undefined) throw new FakeHttpError(422, `No commit found for SHA: ${ref}`);
    const name = request.query.get("check_name");
    const status = request.query.get("status");
    const appId = request.query.get("app_id");
    let runs = [...request.ctx.state.checkRuns.values()]
      .filter((run) => run.repo === repo.fullName && run.headSha === commit.sha)
      .filter((run) => name === null || run.name === name)
      .filter((run) => appId === null || String(run.appId) === appId)
      .sort((a, b) => b.id - a.id);
    if ((request.query.get("filter") ?? "latest") === "latest") {
      const seen = new Set<string>();
      runs = runs.filter((run) => {
        const key = `${run.appId}:${run.name}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }
    // GitHub applies `status` after choosing the latest run per name.
    if (status !== null) runs = runs.filter((run) => run.status === status);
    const { page, headers } = paginate({
      items: runs,
      request,
      path: `/repos/${repo.fullName}/commits/${encodeURIComponent(ref)}/check-runs`,
    });
    return {
      status: 200,
      headers,
      body: {
        total_count: runs.length,
        check_runs: page.map((run) => checkRunShape(request.ctx, repo, run)),
      },
    };
  },
};

function findRun(request: RouteRequest): { repo: ReturnType<typeof repoOf>; run: FakeCheckRun } {
  const repo = repoOf(request);
  const run = request.ctx.state.checkRuns.get(intParam(request, "check_run_id"));
  if (run === undefined || run.repo !== repo.fullName) throw notFound();
  return { repo, run };
}

/** Status, conclusion, completion time, output and actions — shared by create and update. */
function applyUpdate(request: RouteRequest, run: FakeCheckRun): void {
  const body = request.body;
  const conclusion = stringField(body, "conclusion");
  let status = stringField(body, "status") as CheckStatus | undefined;
  if (conclusion !== undefined) status = "completed";
  if (status === "completed" && conclusion === undefined && run.conclusion === null) {
    throw new FakeHttpError(422, 'Invalid request.\n\n"conclusion" wasn\'t supplied.');
  }
  if (conclusion === "stale")
    throw new FakeHttpError(422, "Invalid request.\n\nOnly GitHub can set a check run to stale.");
  if (status !== undefined) run.status = status;
  if (conclusion !== undefined) run.conclusion = conclusion;
  if (run.status === "completed") {
    run.completedAt = stringField(body, "completed_at") ?? run.completedAt ?? request.ctx.state.timestamp();
  }
  if (isRecord(body.output)) {
    const output = body.output;
    run.output = {
      title: stringField(output, "title") ?? run.output.title,
      summary: stringField(output, "summary") ?? run.output.summary,
      text: stringField(output, "text") ?? run.output.text,
      annotationsCount:
        run.output.annotationsCount + (Array.isArray(output.annotations) ? output.annotations.length : 0),
    };
    if (Array.isArray(output.annotations)) {
      run.annotations.push(...output.annotations.filter(isRecord).map(readAnnotation));
    }
  }
  if (Array.isArray(body.actions)) {
    run.actions = body.actions.filter(isRecord).map((action) => ({
      label: stringField(action, "label") ?? "",
      description: stringField(action, "description") ?? "",
      identifier: stringField(action, "identifier") ?? "",
    }));
  }
}

function readAnnotation(raw: Record<string, unknown>): FakeAnnotation {
  const level = stringField(raw, "annotation_level");
  const startLine = typeof raw.start_line === "number" ? raw.start_line : 1;
  return {
    path: stringField(raw, "path") ?? "",
    startLine,
    endLine: typeof raw.end_line === "number" ? raw.end_line : startLine,
    level: level === "warning" || level === "failure" ? level : "notice",
    title: stringField(raw, "title") ?? null,
    message: stringField(raw, "message") ?? "",
  };
}

/** One check suite per (app, repository, head sha), as GitHub groups an App's runs. */
function checkSuiteId(appId: number, repoId: number, headSha: string): number {
  return Number.parseInt(sha1(`${appId}:${repoId}:${headSha}`).slice(0, 8), 16);
}
