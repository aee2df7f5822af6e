import { fileURLToPath } from "node:url";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/**
 * Whether the committed bundle under `root` is what its sources build to now: "missing", "stale"
 * or "fresh". The action runs from the committed file, so CI and releases check it.
 */
export async function actionBundleState(root: string = ROOT): Promise<"missing" | "stale" | "fresh"> {
  const dir = await mkdtemp(join(tmpdir(), "action-bundle-"));
  try {
    const fresh = join(dir, "index.js");
    await buildActionBundle(fresh, root);
    const committed = await readFile(join(root, ACTION_BUNDLE), "utf8").catch(() => null);
    if (committed === null) return "missing";
    return committed === (await readFile(fresh, "utf8")) ? "fresh" : "stale";
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
