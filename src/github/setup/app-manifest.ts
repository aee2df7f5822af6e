import { parse } from "yaml";

/**
 * The manifest the setup page posts to GitHub: the repository's `app.yml` (name, description,
 * permissions, events) with this server's own URLs in place of the file's placeholders. Fields
 * as GitHub documents them in "Registering a GitHub App from a manifest": `url` (required),
 * `hook_attributes.url` (required), `redirect_url`, `name`, `description`, `public`,
 * `default_events`, `default_permissions`.
 */
export interface AppManifest {
  name?: string;
  url: string;
  description?: string;
  hook_attributes: { url: string; active: boolean };
  redirect_url: string;
  public: boolean;
  default_events: string[];
  default_permissions: Record<string, string>;
}

/** app.yml is broken: the package is (the file ships with it). */
export class AppManifestError extends Error {
  constructor(message: string) {
    super(`app.yml: ${message}`);
    this.name = "AppManifestError";
  }
}

/** What app.yml holds in place of real URLs: never sent to GitHub. */
const PLACEHOLDER = /your-service\.example\.com|\/your-org\//;

export function buildAppManifest(args: {
  /** The text of app.yml. */
  appYml: string;
  /** Where GitHub posts webhooks: the public base URL and the server's webhook path. */
  webhookUrl: string;
  /** Where GitHub sends the browser back with the code: `<base>/setup/callback`. */
  redirectUrl: string;
  /** The App's homepage when app.yml's `url` is a placeholder (package.json's homepage). */
  homepage: string;
}): AppManifest {
  let file: unknown;
  try {
    file = parse(args.appYml);
  } catch (error) {
    throw new AppManifestError(`not valid YAML (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof file !== "object" || file === null || Array.isArray(file)) {
    throw new AppManifestError("expected a mapping of manifest fields");
  }
  const yml = file as Record<string, unknown>;
  const events = stringList(yml.default_events, "default_events");
  const permissions = stringRecord(yml.default_permissions, "default_permissions");
  const name = optionalString(yml.name, "name");
  const description = optionalString(yml.description, "description");
  const url = optionalString(yml.url, "url");
  return {
    ...(name === undefined ? {} : { name }),
    url: url === undefined || PLACEHOLDER.test(url) ? args.homepage : url,
    ...(description === undefined ? {} : { description: description.trim() }),
    hook_attributes: { url: args.webhookUrl, active: true },
    redirect_url: args.redirectUrl,
    public: yml.public === true,
    default_events: events,
    default_permissions: permissions,
  };
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new AppManifestError(`${field} must be text`);
  return value;
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new AppManifestError(`${field} must be a list of names`);
  }
  return value as string[];
}

function stringRecord(value: unknown, field: string): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AppManifestError(`${field} must map each permission to read or write`);
  }
  const entries = Object.entries(value);
  if (!entries.every(([, access]) => typeof access === "string")) {
    throw new AppManifestError(`${field} must map each permission to read or write`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}
