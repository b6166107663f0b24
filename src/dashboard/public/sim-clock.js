// Simulated time as the page sees it. Payload `ts` values are simulated epoch ms, which run at
// `speed` × wall time (or as fast as the machine allows), so ages and lateness must be measured
// against the lab's clock, not the browser's. /api/stats says where that clock is each second;
// between polls the page extrapolates at the lab's speed.

export class SimClock {
  constructor() {
    this.simAt = NaN
    this.wallAt = 0
    this.speed = null
    this.latestTs = -Infinity
  }

  /** A reading of the lab's clock from /api/stats. */
  sync(simNow, speed) {
    this.simAt = simNow
    this.wallAt = performance.now()
    this.speed = speed
  }

  /** Every device timestamp seen; the newest stands in for the clock before the first sync. */
  saw(ts) {
    if (ts > this.latestTs) this.latestTs = ts
  }

  now() {
    if (Number.isNaN(this.simAt)) return this.latestTs
    if (this.speed === null) return Math.max(this.simAt, this.latestTs)
    return this.simAt + (performance.now() - this.wallAt) * this.speed
  }
}
