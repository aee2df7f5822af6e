/**
 * Workflows, dispatch and runs. Dispatch follows GitHub: the workflow is looked up (by id or file
 * name) on the default branch, but the run uses the file at `ref`; `return_run_details: true`
 * answers 200 with the run's id and URLs, otherwise 204. Inputs must be declared by the
 * workflow, required ones present, choices allowed, and every value a string (GitHub answers
 * 422 for booleans and numbers, whatever the input's `type`).
 */
import { completeRun, runWebhook } from "../runs.js";
import { workflowJobShape, workflowRunShape, workflowShape, type WorkflowInfo } from "../shapes/actions.js";
import { isRecord } from "../schema-validator.js";
import type { FakeRepo, FakeWorkflowRun } from "../state.js";
import { readWorkflowFile, renderRunName, workflowPaths, type WorkflowFile } from "../workflow-files.js";
import {
  actorOf,
  FakeHttpError,
  intParam,
  notFound,
  paginate,
  repoOf,
  stringField,
  type RouteRequest,
  type RouteTable,
} from "./route-types.js";

const MAX_INPUTS_CHARS = 65_535;

export const actionRoutes: RouteTable = {
  "GET /repos/{owner}/{repo}/actions/workflows": (request) => {
    const repo = repoOf(request);
    const workflows = workflowsOf(request, repo);
    return {
      status: 200,
      body: {
        total_count: workflows.length,
        workflows: workflows.map((w) => workflowShape(request.ctx, repo, w.info)),
      },
    };
  },

  "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}": (request) => {
    const repo = repoOf(request);
    return { status: 200, body: workflowShape(request.ctx, repo, findWorkflow(request, repo).info) };
  },

  "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches": (request) => {
    const repo = repoOf(request);
    const state = request.ctx.state;
    if (request.behaviour.rejectReturnRunDetails && "return_run_details" in request.body) {
      throw new FakeHttpError(422, 'Invalid request.\n\n"return_run_details" is not a permitted key.');
    }
    const { info } = findWorkflow(request, repo);
    const ref = stringField(request.body, "ref") ?? "";
    const refName = ref.replace(/^refs\/(heads|tags)\//, "");
    // A branch or tag, never a bare sha.
    const sha = [ref, `refs/heads/${ref}`, `refs/tags/${ref}`]
      .map((name) => repo.refs.get(name))
      .find((s) => s !== undefined);
    const commit = sha === undefined ? undefined : repo.commits.get(sha);
    if (commit === undefined) throw new FakeHttpError(422, `No ref found for: ${ref}`);
    const text = commit.files.get(info.path);
    const file = text === undefined ? undefined : readWorkflowFile(info.path, text);
    if (file === undefined || !file.dispatchable) {
      throw new FakeHttpError(422, "Workflow does not have 'workflow_dispatch' trigger");
    }
    const inputs = checkInputs(file, isRecord(request.body.inputs) ? request.body.inputs : {});
    const actor = actorOf(request, repo);
    const now = state.timestamp();
    const run: FakeWorkflowRun = {
      id: state.id(),
      repo: repo.fullName,
      workflowId: info.id,
      workflowPath: info.path,
      workflowName: file.name,
      runNumber:
        [...state.workflowRuns.values()].filter((r) => r.repo === repo.fullName && r.workflowId === info.id)
          .length + 1,
      displayTitle:
        file.runName === undefined
          ? file.name
          : renderRunName({ template: file.runName, inputs, actor: actor.login, refName }),
      event: "workflow_dispatch",
      headBranch: refName,
      headSha: commit.sha,
      inputs,
      actor,
      checkSuiteId: state.id(),
      createdAt: now,
      runAttempt: 1,
      status: "queued",
      conclusion: null,
      updatedAt: now,
      runStartedAt: now,
    };
    state.workflowRuns.set(run.id, run);
    for (const job of file.jobs) {
      const jobId = state.id();
      state.workflowJobs.set(jobId, {
        id: jobId,
        runId: run.id,
        repo: repo.fullName,
        name: renderRunName({ template: job.nameTemplate, inputs, actor: actor.login, refName }),
        labels: job.labels,
        createdAt: now,
        status: "queued",
        conclusion: null,
        startedAt: now,
        completedAt: null,
        annotations: [],
      });
    }
    request.emit(runWebhook(request.ctx, run, "requested"));
    if (request.body.return_run_details !== true) return { status: 204 };
    return {
      status: 200,
      body: {
        workflow_run_id: run.id,
        run_url: `${request.ctx.api}/repos/${repo.fullName}/actions/runs/${run.id}`,
        html_url: `${request.ctx.web}/${repo.fullName}/actions/runs/${run.id}`,
      },
    };
  },

  "GET /repos/{owner}/{repo}/actions/runs": (request) => listRuns(request, repoOf(request), undefined),

  "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs": (request) => {
    const repo = repoOf(request);
    return listRuns(request, repo, findWorkflow(request, repo).info.id);
  },

  "GET /repos/{owner}/{repo}/actions/runs/{run_id}": (request) => {
    const { repo, run } = findRun(request);
    return { status: 200, body: workflowRunShape(request.ctx, repo, run) };
  },

  "GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs": (request) => {
    const { repo, run } = findRun(request);
    // One run attempt in the fake: `filter=latest` and `filter=all` list the same jobs.
    const jobs = request.ctx.state.jobsOf(run.id);
    const { page, headers } = paginate({
      items: jobs,
      request,
      path: `/repos/${repo.fullName}/actions/runs/${run.id}/jobs`,
    });
    return {
      status: 200,
      headers,
      body: {
        total_count: jobs.length,
        jobs: page.map((job) => workflowJobShape(request.ctx, repo, run, job)),
      },
    };
  },

  // GitHub cancels asynchronously (202, the run completes as `cancelled` shortly after); the fake
  // completes it at once and emits the `workflow_run.completed` webhook GitHub would send.
  "POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel": (request) => {
    const { run } = findRun(request);
    if (run.status === "completed")
      throw new FakeHttpError(409, "Cannot cancel a workflow run that is completed.");
    request.emit(completeRun(request.ctx, run, { conclusion: "cancelled" }));
    return { status: 202, body: {} };
  },
};

interface KnownWorkflow {
  readonly info: WorkflowInfo;
  readonly file: WorkflowFile;
}

/** Workflows are the files on the default branch; ids stay stable once assigned. */
function workflowsOf(request: RouteRequest, repo: FakeRepo): KnownWorkflow[] {
  const head = request.ctx.state.defaultHead(repo);
  return workflowPaths(head).map((path) => {
    let id = repo.workflowIds.get(path);
    if (id === undefined) {
      id = request.ctx.state.id();
      repo.workflowIds.set(path, id);
    }
    const file = readWorkflowFile(path, head.files.get(path) ?? "");
    return { info: { id, path, name: file.name, createdAt: repo.createdAt }, file };
  });
}

function findWorkflow(request: RouteRequest, repo: FakeRepo): KnownWorkflow {
  const key = request.params.workflow_id ?? "";
  const found = workflowsOf(request, repo).find(
    (w) => String(w.info.id) === key || w.info.path === key || w.info.path.split("/").pop() === key,
  );
  if (found === undefined) throw notFound();
  return found;
}

function findRun(request: RouteRequest): { repo: FakeRepo; run: FakeWorkflowRun } {
  const repo = repoOf(request);
  const run = request.ctx.state.workflowRuns.get(intParam(request, "run_id"));
  if (run === undefined || run.repo !== repo.fullName) throw notFound();
  return { repo, run };
}

function checkInputs(file: WorkflowFile, given: Record<string, unknown>): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (typeof value !== "string") {
      throw new FakeHttpError(
        422,
        `Invalid request.\n\nFor 'properties/${name}', ${JSON.stringify(value)} is not a string.`,
        {
          violation: true,
        },
      );
    }
    inputs[name] = value;
  }
  if (JSON.stringify(inputs).length > MAX_INPUTS_CHARS) {
    throw new FakeHttpError(422, `inputs are too large: at most ${MAX_INPUTS_CHARS} characters`, {
      violation: true,
    });
  }
  const unexpected = Object.keys(inputs).filter((name) => !file.inputs.has(name));
  if (unexpected.length > 0)
    throw new FakeHttpError(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`, {
      violation: true,
    });
  for (const [name, spec] of file.inputs) {
    const value = inputs[name] ?? spec.default;
    if (value === undefined) {
      if (spec.required)
        throw new FakeHttpError(422, `Required input '${name}' not provided`, { violation: true });
      continue;
    }
    if (spec.options !== undefined && !spec.options.includes(value)) {
      throw new FakeHttpError(
        422,
        `Provided value '${value}' for input '${name}' not in the list of allowed values`,
        {
          violation: true,
        },
      );
    }
    inputs[name] = value;
  }
  return inputs;
}

/** Newest first; `status` matches a status or a conclusion, as GitHub's filter does. */
function listRuns(
  request: RouteRequest,
  repo: FakeRepo,
  workflowId: number | undefined,
): ReturnType<RouteTable[string]> {
  const q = request.query;
  const runs = [...request.ctx.state.workflowRuns.values()]
    .filter(
      (run) => run.repo === repo.fullName && (workflowId === undefined || run.workflowId === workflowId),
    )
    .filter((run) => q.get("branch") === null || run.headBranch === q.get("branch"))
    .filter((run) => q.get("event") === null || run.event === q.get("event"))
    .filter((run) => q.get("actor") === null || run.actor.login === q.get("actor"))
    .filter((run) => q.get("head_sha") === null || run.headSha === q.get("head_sha"))
    .filter(
      (run) =>
        q.get("status") === null || run.status === q.get("status") || run.conclusion === q.get("status"),
    )
    .sort((a, b) => b.id - a.id);
  const path =
    workflowId === undefined
      ? `/repos/${repo.fullName}/actions/runs`
      : `/repos/${repo.fullName}/actions/workflows/${workflowId}/runs`;
  const { page, headers } = paginate({ items: runs, request, path });
  return {
    status: 200,
    headers,
    body: {
      total_count: runs.length,
      workflow_runs: page.map((run) => workflowRunShape(request.ctx, repo, run)),
    },
  };
}
