import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Octokit } from "@octokit/rest";
import { describe, expect, it } from "vitest";
import { describeApiError, isTransient } from "../../src/github/github-client.js";

/** A port on 127.0.0.1 that nothing listens on: bound by us, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return port;
}

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** What a real Octokit request to `baseUrl` throws. */
async function failure(baseUrl: string): Promise<unknown> {
  try {
    await new Octokit({ baseUrl, log: quiet }).request("GET /repos/{owner}/{repo}", {
      owner: "acme",
      repo: "widgets",
    });
  } catch (error) {
    return error;
  }
  throw new Error("expected the request to fail");
}

describe("describing a GitHub request that failed", () => {
  it("says GitHub could not be reached when the connection is refused, not that it answered 500", async () => {
    const port = await closedPort();
    const error = await failure(`http://127.0.0.1:${port}`);
    // Octokit reports it as status 500: the reason is only in the message and the cause.
    expect((error as { status?: unknown }).status).toBe(500);
    expect(describeApiError(error)).toBe(
      `could not reach 127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}): check the network or GHE_HOST`,
    );
    expect(isTransient(error)).toBe(true);
  });

  it("says the host name did not resolve (a .invalid name never does, offline or not)", async () => {
    const error = await failure("http://nonexistent.invalid");
    expect((error as { status?: unknown }).status).toBe(500);
    expect(describeApiError(error)).toMatch(
      /^could not reach nonexistent\.invalid \(getaddrinfo (ENOTFOUND|EAI_AGAIN) nonexistent\.invalid\): check the network or GHE_HOST$/,
    );
  }, 30_000);

  it("still says what GitHub answered when it did answer 500", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "Server Error" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const error = await failure(`http://127.0.0.1:${port}`);
      expect(describeApiError(error)).toBe("GitHub answered 500: Server Error");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
