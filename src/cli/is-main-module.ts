import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * True when the module at `moduleUrl` is the script node was started with (`tsx src/cli.ts`,
 * `node dist/cli.js`), false when it is imported (by `bin/orchestrator.js` or a test).
 * Real paths, because npm links bin scripts through symlinks.
 */
export function isMainModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
