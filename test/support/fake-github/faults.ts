/**
 * Fault injection: the next N requests matching a route answer with an error instead of (or,
 * with `afterEffect`, after) doing their work. `afterEffect` models the dangerous case for
 * exactly-once: GitHub performed the write but the client saw a 5xx and may retry.
 */

export type FaultKind = "server-error" | "bad-gateway" | "secondary-rate-limit" | "validation-failed";

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
    case "validation-failed":
      return {
        status: 422,
        headers: {},
        body: { message: spec.message ?? "Validation Failed", errors: [], status: "422" },
      };
  }
}
