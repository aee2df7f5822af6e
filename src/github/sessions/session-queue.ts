/**
 * Serializes work per session inside one process: two webhooks for the same session never
 * interleave their read-decide-write cycles, so one process dispatches each attempt once (across
 * processes, see dispatch-task.ts). Keys are dropped once idle so the map stays small.
 */
export class SessionQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Sessions with work queued or running (for tests and graceful shutdown). */
  get activeKeys(): string[] {
    return [...this.tails.keys()];
  }

  /** Resolves once everything queued so far has finished. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
