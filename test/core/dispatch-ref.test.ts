import { describe, expect, it } from "vitest";
import { dispatchRefProblem } from "../../src/core/dispatch-ref.js";

const policy = {
  defaultBranch: "main",
  allowed: ["release/*", "develop"],
  taskBranches: new Set(["feature/api"]),
};

describe("the refs a repository_dispatch may start a session from", () => {
  it("the default branch (also when no ref is given) and the allowed branches", () => {
    for (const ref of [undefined, "main", "refs/heads/main", "develop", "release/1.2"]) {
      expect(dispatchRefProblem(ref, policy)).toBeUndefined();
    }
  });

  it("never a task branch, whatever is allowed; nothing else unless allowed", () => {
    const everything = { ...policy, allowed: ["*"] };
    expect(dispatchRefProblem("feature/api", everything)).toMatch(/is a task branch/);
    expect(dispatchRefProblem("orchestrator/web", everything)).toMatch(/is a task branch/);
    expect(dispatchRefProblem("feature/other", everything)).toBeUndefined();
    expect(dispatchRefProblem("v1.0.0", policy)).toBe(
      'ref "v1.0.0" is not allowed: repository_dispatch starts sessions from "main", "release/*", "develop" only ' +
        "(more branches can be allowed with ORCHESTRATOR_DISPATCH_REFS; tags and commits never)",
    );
  });
});
