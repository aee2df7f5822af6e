import { seededRandom } from "../seeded-random.js";

/**
 * Fault injection: the next N requests matching a route answer with an error instead of (or,
 * with `afterEffect`, after) doing their work. `afterEffect` models the dangerous case for
 * exactly-once: GitHub performed the write but the client saw a 5xx and may retry.
 */

export type FaultKind =
  "server-error" | "bad-gateway" | "secondary-rate-limit" | "too-many-requests" | "validation-failed";

/** The faults GitHub gives for reasons of its own (not the request's): what `random` injects. */
export const TRANSIENT_FAULT_KINDS = [
  "server-error",
  "bad-gateway",
  "secondary-rate-limit",
  "too-many-requests",
] as const satisfies readonly FaultKind[];

/**
 * Faults at random: each request matching `routes` fails with probability `rate`, with one of
 * `kinds`, drawn from a seeded generator (the same seed and the same requests give the same
 * faults). A 5xx on a write happens after the write's effect with probability `afterEffectRate`
 * for the routes in `afterEffectRoutes` (a rate limit never does: GitHub refuses those first).
 */
export interface RandomFaults {
  readonly seed: number;
  readonly rate: number;
  readonly kinds?: readonly FaultKind[];
  /** Route templates (`METHOD /path`) that may fail; default every route. */
  readonly routes?: (route: string) => boolean;
  readonly afterEffectRate?: number;
  readonly afterEffectRoutes?: (route: string) => boolean;
  /** `retry-after` of rate limits, in seconds (default 1). */
  readonly retryAfterSeconds?: number;
}

export interface FaultSpec {
  /** Route template as logged, e.g. `POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches`, or `*`. */
  readonly route: string;
  readonly kind: FaultKind;
  /** How many matching requests fail (default 1). */
  readonly times?: number;
  /** Perform the request's effect first, then answer with the fault. Default false. */
  readonly afterEffect?: boolean;
  /** For `secondary-rate-limit`: the `retry-after` header in seconds (default 60). */
  readonly retryAfterSeconds?: number;
  /** For `validation-failed`: the message (default "Validation Failed"). */
  readonly message?: string;
}

export interface FaultResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** Raw text body (GitHub's 502 is an HTML page, not JSON). */
  readonly text?: string;
}

interface ActiveFault {
  readonly spec: FaultSpec;
  remaining: number;
}

export class FaultInjector {
  private readonly active: ActiveFault[] = [];
  private randomFaults: { spec: RandomFaults; next: () => number } | undefined;
  /** A random fault drawn before the request that fires after its effect. */
  private drawnAfter: FaultSpec | undefined;
  private suspended = 0;
  /** How many random faults fired, by kind. */
  readonly randomFired: Partial<Record<FaultKind, number>> = {};

  /** Turns random faults on (see RandomFaults); `undefined` turns them off. */
  random(spec: RandomFaults | undefined): void {
    this.randomFaults = spec && { spec, next: seededRandom(spec.seed) };
  }

  /** Runs `work` with random faults held back (the test playing GitHub Actions, not the App). */
  async without<T>(work: () => Promise<T>): Promise<T> {
    this.suspended++;
    try {
      return await work();
    } finally {
      this.suspended--;
    }
  }

  add(spec: FaultSpec): void {
    this.active.push({ spec, remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.active.length = 0;
  }

  /** Faults still waiting to fire. */
  pending(): FaultSpec[] {
    return this.active.filter((f) => f.remaining > 0).map((f) => ({ ...f.spec, times: f.remaining }));
  }

  /** Consumes one firing of the first fault matching `route` in the given phase. */
  take(route: string, phase: "before" | "after"): FaultSpec | undefined {
    const drawn = this.drawRandom(route, phase);
    if (drawn !== undefined) return drawn;
    const fault = this.active.find(
      (f) =>
        f.remaining > 0 &&
        (f.spec.route === "*" || f.spec.route === route) &&
        (f.spec.afterEffect === true) === (phase === "after"),
    );
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    return fault.spec;
  }

  private drawRandom(route: string, phase: "before" | "after"): FaultSpec | undefined {
    if (phase === "after") {
      const after = this.drawnAfter;
      this.drawnAfter = undefined;
      return after;
    }
    const random = this.randomFaults;
    if (random === undefined || this.suspended > 0) return undefined;
    const { spec, next } = random;
    if (spec.routes && !spec.routes(route)) return undefined;
    if (next() >= spec.rate) return undefined;
    const kinds = spec.kinds ?? TRANSIENT_FAULT_KINDS;
    const kind = kinds[Math.floor(next() * kinds.length)] as FaultKind;
    this.randomFired[kind] = (this.randomFired[kind] ?? 0) + 1;
    const fault: FaultSpec = { route, kind, retryAfterSeconds: spec.retryAfterSeconds ?? 1 };
    const serverSide = kind === "server-error" || kind === "bad-gateway";
    const write = !route.startsWith("GET ");
    if (
      serverSide &&
      write &&
      spec.afterEffectRoutes?.(route) === true &&
      next() < (spec.afterEffectRate ?? 0)
    ) {
      this.drawnAfter = { ...fault, afterEffect: true };
      return undefined;
    }
    return fault;
  }
}

export function faultResponse(spec: FaultSpec, requestId: string): FaultResponse {
  switch (spec.kind) {
    case "server-error":
      return { status: 500, headers: {}, body: { message: "Server Error", status: "500" } };
    case "bad-gateway":
      return {
        status: 502,
        headers: { "content-type": "text/html; charset=utf-8" },
        body: undefined,
        text: "<html><body><h1>502 Bad Gateway</h1>Server Error</body></html>",
      };
    case "secondary-rate-limit":
      // @octokit/plugin-throttling recognises a secondary limit by this wording and `retry-after`.
      return {
        status: 403,
        headers: { "retry-after": String(spec.retryAfterSeconds ?? 60), "x-ratelimit-remaining": "4999" },
        body: {
          message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
          documentation_url:
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
          status: "403",
        },
      };
    case "too-many-requests":
      // GitHub's 429 for a secondary limit says so too; plugin-throttling needs the words.
      return {
        status: 429,
        headers: { "retry-after": String(spec.retryAfterSeconds ?? 60), "x-ratelimit-remaining": "4999" },
        body: {
          message: `You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
          documentation_url:
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
          status: "429",
        },
      };
    case "validation-failed":
      return {
        status: 422,
        headers: {},
        body: { message: spec.message ?? "Validation Failed", errors: [], status: "422" },
      };
  }
}
