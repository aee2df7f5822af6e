import { afterEach, describe, expect, it } from "vitest";
import { isRateLimited, isTransient, type GitHubClient } from "../../src/github/github-client.js";
import { shouldRetryRateLimit, withRetryPolicy } from "../../src/github/retry-policy.js";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/start-fake-github.js";

/**
 * The App's Octokit (Probot's, with the App's retry policy) against the fake GitHub: what it
 * sends again and what it does not. A Retry-After second is a millisecond here.
 */

const REPO = "acme/widgets";
const GET_REPO = "GET /repos/{owner}/{repo}";
const CREATE_REF = "POST /repos/{owner}/{repo}/git/refs";

let fake: FakeGitHub | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setUp(): Promise<{ fake: FakeGitHub; client: GitHubClient }> {
  const started = (fake = await startFakeGitHub());
  started.state.addRepo({ fullName: REPO, files: { "README.md": "hi\n" } });
  const Octokit = withRetryPolicy(undefined, { msPerSecond: 1, spaceWrites: false, log: () => {} });
  const client = new Octokit({
    baseUrl: started.url,
    auth: { token: started.installationToken(REPO) },
  }) as unknown as GitHubClient;
  return { fake: started, client };
}

const sent = (f: FakeGitHub, route: string) =>
  f.requests.filter((r) => r.route === route).map((r) => r.status);

describe("the App's retry policy", () => {
  it("waits out secondary rate limits (403 and 429) and sends the request again, even a write with retries off", async () => {
    const { fake: f, client } = await setUp();
    f.faults.add({ route: GET_REPO, kind: "secondary-rate-limit", retryAfterSeconds: 2 });
    f.faults.add({ route: GET_REPO, kind: "too-many-requests", retryAfterSeconds: 1 });
    await client.request(GET_REPO, { owner: "acme", repo: "widgets" });
    expect(sent(f, GET_REPO)).toEqual([403, 429, 200]);

    const { data: head } = await client.request("GET /repos/{owner}/{repo}/git/ref/{ref}", {
      owner: "acme",
      repo: "widgets",
      ref: "heads/main",
    });
    f.faults.add({ route: CREATE_REF, kind: "secondary-rate-limit", retryAfterSeconds: 1 });
    await client.request(CREATE_REF, {
      owner: "acme",
      repo: "widgets",
      ref: "refs/orchestrator/test",
      sha: head.object.sha,
      request: { retries: 0 },
    });
    expect(sent(f, CREATE_REF)).toEqual([403, 201]);
  });

  it("does not send a write with retries off again after a 5xx (its effect is unknown); reads it does", async () => {
    const { fake: f, client } = await setUp();
    f.faults.add({ route: GET_REPO, kind: "bad-gateway" });
    await client.request(GET_REPO, { owner: "acme", repo: "widgets" });
    expect(sent(f, GET_REPO)).toEqual([502, 200]);
    f.faults.add({ route: CREATE_REF, kind: "server-error" });
    const error = await client
      .request(CREATE_REF, {
        owner: "acme",
        repo: "widgets",
        ref: "refs/x",
        sha: "0".repeat(40),
        request: { retries: 0 },
      })
      .catch((caught: unknown) => caught);
    expect(sent(f, CREATE_REF)).toEqual([500]);
    expect(isTransient(error)).toBe(true);
  });

  it("gives up at once on a Retry-After too long to wait inside a request, and after a few tries", async () => {
    const { fake: f, client } = await setUp();
    f.faults.add({ route: GET_REPO, kind: "secondary-rate-limit", retryAfterSeconds: 3_600 });
    const error = await client
      .request(GET_REPO, { owner: "acme", repo: "widgets" })
      .catch((caught: unknown) => caught);
    expect(sent(f, GET_REPO)).toEqual([403]);
    expect(isRateLimited(error)).toBe(true);
    expect(isTransient(error)).toBe(true);
    f.faults.add({ route: GET_REPO, kind: "too-many-requests", retryAfterSeconds: 1, times: 10 });
    const last = await client
      .request(GET_REPO, { owner: "acme", repo: "widgets" })
      .catch((caught: unknown) => caught);
    // A limit that does not lift: the request gives up after the throttling's 4 rate-limit
    // retries (5 sends; plugin-retry does not add its own for a 429) and fails.
    expect(isRateLimited(last)).toBe(true);
    expect(sent(f, GET_REPO).filter((status) => status === 429)).toHaveLength(5);
    expect(f.faults.pending()).not.toEqual([]);
    expect(shouldRetryRateLimit(60, 0, {})).toBe(true);
    expect(shouldRetryRateLimit(60, 4, {})).toBe(false);
    expect(shouldRetryRateLimit(121, 0, {})).toBe(false);
  });
});
