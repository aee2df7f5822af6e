/**
 * Stacked pull requests (the REST "Stacks API", public preview). Off by default: a repository
 * answers 404, as one without the feature does; `enableStacks(state, "owner/repo")` turns it on.
 * Stacks are kept beside the fake's state (this file's own map), bottom to top.
 */
import { nodeId } from "../shapes/accounts.js";
import { pullRequestShape } from "../shapes/conversations.js";
import type { FakeGitHubState, FakeRepo } from "../state.js";
import {
  FakeHttpError,
  intParam,
  notFound,
  paginate,
  repoOf,
  type RouteRequest,
  type RouteTable,
} from "./route-types.js";

interface FakeStack {
  readonly id: number;
  readonly number: number;
  readonly repo: string;
  readonly createdAt: string;
  /** Pull request numbers, bottom to top. */
  readonly pulls: number[];
}

interface StacksOfState {
  enabled: Set<string>;
  stacks: FakeStack[];
}

const byState = new WeakMap<FakeGitHubState, StacksOfState>();

function stacksOf(state: FakeGitHubState): StacksOfState {
  let found = byState.get(state);
  if (!found) {
    found = { enabled: new Set(), stacks: [] };
    byState.set(state, found);
  }
  return found;
}

/** Turns the stacked pull request API on for a repository of the fake. */
export function enableStacks(state: FakeGitHubState, repo: string): void {
  stacksOf(state).enabled.add(repo.toLowerCase());
}

/** The stacks of a repository, each as its pull request numbers bottom to top (for tests). */
export function stacksIn(state: FakeGitHubState, repo: string): number[][] {
  return stacksOf(state)
    .stacks.filter((stack) => stack.repo === repo.toLowerCase())
    .map((stack) => [...stack.pulls]);
}

function enabledRepo(request: RouteRequest): FakeRepo {
  const repo = repoOf(request);
  if (!stacksOf(request.ctx.state).enabled.has(repo.fullName.toLowerCase())) throw notFound();
  return repo;
}

function invalid(message: string): FakeHttpError {
  return new FakeHttpError(422, "Validation Failed", {
    errors: [{ resource: "PullRequestStack", code: "invalid", message }],
  });
}

function numbersOf(request: RouteRequest): number[] {
  const value = request.body.pull_requests;
  return Array.isArray(value) ? value.filter((n): n is number => typeof n === "number") : [];
}

/** Each pull request's base must be the head of the one below it (`below` is the current top, if any). */
function checkChain(request: RouteRequest, repo: FakeRepo, numbers: number[], below?: number): void {
  const { state } = request.ctx;
  const all = stacksOf(state).stacks.filter((stack) => stack.repo === repo.fullName.toLowerCase());
  let previous = below === undefined ? undefined : state.pull(repo.fullName, below);
  for (const number of numbers) {
    const pull = state.pull(repo.fullName, number);
    if (!pull) throw invalid(`pull request #${number} does not exist`);
    if (all.some((stack) => stack.pulls.includes(number))) throw invalid(`#${number} is already in a stack`);
    if (previous && pull.base !== previous.head)
      throw invalid(`#${number}'s base ${pull.base} is not #${previous.number}'s head ${previous.head}`);
    previous = pull;
  }
}

function stackShape(request: RouteRequest, repo: FakeRepo, stack: FakeStack): Record<string, unknown> {
  const { ctx } = request;
  const bottom = stack.pulls[0] === undefined ? undefined : ctx.state.pull(repo.fullName, stack.pulls[0]);
  const pulls = stack.pulls
    .map((number) => ctx.state.pull(repo.fullName, number))
    .filter((pull) => pull !== undefined);
  return {
    id: stack.id,
    number: stack.number,
    node_id: nodeId("PullRequestStack", stack.id),
    url: `${ctx.api}/repos/${repo.fullName}/stacks/${stack.number}`,
    base: { ref: bottom?.base ?? repo.defaultBranch },
    open: pulls.some((pull) => pull.state === "open"),
    created_at: stack.createdAt,
    pull_requests: pulls.map((pull) => pullRequestShape({ ctx, repo, pull, full: false })),
  };
}

export const stackRoutes: RouteTable = {
  "GET /repos/{owner}/{repo}/stacks": (request) => {
    const repo = enabledRepo(request);
    const wanted = request.query.get("pull_request");
    const stacks = stacksOf(request.ctx.state).stacks.filter(
      (stack) =>
        stack.repo === repo.fullName.toLowerCase() &&
        (wanted === null || stack.pulls.includes(Number(wanted))),
    );
    const { page, headers } = paginate({ items: stacks, request, path: `/repos/${repo.fullName}/stacks` });
    return { status: 200, body: page.map((stack) => stackShape(request, repo, stack)), headers };
  },

  "POST /repos/{owner}/{repo}/stacks": (request) => {
    const repo = enabledRepo(request);
    const numbers = numbersOf(request);
    checkChain(request, repo, numbers);
    const { state } = request.ctx;
    const own = stacksOf(state);
    const stack: FakeStack = {
      id: state.id(),
      number: own.stacks.filter((s) => s.repo === repo.fullName.toLowerCase()).length + 1,
      repo: repo.fullName.toLowerCase(),
      createdAt: state.timestamp(),
      pulls: numbers,
    };
    own.stacks.push(stack);
    return { status: 201, body: stackShape(request, repo, stack) };
  },

  "POST /repos/{owner}/{repo}/stacks/{stack_number}/add": (request) => {
    const repo = enabledRepo(request);
    const number = intParam(request, "stack_number");
    const stack = stacksOf(request.ctx.state).stacks.find(
      (s) => s.repo === repo.fullName.toLowerCase() && s.number === number,
    );
    if (!stack) throw notFound();
    const numbers = numbersOf(request);
    checkChain(request, repo, numbers, stack.pulls.at(-1));
    stack.pulls.push(...numbers);
    return { status: 200, body: stackShape(request, repo, stack) };
  },
};
