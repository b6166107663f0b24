import { randomUUID } from 'node:crypto'
import { SEVERITIES, type Finding, type SecurityAlert } from '../contract/security-alert.ts'

export interface AlertBookOptions {
  /** An open alert with no new finding for this long is closed. */
  quietMs: number
  /** While an alert stays open, updates go out at most this often (counts keep accruing). */
  updateEveryMs: number
  now: () => number
  emit: (alert: SecurityAlert) => void
}

/**
 * Turns a stream of findings into incidents: the first finding for (type, key) opens an alert,
 * later ones update it, escalate its severity if worse, and a quiet period closes it.
 */
export class AlertBook {
  private readonly open = new Map<string, { alert: SecurityAlert; lastEmitted: number }>()
  private readonly options: AlertBookOptions

  constructor(options: AlertBookOptions) {
    this.options = options
  }

  report(finding: Finding): SecurityAlert {
    const now = this.options.now()
    const key = `${finding.type}\u0000${finding.key ?? finding.source.address}`
    let entry = this.open.get(key)
    // Quiet for long enough, it is over even if no sweep has run yet (a virtual clock outruns the timer).
    if (entry && now - entry.alert.lastSeen >= this.options.quietMs) {
      this.closeEntry(key, entry.alert, entry.alert.lastSeen + this.options.quietMs)
      entry = undefined
    }
    if (!entry) {
      const alert: SecurityAlert = {
        id: randomUUID(),
        type: finding.type,
        severity: finding.severity,
        state: 'open',
        ts: now,
        ...finding.source,
        evidence: finding.evidence,
        firstSeen: now,
        lastSeen: now,
        count: 1,
      }
      this.open.set(key, { alert, lastEmitted: now })
      this.publish(alert)
      return alert
    }
    const { alert } = entry
    alert.count++
    alert.lastSeen = now
    alert.ts = now
    alert.evidence = finding.evidence
    const escalated = SEVERITIES.indexOf(finding.severity) > SEVERITIES.indexOf(alert.severity)
    if (escalated) alert.severity = finding.severity
    if (escalated || now - entry.lastEmitted >= this.options.updateEveryMs) {
      entry.lastEmitted = now
      this.publish(alert)
    }
    return alert
  }

  /** Closes every alert that has been quiet for `quietMs`. */
  sweep(): void {
    this.close(this.options.quietMs)
  }

  /** Closes everything (shutdown), so consumers never keep a phantom open incident. */
  closeAll(): void {
    this.close(-Infinity)
  }

  private close(quietMs: number): void {
    const now = this.options.now()
    for (const [key, { alert }] of this.open)
      if (now - alert.lastSeen >= quietMs) this.closeEntry(key, alert, Math.min(now, alert.lastSeen + this.options.quietMs))
  }

  /** `at`: when it went quiet for good, if a sweep comes late; now, at shutdown. */
  private closeEntry(key: string, alert: SecurityAlert, at: number): void {
    this.open.delete(key)
    alert.state = 'closed'
    alert.ts = at
    this.publish(alert)
  }

  openAlerts(): SecurityAlert[] {
    return [...this.open.values()].map((e) => e.alert)
  }

  private publish(alert: SecurityAlert): void {
    this.options.emit(structuredClone(alert))
  }
}
