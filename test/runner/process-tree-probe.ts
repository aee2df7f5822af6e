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

/** Alive and not a zombie (a zombie is dead; it only waits for a parent to reap it). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * Runs `attempt` with the first timeout; when `reached` says the scenario was not yet set up when
 * that timeout struck (a busy machine started the processes late), tries again with the next,
 * longer one. A test about what a timeout does then never depends on how fast the machine is.
 */
export async function withGrowingTimeout<T>(
  timeoutsMs: readonly number[],
  attempt: (timeoutMs: number) => Promise<T>,
  reached: (result: T) => boolean,
): Promise<T> {
  let result: T | undefined;
  for (const timeoutMs of timeoutsMs) {
    result = await attempt(timeoutMs);
    if (reached(result)) return result;
  }
  throw new Error(`the scenario was not set up within ${timeoutsMs.join(", ")} ms timeouts`);
}
