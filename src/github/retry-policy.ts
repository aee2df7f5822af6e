import { ProbotOctokit } from "probot";

/**
 * How the App's GitHub clients ride out GitHub's passing failures, with the two plugins Probot
 * already bundles in its Octokit:
 *
 * - `@octokit/plugin-retry` sends a request again after a 5xx or a network error, waiting 1, 4,
 *   9 s — for every request but those that say `request: { retries: 0 }`: the workflow dispatch
 *   and the trigger claim of a command, whose lost answer may hide a write that a blind repeat
 *   would make twice (dispatch-task.ts settles a dispatch by looking, not by repeating).
 * - `@octokit/plugin-throttling` spaces writes as GitHub asks and, on a rate limit (403 or 429
 *   naming a secondary rate limit, or a primary one at 0 remaining), waits GitHub's `Retry-After`
 *   and sends the request again. Probot's server configures it to give up on secondary limits at
 *   once; the App retries them instead, for every method: GitHub refuses a rate-limited request
 *   before doing anything, so repeating it — even a dispatch — cannot do anything twice.
 *
 * A wait longer than `maxRetryAfterSeconds` is not spent inside a request: the request fails and
 * its pass is retried later (advance-session.ts keeps the wake-ups it carried).
 */
export interface GitHubRetryOptions {
  /** Times one request is sent again after a rate limit (default 4). */
  rateLimitRetries?: number | undefined;
  /** The longest `Retry-After` waited out inside a request, in seconds (default 120). */
  maxRetryAfterSeconds?: number | undefined;
  /**
   * Milliseconds per second of `Retry-After` and of the 5xx backoff: 1000 in production; tests
   * make it small so that a fault costs no real seconds.
   */
  msPerSecond?: number | undefined;
  /** Space writes a second apart as GitHub asks (default true; tests that count no time turn it off). */
  spaceWrites?: boolean | undefined;
  /** Where a retry is told of (default: the client's own log). */
  log?: ((message: string) => void) | undefined;
}

export const DEFAULT_RATE_LIMIT_RETRIES = 4;
export const DEFAULT_MAX_RETRY_AFTER_SECONDS = 120;

interface RetriedRequest {
  method?: string;
  url?: string;
  request?: { retryCount?: number };
}

/** A Bottleneck group stand-in that runs every job at once (no spacing). */
const NO_SPACING = {
  key: () => ({
    schedule: (...args: unknown[]) => {
      const fn = args.find((arg) => typeof arg === "function") as (...rest: unknown[]) => unknown;
      return Promise.resolve(fn(...args.slice(args.indexOf(fn) + 1)));
    },
  }),
};

/**
 * Whether to send a rate-limited request again: a few times, and only when GitHub's wait is
 * short enough to spend inside the request.
 */
export function shouldRetryRateLimit(
  retryAfterSeconds: number,
  retryCount: number,
  options: Pick<GitHubRetryOptions, "rateLimitRetries" | "maxRetryAfterSeconds">,
): boolean {
  const retries = options.rateLimitRetries ?? DEFAULT_RATE_LIMIT_RETRIES;
  const longest = options.maxRetryAfterSeconds ?? DEFAULT_MAX_RETRY_AFTER_SECONDS;
  return retryCount < retries && retryAfterSeconds <= longest;
}

/**
 * The Octokit class the App gives Probot (`new Probot({ Octokit })`): Probot's own, with the
 * policy above. A function default, not an object: Probot passes its own `throttle` options
 * when it builds a client, and an object default would be shallow-replaced by them.
 */
/** @octokit/plugin-retry's own default `doNotRetry`: client errors that a resend cannot mend. */
const PLUGIN_RETRY_DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 451];

export function withRetryPolicy(
  Base: typeof ProbotOctokit = ProbotOctokit,
  options: GitHubRetryOptions = {},
): typeof ProbotOctokit {
  const msPerSecond = options.msPerSecond ?? 1000;
  return Base.defaults((instance: Record<string, unknown>) => {
    const throttle = (instance.throttle ?? {}) as Record<string, unknown>;
    const retry = (instance.retry ?? {}) as Record<string, unknown>;
    const onLimit =
      (kind: string) =>
      (retryAfter: number, request: RetriedRequest, octokit: { log?: { warn(message: string): void } }) => {
        const count = request.request?.retryCount ?? 0;
        const again = shouldRetryRateLimit(retryAfter, count, options);
        const message =
          `GitHub's ${kind} rate limit hit ${request.method ?? ""} ${request.url ?? ""}: ` +
          (again ? `retrying in ${retryAfter} s` : "giving up on this request");
        if (options.log) options.log(message);
        else octokit.log?.warn(message);
        return again;
      };
    return {
      ...instance,
      // A 429 is the throttling's to wait out (bounded above); plugin-retry's default list leaves it
      // out, so without this a limit that never lifts was sent 8 times instead of 5.
      retry: {
        ...retry,
        retryAfterBaseValue: msPerSecond,
        doNotRetry: [...((retry.doNotRetry as number[] | undefined) ?? PLUGIN_RETRY_DO_NOT_RETRY), 429],
      },
      throttle: {
        ...throttle,
        retryAfterBaseValue: msPerSecond,
        onSecondaryRateLimit: onLimit("secondary"),
        onRateLimit: onLimit("primary"),
        ...(options.spaceWrites === false ? { write: NO_SPACING, notifications: NO_SPACING } : {}),
      },
    };
  }) as typeof ProbotOctokit;
}
