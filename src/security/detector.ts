import type { DeviceMessage, QuarantineReason } from '../contract/device-message.ts'
import type { Finding } from '../contract/security-alert.ts'
import type { SecuritySignal, SignalType } from './signals.ts'

/** Where a detector puts what it found; calling it is the only way a detector speaks. */
export type Report = (finding: Finding) => void

/**
 * A detector is one module with one job: it watches connection-level signals from the broker's
 * hooks and events, message-level traffic from the pipeline, or both, and reports findings. It
 * keeps whatever window state it needs, bounded, and never publishes or blocks anything itself.
 * Detectors report through a callback rather than returning arrays, so the common case — nothing
 * found — allocates nothing on the broker's hot path.
 */
export interface Detector {
  readonly name: string
  /** The signal types it wants; the monitor hands it no others. */
  readonly signals?: readonly SignalType[]
  onSignal?(signal: SecuritySignal, now: number, report: Report): void
  /** Every message that passed validation and enrichment (the pipeline's detect stage). */
  onMessage?(message: DeviceMessage, now: number, report: Report): void
  /** Every device message the pipeline quarantined, with the reason. */
  onQuarantine?(message: DeviceMessage, reason: QuarantineReason, now: number, report: Report): void
  /** Forgets keys idle for longer than its windows (called about once a second). */
  sweep?(now: number): void
}
