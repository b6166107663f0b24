import type { LinkState } from '../hl7/link-stats.ts'
import type { DashboardSource } from './source.ts'

/**
 * One `--hl7` link as the dashboard shows it: is the integration engine reachable, how much is
 * waiting for it, how fast it answers, and the account that must balance (generated =
 * acknowledged + dead-lettered + pending). The same figures as /metrics, for a person watching.
 */
export interface Hl7LinkView {
  url: string
  state: LinkState
  pending: number
  queueBytes: number
  generated: number
  acknowledged: number
  deadLettered: number
  /** From a transmission to its ACK, in ms; 0 before the first ACK. */
  ackLatencyMs: { p50: number; p99: number; max: number }
  lastError: string | null
}

/** Every link of the lab, in `--hl7` order; empty without `--hl7`. */
export function hl7LinkViews(lab: DashboardSource): Hl7LinkView[] {
  return (lab.hl7?.gateway.stats() ?? []).map((s) => ({
    url: s.url,
    state: s.state,
    pending: s.pending,
    queueBytes: s.queueBytes,
    generated: s.generated,
    acknowledged: s.acknowledged,
    deadLettered: s.deadLettered,
    ackLatencyMs: { p50: s.ackLatency.p50, p99: s.ackLatency.p99, max: s.ackLatency.max },
    lastError: s.lastError ?? null,
  }))
}
