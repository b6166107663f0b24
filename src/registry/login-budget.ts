import { KeyedTokenBuckets } from '../util/keyed-token-buckets.ts'

/** How many failed logins one address may have before it must wait, and how fast they are forgiven. */
export interface LoginBudgetConfig {
  /** Failed logins an address may have in hand; 0 turns the budget off. */
  failures: number
  /** The time in which `failures` are forgiven: one every windowMs / failures. */
  windowMs: number
}

/** Addresses remembered at most; beyond, the longest untouched go first. A few MB. */
const MAX_ADDRESSES = 100_000

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
  private readonly buckets: KeyedTokenBuckets | null
  private readonly now: () => number

  constructor(config: LoginBudgetConfig, now: () => number = Date.now) {
    this.buckets = config.failures > 0 ? new KeyedTokenBuckets({ capacity: config.failures, refillMs: config.windowMs, maxKeys: MAX_ADDRESSES }) : null
    this.now = now
  }

  /** Takes a token for a login about to cost a hash; false when `address` has none left. */
  take(address: string): boolean {
    return this.buckets?.take(address, this.now()) ?? true
  }

  /** Gives the token back: the login succeeded, or was not checked for a reason that is not the client's. */
  refund(address: string): void {
    this.buckets?.give(address)
  }
}
