import { ACTION_BUNDLE, actionBundleState } from "./action-bundle.js";

/**
 * `npm run check:action-bundle`: the action runs from the committed `action/dist/index.js`, not
 * from its sources, so CI rebuilds it and fails if the two differ (someone changed the sources
 * or a dependency without running `npm run build:action`).
 */
const state = await actionBundleState();
if (state === "missing") {
  console.error(`${ACTION_BUNDLE} is missing: run \`npm run build:action\` and commit it.`);
  process.exitCode = 1;
} else if (state === "stale") {
  console.error(`${ACTION_BUNDLE} is out of date: run \`npm run build:action\` and commit the result.`);
  process.exitCode = 1;
} else {
  console.log(`${ACTION_BUNDLE} is up to date.`);
}
