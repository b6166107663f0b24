import type { AlertType } from '../contract/security-alert.ts'

/**
 * What an attack really did: which class, who (the attacker's name and every source address and
 * client id it used), against what, and from when to when in simulated time. Kept beside the run,
 * never inside any payload — detectors see only what the broker sees, and scoring alone reads this.
 */
export interface GroundTruthEntry {
  type: AlertType
  /** A name for the attacker, e.g. `brute-force#1`. */
  attacker: string
  /** The device (or user) attacked, when there is one. */
  target: string | null
  addresses: string[]
  clientIds: string[]
  /** Simulated epoch ms of the first and last malicious action. */
  startMs: number
  endMs: number
  params: Record<string, unknown>
}

export class GroundTruth {
  readonly entries: GroundTruthEntry[] = []
  private serial = 0

  /** Opens an entry at `startMs`; the attack fills in what it uses and calls `end`. */
  begin(type: AlertType, target: string | null, params: Record<string, unknown>, startMs: number): GroundTruthEntry {
    const entry: GroundTruthEntry = { type, attacker: `${type}#${++this.serial}`, target, addresses: [], clientIds: [], startMs, endMs: startMs, params }
    this.entries.push(entry)
    return entry
  }
}
