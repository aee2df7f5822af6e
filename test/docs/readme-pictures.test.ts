import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/action-bundle.js";
import { readmePictures, withPictures } from "../../scripts/readme-pictures.js";

describe("the README's pictures", () => {
  it("are what the App's and the Action's renderers produce today (npm run readme:pictures)", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const pictures = await readmePictures();
    for (const name of Object.keys(pictures)) expect(readme).toContain(`<!-- picture:${name} -->`);
    expect(withPictures(readme, pictures)).toBe(readme);
  });

  it("show the status comment, the Checks tab, the task graph and a task pull request", async () => {
    const pictures = await readmePictures();
    expect(pictures["status-comment"]).toMatch(
      /^### 🔄 Orchestrator session: Running: 3\/7 succeeded, 2 running\n/,
    );
    expect(pictures["checks-tab"]).toContain("- ✅ **Orchestrator: slugify** — succeeded");
    expect(pictures["task-pr"]).toContain("**Builds on:** #12 (`orchestrator/project-setup`)");
    expect(pictures["task-graph"]).toMatch(/^```mermaid\nflowchart TD\n/);
    expect(pictures["task-graph"]).toContain(":::running");
  });

  it("refuses a README block no renderer fills", () => {
    expect(() => withPictures("<!-- picture:nothing -->\n<!-- /picture -->", {})).toThrow(
      'the README has a picture block "nothing" that nothing renders',
    );
  });
});
