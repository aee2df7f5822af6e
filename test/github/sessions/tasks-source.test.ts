import { describe, expect, it } from "vitest";
import { MAX_FILE_BYTES } from "../../../src/core/parse-tasks-file.js";
import type { GitHubClient } from "../../../src/github/github-client.js";
import { SYMLINK_REASON } from "../../../src/core/parse-tasks-file.js";
import { readTasksFile, TasksCache } from "../../../src/github/sessions/tasks-source.js";
import { openApiIndex } from "../../support/fake-github/openapi-index.js";
import { validateSchema } from "../../support/fake-github/schema-validator.js";

/**
 * What the contents API answers for a tasks file that is a link or too large. The fake GitHub keeps
 * regular files only, so these answers are written here, each checked against GitHub's OpenAPI
 * description of the route before the App sees it.
 */
const REPO = { owner: "acme", repo: "widgets" };
const SHA = "a".repeat(40);
const CONTENTS = "GET /repos/{owner}/{repo}/contents/{path}";
const BLOB = "GET /repos/{owner}/{repo}/git/blobs/{file_sha}";
const API = `https://api.github.com/repos/${REPO.owner}/${REPO.repo}`;

function contentShape(fields: { type: "file" | "symlink"; path: string; size: number; content?: string }) {
  const sha = "b".repeat(40);
  const urls = {
    url: `${API}/contents/${fields.path}?ref=${SHA}`,
    git_url: `${API}/git/blobs/${sha}`,
    html_url: `https://github.com/${REPO.owner}/${REPO.repo}/blob/${SHA}/${fields.path}`,
    download_url: `https://raw.githubusercontent.com/${REPO.owner}/${REPO.repo}/${SHA}/${fields.path}`,
  };
  const common = {
    name: fields.path.split("/").pop() ?? fields.path,
    path: fields.path,
    sha,
    size: fields.size,
    ...urls,
    _links: { self: urls.url, git: urls.git_url, html: urls.html_url },
  };
  return fields.type === "symlink"
    ? { type: "symlink", target: "/dev/zero", ...common }
    : {
        type: "file",
        encoding: fields.content === undefined ? "none" : "base64",
        content: fields.content ?? "",
        ...common,
      };
}

/** A client that answers the contents route with `answer` (checked against the OpenAPI schema) and records every route asked. */
function clientAnswering(answer: unknown): { client: GitHubClient; asked: string[] } {
  const spec = openApiIndex();
  const schema = spec.operation(CONTENTS)?.responses.get("200");
  if (schema === undefined) throw new Error("the contents route has no 200 schema");
  expect(validateSchema({ value: answer, schema, resolveRef: spec.resolveRef })).toEqual([]);
  const asked: string[] = [];
  const request = (route: string) => {
    asked.push(route);
    if (route === CONTENTS) return Promise.resolve({ status: 200, data: answer });
    return Promise.reject(new Error(`not expected here: ${route}`));
  };
  return { client: { request } as unknown as GitHubClient, asked };
}

const read = (client: GitHubClient) =>
  readTasksFile({ client, repo: REPO, sha: SHA, path: "tasks/tasks.json", cache: new TasksCache() });

describe("the App reads a tasks file through the contents API", () => {
  it("a link leading out of the repository (GitHub answers type symlink) is refused without its target", async () => {
    const { client } = clientAnswering(contentShape({ type: "symlink", path: "tasks/tasks.json", size: 9 }));
    const result = await read(client);
    expect(result).toEqual({
      ok: false,
      kind: "invalid_tasks_file",
      message: "the tasks file `tasks/tasks.json` cannot be read; nothing was started",
      issues: [{ file: "tasks/tasks.json", message: SYMLINK_REASON }],
    });
    expect(JSON.stringify(result)).not.toContain("/dev/zero");
  });

  it("a link to a file in the repository (GitHub answers that file, under its own path) is refused too", async () => {
    const text = JSON.stringify({ tasks: [{ id: "a", prompt: "do a" }] });
    const { client } = clientAnswering(
      contentShape({
        type: "file",
        path: "elsewhere/real.json",
        size: text.length,
        content: Buffer.from(text).toString("base64"),
      }),
    );
    const result = await read(client);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues).toEqual([{ file: "tasks/tasks.json", message: SYMLINK_REASON }]);
  });

  it("a file over the limit is refused by the size GitHub gives, and its blob is never fetched", async () => {
    const { client, asked } = clientAnswering(
      contentShape({ type: "file", path: "tasks/tasks.json", size: MAX_FILE_BYTES + 1024 ** 2 }),
    );
    const result = await read(client);
    expect(!result.ok && result.issues).toEqual([
      { file: "tasks/tasks.json", message: "the file is 6 MB; the limit is 5 MB" },
    ]);
    expect(asked).toEqual([CONTENTS]);
    expect(asked).not.toContain(BLOB);
  });

  it("a regular file at the path asked is read", async () => {
    const text = JSON.stringify({ tasks: [{ id: "a", prompt: "do a" }] });
    const { client } = clientAnswering(
      contentShape({
        type: "file",
        path: "tasks/tasks.json",
        size: text.length,
        content: Buffer.from(text).toString("base64"),
      }),
    );
    const result = await read(client);
    expect(result.ok && result.file.tasks.map((task) => task.id)).toEqual(["a"]);
  });
});
