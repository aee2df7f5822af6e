import { readFileSync } from "node:fs";
import { TASK_WORKFLOW_FILE } from "../core/starter-tasks.js";

/**
 * Files that ship with the orchestrator package and are handed to users: the task workflow, the
 * tasks schema, and package.json (version, home). Found from this module: `../../` is the package
 * root from both src/package and dist/package, in a clone, an npm install and the container.
 */

const PACKAGE_ROOT = new URL("../../", import.meta.url);

/** The task workflow users install, exactly as this repository has it (it references the published action). */
export const PACKAGE_WORKFLOW = new URL(TASK_WORKFLOW_FILE, PACKAGE_ROOT);
export const PACKAGE_SCHEMA = new URL("tasks/tasks.schema.json", PACKAGE_ROOT);
export const PACKAGE_JSON = new URL("package.json", PACKAGE_ROOT);
/** The App's manifest (permissions, events), which the setup page registers the App from. */
export const PACKAGE_APP_MANIFEST = new URL("app.yml", PACKAGE_ROOT);

/** A package file is missing or unreadable: the installation is broken, and saying which file helps. */
export class PackageFileError extends Error {
  constructor(
    readonly url: URL,
    cause: unknown,
  ) {
    super(
      `could not read ${url.pathname} from the orchestrator package (${cause instanceof Error ? cause.message : String(cause)}); reinstall it`,
    );
    this.name = "PackageFileError";
  }
}

const cache = new Map<string, string>();

/** A package file's text (read once per process: the package does not change while it runs). */
export function readPackageFile(url: URL): string {
  const cached = cache.get(url.href);
  if (cached !== undefined) return cached;
  let text: string;
  try {
    text = readFileSync(url, "utf8");
  } catch (error) {
    throw new PackageFileError(url, error);
  }
  cache.set(url.href, text);
  return text;
}

/** package.json's version and home (for the published action's ref); a broken package.json is a broken install. */
export function packageIdentity(): { version?: unknown; repository?: unknown } {
  try {
    return JSON.parse(readPackageFile(PACKAGE_JSON)) as { version?: unknown; repository?: unknown };
  } catch (error) {
    if (error instanceof PackageFileError) throw error;
    throw new PackageFileError(PACKAGE_JSON, error);
  }
}

/** The package's version, for `--version`, /health and user agents; "unknown" if package.json cannot say. */
export function packageVersion(): string {
  try {
    const version = packageIdentity().version;
    return typeof version === "string" ? version : "unknown";
  } catch {
    return "unknown";
  }
}
