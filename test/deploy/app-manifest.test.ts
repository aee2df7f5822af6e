import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface Manifest {
  default_events: string[];
  default_permissions: Record<string, string>;
}

describe("app.yml, the App's manifest", () => {
  const manifest = parse(readFileSync(`${ROOT}/app.yml`, "utf8")) as Manifest;

  it("lets the App's own token open and update task pull requests, as the README's task workflow uses it", () => {
    // The README tells users to reuse this App for task pull requests (ORCHESTRATOR_APP_ID in
    // orchestrator-task.yml): the token it mints pushes branches and opens pull requests.
    expect(manifest.default_permissions).toMatchObject({ contents: "write", pull_requests: "write" });
  });

  it("asks for the permission every subscribed event needs, and no more than the App uses", () => {
    const eventPermission: Record<string, string> = {
      issue_comment: "issues",
      repository_dispatch: "contents",
      check_run: "checks",
      workflow_run: "actions",
      workflow_job: "actions",
      pull_request: "pull_requests",
      pull_request_review: "pull_requests",
      // GitHub: "at least read-level access for the Issues repository permissions".
      sub_issues: "issues",
      issue_dependencies: "issues",
    };
    for (const event of manifest.default_events) {
      expect({ event, permission: eventPermission[event] }).toEqual({
        event,
        permission: expect.any(String),
      });
      expect(manifest.default_permissions).toHaveProperty(eventPermission[event] as string);
    }
    expect(Object.keys(manifest.default_permissions).sort()).toEqual(
      ["actions", "checks", "contents", "issues", "metadata", "pull_requests", "workflows"].sort(),
    );
    expect(manifest.default_permissions.metadata).toBe("read");
  });

  it("may write the task workflow for onboarding, and does not list the installation events GitHub always sends", () => {
    // The onboarding pull request adds .github/workflows/orchestrator-task.yml: GitHub refuses
    // that to an App without `workflows: write`. The installation events need no subscription.
    expect(manifest.default_permissions.workflows).toBe("write");
    expect(manifest.default_events).not.toContain("installation");
    expect(manifest.default_events).not.toContain("installation_repositories");
  });
});
