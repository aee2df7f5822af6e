import { readdirSync, readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";

/**
 * Finding the processes a test started, grandchildren included, without knowing their pids:
 * each test gives its agent a unique environment variable, inherited by everything the agent
 * starts, and we look for it in /proc/<pid>/environ (Linux only; these tests run as the same
 * user, so the files are readable).
 */

export const MARKER_VAR = "ORCHESTRATOR_TEST_MARKER";

export function newMarker(): string {
  return randomUUID();
}

export function processesWithMarker(marker: string): number[] {
  const needle = `${MARKER_VAR}=${marker}`;
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (environ.includes(needle)) found.push(Number(entry));
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return found;
}

export async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
