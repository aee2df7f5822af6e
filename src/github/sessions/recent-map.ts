/**
 * A map that keeps only its newest `limit` entries (least recently used go first): the in-memory
 * caches of one App process, bounded so a long-running server's memory stays flat.
 */
export class RecentMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    const found = this.entries.get(key);
    if (found !== undefined) {
      // Refresh recency.
      this.entries.delete(key);
      this.entries.set(key, found);
    }
    return found;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
