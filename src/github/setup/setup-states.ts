import { randomBytes } from "node:crypto";
import { RecentMap } from "../sessions/recent-map.js";

/**
 * The `state` values the setup page handed out: GitHub sends the browser back to the callback
 * with the state it was given, and a callback whose state this process did not hand out (a
 * forged link, another site, an old tab after a restart) is refused. Each state is random (128
 * bits), good once, and forgotten after an hour (GitHub's code expires then too); at most
 * `limit` are remembered, so reloading the page forever cannot grow memory.
 */
export class SetupStates {
  private readonly issued: RecentMap<string, number>;

  constructor(
    private readonly options: { nowMs: () => number; ttlMs?: number; limit?: number } = {
      nowMs: () => Date.now(),
    },
  ) {
    this.issued = new RecentMap(options.limit ?? 100);
  }

  issue(): string {
    const state = randomBytes(16).toString("hex");
    this.issued.set(state, this.options.nowMs() + (this.options.ttlMs ?? 60 * 60_000));
    return state;
  }

  /** True once for a state this process issued and that has not expired; it is then forgotten. */
  take(state: string): boolean {
    const expires = this.issued.get(state);
    if (expires === undefined) return false;
    // Used up: remembered as expired (it leaves with the oldest entries).
    this.issued.set(state, Number.NEGATIVE_INFINITY);
    return this.options.nowMs() <= expires;
  }
}
