/** A fake GitHub with one repository holding a dispatchable task workflow, and clients for it. */
import { Octokit } from "@octokit/rest";
import {
  startFakeGitHub,
  type FakeGitHub,
  type FakeGitHubOptions,
} from "../support/fake-github/start-fake-github.js";

export const OWNER = "acme";
export const REPO = "widgets";
export const FULL_NAME = `${OWNER}/${REPO}`;

export const TASK_WORKFLOW = [
  "name: Orchestrator task",
  'run-name: "task ${{ inputs.task }} [${{ inputs.dispatch_id }}]"',
  "on:",
  "  workflow_dispatch:",
  "    inputs:",
  "      task: { required: true, type: string }",
  "      dispatch_id: { required: false, type: string }",
  "      mode: { required: false, type: choice, options: [run, dry-run], default: run }",
  "jobs:",
  "  run:",
  "    runs-on: ubuntu-latest",
  "    steps:",
  "      - run: echo hello",
  "",
].join("\n");

/** Octokit logs every failed request to the console; tests provoke many on purpose. */
export const quietLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export function client(baseUrl: string, auth: string): Octokit {
  return new Octokit({ baseUrl, auth, log: quietLog });
}

export interface FakeFixture {
  readonly fake: FakeGitHub;
  /** Authenticated as the App (JWT). */
  readonly app: Octokit;
  /** Authenticated with an installation token minted through the API. */
  readonly octokit: Octokit;
  /** The default branch head. */
  readonly headSha: string;
}

export async function startFixture(options: FakeGitHubOptions = {}): Promise<FakeFixture> {
  const fake = await startFakeGitHub(options);
  fake.state.addRepo({
    fullName: FULL_NAME,
    files: { "tasks/tasks.json": '{"tasks":[]}\n', ".github/workflows/task.yml": TASK_WORKFLOW },
  });
  const app = client(fake.url, fake.appJwt());
  const installation = await app.apps.getRepoInstallation({ owner: OWNER, repo: REPO });
  const token = await app.apps.createInstallationAccessToken({ installation_id: installation.data.id });
  const octokit = client(fake.url, token.data.token);
  const head = fake.state.resolveCommit(fake.state.requireRepo(FULL_NAME), "main");
  if (head === undefined) throw new Error("the fixture repository has no main branch");
  return { fake, app, octokit, headSha: head.sha };
}

/** The HTTP status of a rejected Octokit call (fails the test if the call succeeded). */
export async function statusOf(
  call: Promise<unknown>,
): Promise<{ status: number; message: string; headers: Record<string, string> }> {
  try {
    await call;
  } catch (error) {
    const e = error as { status?: number; message?: string; response?: { headers?: Record<string, string> } };
    if (typeof e.status === "number")
      return { status: e.status, message: e.message ?? "", headers: e.response?.headers ?? {} };
    throw error;
  }
  throw new Error("expected the request to fail, but it succeeded");
}
