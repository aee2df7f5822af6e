import { RecentMap } from "./recent-map.js";

/**
 * Work a webhook started that its answer does not wait for. Probot answers a delivery only when
 * its handler resolves, GitHub gives up on it after 10 s, and Probot's throttling spaces the
 * App's writes a second apart: a command that writes nine times cannot be answered in time. So
 * every handler runs here (app.ts) and the delivery is answered at once.
 *
 * Nothing that matters is lost with the process: a session's work is found again by the sweep
 * (the active-session index), and the runs a failed pass was given are carried to the session's
 * next pass (advance-session.ts). The server waits for this work on shutdown (`idle`).
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Starts `work` now; its failure goes to `onError`, never to the caller. */
  run(work: () => Promise<void>, onError: (error: unknown) => void): void {
    const done: Promise<void> = Promise.resolve()
      .then(work)
      .catch(onError)
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }

  /**
   * Starts `work` after `ms` (not waited for by `idle`; dropped by `cancelLater` at shutdown —
   * what it would have looked at, the sweep looks at too).
   */
  later(ms: number, work: () => Promise<void>, onError: (error: unknown) => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.run(work, onError);
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  cancelLater(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves once everything started so far (and anything it started) has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}

/**
 * Run ids remembered for a while (the newest `capacity`): what this process already knows of
 * a run, so an event that can tell it nothing new costs no request.
 */
export class RecentIds {
  private readonly ids: RecentMap<number, true>;

  constructor(capacity = 10_000) {
    this.ids = new RecentMap(capacity);
  }

  add(id: number): void {
    this.ids.set(id, true);
  }

  has(id: number): boolean {
    return this.ids.has(id);
  }
}
