/**
 * When each device's messages are due, as an open-loop schedule: message k of device d is due
 * once the load's effective elapsed time reaches (k + 1 − phase_d) / rate. During ramp-up the rate
 * grows linearly from zero, so the effective time is t²/2R, and t − R/2 after it. Every device gets
 * a fixed phase (golden-ratio spacing), so a fleet's messages spread evenly over each second
 * instead of arriving in a burst on the second. A message that cannot be sent when due (socket
 * backed up, QoS 1 window full) is counted as offered but not achieved; it is never sent late,
 * which would hide the stall (coordinated omission).
 */
export class LoadSchedule {
  private readonly phase: Float64Array
  private readonly offered: Float64Array
  private readonly rate: number
  private readonly rampMs: number
  private readonly startAt: number
  private readonly endAt: number

  /** `devices` are the global indices this schedule covers; `due` arrays are indexed locally. */
  constructor(options: { devices: readonly number[]; ratePerDevice: number; rampUpS: number; durationS: number; startAt: number }) {
    this.rate = options.ratePerDevice
    this.rampMs = options.rampUpS * 1000
    this.startAt = options.startAt
    this.endAt = options.startAt + this.rampMs + options.durationS * 1000
    this.phase = Float64Array.from(options.devices, (d) => (d * 0.6180339887498949) % 1)
    this.offered = new Float64Array(options.devices.length)
  }

  get end(): number {
    return this.endAt
  }

  /** Seconds of load at full rate that `now` amounts to. */
  effectiveSeconds(now: number): number {
    const e = Math.min(now, this.endAt) - this.startAt
    if (e <= 0) return 0
    const r = this.rampMs
    return (e < r ? (e * e) / (2 * r) : e - r / 2) / 1000
  }

  /** Fills `due[i]` with the messages device i owes at `now` (and counts them as offered); returns the total. */
  dueAt(now: number, due: Uint32Array): number {
    const base = this.effectiveSeconds(now) * this.rate
    let total = 0
    for (let i = 0; i < this.offered.length; i++) {
      const owed = Math.floor(base + this.phase[i]!) - this.offered[i]!
      if (owed > 0) {
        due[i] = owed
        this.offered[i]! += owed
        total += owed
      } else due[i] = 0
    }
    return total
  }
}
