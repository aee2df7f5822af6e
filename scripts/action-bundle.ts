import { fileURLToPath } from "node:url";
import { build, type BuildOptions } from "esbuild";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const ACTION_ENTRY = "action/src/index.ts";
export const ACTION_BUNDLE = "action/dist/index.js";

/**
 * One ESM file with every dependency inside: an action runs straight from the repository at the
 * ref a workflow names, with no install step. Not minified, so a stack trace in a job log points
 * at readable code and bundle diffs in review stay legible.
 */
export function actionBundleOptions(outfile: string, root: string = ROOT): BuildOptions {
  return {
    absWorkingDir: root,
    entryPoints: [ACTION_ENTRY],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    legalComments: "eof",
    // Paths in the bundle's comments stay under node_modules/ even where it is a symlink (a
    // worktree's, or the release test's clone), so every checkout builds the same bytes.
    preserveSymlinks: true,
    logLevel: "warning",
    // Some bundled CommonJS dependencies call require() for Node built-ins, which ESM lacks.
    banner: {
      js: 'import { createRequire as __orchestratorCreateRequire } from "node:module";\nconst require = __orchestratorCreateRequire(import.meta.url);',
    },
  };
}

/** Builds the bundle from the sources under `root` (this checkout unless told). */
export async function buildActionBundle(outfile: string, root: string = ROOT): Promise<void> {
  await build(actionBundleOptions(outfile, root));
}
