import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACTION_BUNDLE, ROOT, buildActionBundle } from "./action-bundle.js";

/**
 * `npm run check:action-bundle`: the action runs from the committed `action/dist/index.js`, not
 * from its sources, so CI rebuilds it and fails if the two differ (someone changed the sources
 * or a dependency without running `npm run build:action`).
 */
const dir = await mkdtemp(join(tmpdir(), "action-bundle-"));
try {
  const fresh = join(dir, "index.js");
  await buildActionBundle(fresh);
  const committed = await readFile(join(ROOT, ACTION_BUNDLE), "utf8").catch(() => null);
  if (committed === null) {
    console.error(`${ACTION_BUNDLE} is missing: run \`npm run build:action\` and commit it.`);
    process.exitCode = 1;
  } else if (committed !== (await readFile(fresh, "utf8"))) {
    console.error(`${ACTION_BUNDLE} is out of date: run \`npm run build:action\` and commit the result.`);
    process.exitCode = 1;
  } else {
    console.log(`${ACTION_BUNDLE} is up to date.`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
