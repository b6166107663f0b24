/**
 * The counting primitives detectors share. Each costs O(1) time and a few numbers of memory per
 * key, and none allocates on update: they run for every packet on the broker's hot path.
 */

/**
 * Events in the trailing `windowMs`, estimated from two fixed buckets the way Cloudflare's rate
 * limiter does: the current bucket's count plus the previous bucket's, weighted by how much of it
 * still lies inside the window. Within an event or so for steady rates, within one bucket's worth
 * for bursts.
 */
export class SlidingCount {
  private readonly windowMs: number
  private bucketStart = -Infinity
  private current = 0
  private previous = 0

  constructor(windowMs: number) {
    this.windowMs = windowMs
  }

  /** Adds `n` events at `now` and returns the estimated count over the window ending now. */
  add(now: number, n = 1): number {
    this.roll(now)
    this.current += n
    return this.estimate(now)
  }

  /** The estimated count over the window ending now, without adding. */
  count(now: number): number {
    this.roll(now)
    return this.estimate(now)
  }

  private roll(now: number): void {
    const elapsed = now - this.bucketStart
    if (elapsed < this.windowMs) return
    // One bucket on: the current becomes the previous. More than one: both are out of the window.
    this.previous = elapsed < 2 * this.windowMs ? this.current : 0
    this.current = 0
    this.bucketStart = elapsed < 2 * this.windowMs ? this.bucketStart + this.windowMs : now
  }

  private estimate(now: number): number {
    const overlap = 1 - (now - this.bucketStart) / this.windowMs
    return this.current + this.previous * overlap
  }
}

/**
 * A token bucket: `ratePerSecond` tokens refill continuously up to `capacity`. Taking more than
 * is there means the publisher is over its rate; the bucket then empties rather than going into
 * debt, so the verdict follows the publisher's current behaviour, not its past.
 */
export class TokenBucket {
  private tokens: number
  private last: number
  ratePerSecond: number
  capacity: number

  constructor(ratePerSecond: number, capacity: number, now: number) {
    this.ratePerSecond = ratePerSecond
    this.capacity = capacity
    this.tokens = capacity
    this.last = now
  }

  /** Takes `n` tokens at `now`; false when there were not enough. */
  take(now: number, n = 1): boolean {
    this.refill(now)
    this.tokens -= n
    if (this.tokens >= 0) return true
    this.tokens = 0
    return false
  }

  /**
   * Adds a one-off allowance on top of the capacity (a store-and-forward backlog), kept until it
   * is spent. Given `now`, the bucket first refills up to it, so the allowance comes on top of a
   * full bucket rather than of what was left when the publisher was last heard.
   */
  credit(n: number, now?: number): void {
    if (now !== undefined) this.refill(now)
    this.tokens += n
  }

  /** Refills at the rate up to the capacity; tokens above it (a credit) are neither refilled nor cut. */
  private refill(now: number): void {
    const elapsed = now - this.last
    if (elapsed <= 0) return
    if (this.tokens < this.capacity) this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000)
    this.last = now
  }
}

export interface Timestamped {
  lastSeen: number
}

/**
 * Per-key detector state with bounded memory: keys idle for `idleMs` go at the next sweep, and
 * past `maxKeys` the oldest-created key makes room for a new one — so an attacker cycling through
 * random client ids or addresses costs the broker a fixed amount of memory.
 */
export class KeyedTable<T extends Timestamped> {
  private readonly entries = new Map<string, T>()
  private readonly idleMs: number
  private readonly maxKeys: number

  constructor(options: { idleMs: number; maxKeys: number }) {
    this.idleMs = options.idleMs
    this.maxKeys = options.maxKeys
  }

  get size(): number {
    return this.entries.size
  }

  get(key: string): T | undefined {
    return this.entries.get(key)
  }

  /** The key's state, created by `create` when absent; marks it seen at `now`. */
  touch(key: string, now: number, create: (now: number) => T): T {
    let entry = this.entries.get(key)
    if (!entry) {
      if (this.entries.size >= this.maxKeys) this.entries.delete(this.entries.keys().next().value!)
      entry = create(now)
      this.entries.set(key, entry)
    }
    entry.lastSeen = now
    return entry
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  /** Forgets keys idle for `idleMs`, except those `keep` says still hold something open. */
  sweep(now: number, keep?: (entry: T) => boolean): void {
    for (const [key, entry] of this.entries) if (now - entry.lastSeen >= this.idleMs && !keep?.(entry)) this.entries.delete(key)
  }
}
