import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Safety nets, not speed checks: tests wait for events, files or output, and a test that runs
    // the real Claude Code CLI and git took over 60 s on a 2-core machine at load 40.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Tests start real processes (git, the Claude Code CLI); two cores, so keep workers few.
    maxWorkers: 2,
  },
});
