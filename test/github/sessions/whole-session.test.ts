import { afterEach, describe, expect, it } from "vitest";
import { SessionHarness } from "../../support/simulated-session.js";

const diamond = {
  tasks: [
    { id: "schema", prompt: "Design the schema", estimate_minutes: 5 },
    { id: "api", prompt: "Build the API", dependencies: ["schema"], estimate_minutes: 10 },
    { id: "ui", prompt: "Build the UI", dependencies: ["schema"], estimate_minutes: 5 },
    { id: "e2e", prompt: "End-to-end tests", dependencies: ["api", "ui"] },
    { id: "docs", prompt: "Write docs" },
  ],
};

let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe("a whole session on the fake GitHub", () => {
  it("dispatches ready tasks, bases dependents on their dependencies, and concludes", async () => {
    harness = await SessionHarness.create({ tasks: diamond });
    const started = await harness.start({ parallel: 3 });
    expect(started.ok, JSON.stringify(started)).toBe(true);
    console.log(harness.violations());
    expect(
      harness
        .openRuns()
        .map((r) => r.request.taskId)
        .sort(),
    ).toEqual(["docs", "schema"]);
  });
});
