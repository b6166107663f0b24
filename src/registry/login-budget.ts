/** How many failed logins one address may have before it must wait, and how fast they are forgiven. */
export interface LoginBudgetConfig {
  /** Failed logins an address may have in hand; 0 turns the budget off. */
  failures: number
  /** The time in which `failures` are forgiven: one every windowMs / failures. */
  windowMs: number
}

/** Addresses remembered at most; beyond, the longest untouched go first. A few MB. */
const MAX_ADDRESSES = 100_000

interface Bucket {
  tokens: number
  at: number
}

/**
 * A per-address failure budget: a token bucket of `failures` tokens, refilled over `windowMs`.
 * Every login that would cost a password hash takes a token before the hash runs, and a success
 * gives it back — so failures alone spend the budget, and a burst of parallel CONNECTs is charged
 * as it arrives, not once the hashes have failed. An address with no token left is refused
 * before any hash (CONNACK 5), whatever the password, until a token comes back: letting a right
 * password through would tell the guesser which one was right.
 *
 * On wall-clock time: what it protects is CPU time, which a scenario's virtual clock does not stretch.
 */
export class LoginBudget {
  private readonly buckets = new Map<string, Bucket>()
  private readonly config: LoginBudgetConfig
  private readonly now: () => number

  constructor(config: LoginBudgetConfig, now: () => number = Date.now) {
    this.config = config
    this.now = now
  }

  /** Takes a token for a login about to cost a hash; false when `address` has none left. */
  take(address: string): boolean {
    if (this.config.failures === 0) return true
    const bucket = this.refilled(address)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    this.buckets.delete(address)
    this.buckets.set(address, bucket)
    if (this.buckets.size > MAX_ADDRESSES) this.buckets.delete(this.buckets.keys().next().value!)
    return true
  }

  /** Gives the token back: the login succeeded, or was refused for a reason that is not the client's. */
  refund(address: string): void {
    const bucket = this.buckets.get(address)
    if (!bucket) return
    bucket.tokens = Math.min(this.config.failures, bucket.tokens + 1)
    if (bucket.tokens === this.config.failures) this.buckets.delete(address)
  }

  /** Milliseconds until `address` may try again (0: now). */
  retryInMs(address: string): number {
    const bucket = this.buckets.get(address)
    if (!bucket || this.config.failures === 0) return 0
    const tokens = this.refilled(address).tokens
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * this.config.windowMs) / this.config.failures)
  }

  private refilled(address: string): Bucket {
    const now = this.now()
    const bucket = this.buckets.get(address) ?? { tokens: this.config.failures, at: now }
    bucket.tokens = Math.min(this.config.failures, bucket.tokens + ((now - bucket.at) * this.config.failures) / this.config.windowMs)
    bucket.at = now
    return bucket
  }
}
