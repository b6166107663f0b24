/**
 * One token bucket per key (an address, a device): `capacity` tokens, refilled at `capacity` per
 * `refillMs`. Keys whose bucket is full again are forgotten, and at most `maxKeys` are kept — the
 * longest untouched go first — since keys come from clients, which must not grow memory at will.
 */
export class KeyedTokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  private readonly capacity: number
  private readonly refillMs: number
  private readonly maxKeys: number

  constructor(options: { capacity: number; refillMs: number; maxKeys: number }) {
    this.capacity = options.capacity
    this.refillMs = options.refillMs
    this.maxKeys = options.maxKeys
  }

  /** Takes a token for `key` at time `now`; false when it has none. */
  take(key: string, now: number): boolean {
    const bucket = this.refilled(key, now)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    // Re-inserted, so the map's order is the order keys were last touched.
    this.buckets.delete(key)
    this.buckets.set(key, bucket)
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!)
    return true
  }

  /** Gives a token back to `key`. */
  give(key: string): void {
    const bucket = this.buckets.get(key)
    if (!bucket) return
    bucket.tokens = Math.min(this.capacity, bucket.tokens + 1)
    if (bucket.tokens === this.capacity) this.buckets.delete(key)
  }

  private refilled(key: string, now: number): { tokens: number; at: number } {
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: now }
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (Math.max(0, now - bucket.at) * this.capacity) / this.refillMs)
    bucket.at = now
    return bucket
  }
}
