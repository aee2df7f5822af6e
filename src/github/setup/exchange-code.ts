import { Octokit } from "@octokit/rest";
import { z } from "zod";

/** What GitHub hands over for a manifest code: the new App and its credentials. */
export interface RegisteredApp {
  id: number;
  slug: string;
  name: string;
  htmlUrl: string;
  pem: string;
  webhookSecret: string;
  clientId: string;
  clientSecret: string;
}

/** The code could not be exchanged; the message says why and what to do, never a secret. */
export class ExchangeError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = "ExchangeError";
  }
}

const conversion = z.object({
  id: z.number().int().positive(),
  slug: z.string().min(1),
  name: z.string(),
  html_url: z.string().url(),
  pem: z.string().includes("PRIVATE KEY"),
  // GitHub's description allows null (an App without a webhook); this App needs one.
  webhook_secret: z.string().min(1),
  client_id: z.string(),
  client_secret: z.string(),
});

/**
 * `POST /app-manifests/{code}/conversions` (no authentication; the code is good once, for an
 * hour). Not retried: a second try of a code GitHub has used is a 404 that would hide the first
 * answer's fate.
 */
export async function exchangeManifestCode(args: {
  code: string;
  /** GitHub's REST root: https://api.github.com, or GHE's /api/v3. */
  baseUrl: string;
  userAgent: string;
}): Promise<RegisteredApp> {
  // Octokit's own log would print failed requests on the console; the caller reports them.
  const quiet = (): void => {};
  const octokit = new Octokit({
    baseUrl: args.baseUrl,
    userAgent: args.userAgent,
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
  let data: unknown;
  try {
    ({ data } = await octokit.rest.apps.createFromManifest({ code: args.code }));
  } catch (error) {
    const status =
      typeof error === "object" && error !== null && "status" in error ? Number(error.status) : undefined;
    if (status === 404) {
      throw new ExchangeError(
        "GitHub does not know this registration code: a code works once and expires after an hour. Open the setup page and register again.",
        404,
      );
    }
    if (status === 422) {
      throw new ExchangeError(
        `GitHub refused the registration code (422: ${githubMessage(error)}). Open the setup page and register again.`,
        422,
      );
    }
    throw new ExchangeError(
      `could not exchange the registration code with GitHub at ${args.baseUrl} (${status === undefined ? githubMessage(error) : `HTTP ${status}`}). Open the setup page and try again.`,
      status,
    );
  }
  const parsed = conversion.safeParse(data);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".")))].join(", ");
    throw new ExchangeError(`GitHub's answer for the registration code lacks ${fields}`, undefined);
  }
  const app = parsed.data;
  return {
    id: app.id,
    slug: app.slug,
    name: app.name,
    htmlUrl: app.html_url,
    pem: app.pem,
    webhookSecret: app.webhook_secret,
    clientId: app.client_id,
    clientSecret: app.client_secret,
  };
}

/** GitHub's own message of an error answer, one line and short (it is shown on a page). */
function githubMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]?.slice(0, 200) ?? "";
}
