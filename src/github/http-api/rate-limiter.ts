/**
 * Token buckets per client: each holds up to `burst` requests and refills at `perMinute`. Time is
 * a parameter (pure logic). The map is bounded: full buckets carry no information and are
 * dropped first, so a flood of distinct addresses cannot grow memory without limit.
 */
export interface RateLimitSettings {
  perMinute: number;
  burst: number;
  /** Most clients tracked at once (default 10,000). */
  maxClients?: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly maxClients: number;

  constructor(private readonly settings: RateLimitSettings) {
    this.perMs = settings.perMinute / 60_000;
    this.maxClients = settings.maxClients ?? 10_000;
  }

  take(key: string, nowMs: number): RateDecision {
    const bucket = this.refilled(key, nowMs);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.store(key, bucket, nowMs);
      return { allowed: true };
    }
    this.store(key, bucket, nowMs);
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)),
    };
  }

  get size(): number {
    return this.buckets.size;
  }

  private refilled(key: string, nowMs: number): Bucket {
    const bucket = this.buckets.get(key);
    if (!bucket) return { tokens: this.settings.burst, at: nowMs };
    const elapsed = Math.max(0, nowMs - bucket.at);
    return { tokens: Math.min(this.settings.burst, bucket.tokens + elapsed * this.perMs), at: nowMs };
  }

  private store(key: string, bucket: Bucket, nowMs: number): void {
    // Re-insert so the Map's order is least recently used first.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxClients) this.evict(nowMs);
  }

  private evict(nowMs: number): void {
    for (const [key, bucket] of this.buckets) {
      const full = bucket.tokens + (nowMs - bucket.at) * this.perMs >= this.settings.burst;
      if (full) this.buckets.delete(key);
    }
    // Everyone is mid-burst: forget the least recently seen (they get a fresh, full bucket). Down
    // to 90% so a flood does not pay this scan on every request.
    const target = Math.floor(this.maxClients * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}
