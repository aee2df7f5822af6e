import { join } from "node:path";
import { ACTION_BUNDLE, ROOT, buildActionBundle } from "./action-bundle.js";

/** `npm run build:action`: writes the committed bundle the action runs from. */
await buildActionBundle(join(ROOT, ACTION_BUNDLE));
console.log(`Wrote ${ACTION_BUNDLE}`);
