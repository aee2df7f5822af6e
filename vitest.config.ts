import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests start real processes (git, the Claude Code CLI); two cores, so keep workers few.
    maxWorkers: 2,
  },
});
