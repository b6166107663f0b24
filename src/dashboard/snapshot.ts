import type { SecurityAlert } from '../contract/security-alert.ts'
import { hl7LinkViews, type Hl7LinkView } from './hl7-links.ts'
import type { DashboardSource } from './source.ts'
import type { StateMessage, WardState } from './ward-state.ts'

/**
 * `/api/snapshot`: everything a page needs to be right the moment it opens, before any new message
 * arrives — the open security alerts from the monitor's own alert book, the running total the
 * header shows (so header and panel come from one place), and the ward's live state as messages
 * the page replays through the same code that handles live ones.
 */
export interface DashboardSnapshot {
  simNow: number
  securityAlerts: SecurityAlert[]
  /** Alerts opened since the lab started: the same count `/api/stats` gives as `securityAlerts`. */
  securityAlertsTotal: number
  messages: StateMessage[]
  /** Each `--hl7` link's state, queue, ACK latency and account (also in /api/stats, which the page polls). */
  hl7Links: Hl7LinkView[]
}

export function dashboardSnapshot(lab: DashboardSource, ward: WardState): DashboardSnapshot {
  return {
    simNow: Math.round(lab.clock.now()),
    // Copies: the book keeps mutating its open alerts.
    securityAlerts: lab.monitor.book.openAlerts().map((alert) => structuredClone(alert)),
    securityAlertsTotal: lab.monitor.totalAlerts(),
    messages: ward.messages(),
    hl7Links: hl7LinkViews(lab),
  }
}
