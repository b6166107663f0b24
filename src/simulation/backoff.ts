import type { Rng } from '../util/rng.ts'

/**
 * Exponential backoff with "equal jitter" (half fixed, half random): after a broker restart a
 * ward's devices come back spread over seconds instead of all in the same millisecond, yet none
 * waits less than half its step.
 */
export class Backoff {
  private attempt = 0
  private readonly rng: Rng
  private readonly baseMs: number
  private readonly capMs: number

  constructor(rng: Rng, options: { baseMs?: number; capMs?: number } = {}) {
    this.rng = rng
    this.baseMs = options.baseMs ?? 500
    this.capMs = options.capMs ?? 30_000
  }

  next(): number {
    const step = Math.min(this.capMs, this.baseMs * 2 ** this.attempt)
    this.attempt = Math.min(this.attempt + 1, 30)
    return step / 2 + this.rng.next() * (step / 2)
  }

  reset(): void {
    this.attempt = 0
  }
}
