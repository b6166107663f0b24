import type { AlertType, SecurityAlert } from '../contract/security-alert.ts'
import type { GroundTruthEntry } from './ground-truth.ts'

/** The per-class score `wardlab run` reports (`detection.<type>`). */
export interface DetectionScore {
  injected: number
  detected: number
  /** Median over the detected injections of this class, in simulated seconds; null if none was detected. */
  timeToDetectSeconds: number | null
  /** Alerts of this class that no attack explains: raised on benign traffic. */
  falseAlerts: number
}

export interface DetectionReport {
  byType: Partial<Record<AlertType, DetectionScore>>
  /** Median time to detect over every detected injection, simulated seconds. */
  medianTimeToDetectSeconds: number | null
  /** Each injection with its first matching alert's delay (null: missed). */
  injections: { attacker: string; type: AlertType; timeToDetectSeconds: number | null }[]
  /** Alerts on benign traffic (first publication of each). */
  falseAlerts: SecurityAlert[]
}

/** After an attack stops its alerts may still be arriving; this much later they still count. */
const DEFAULT_GRACE_MS = 10_000

/**
 * Scores detectors against the ground truth, from the alert stream as a consumer sees it (every
 * publication: opened, updated, closed). An alert belongs to an attack when it comes from one of
 * the attack's source addresses (its own, its previous one in a takeover, or one of a distributed
 * flood's) or concerns the device attacked, at a time between the attack's start and its end plus a
 * grace period. An injection is detected at the first publication of an alert of its own class that
 * belongs to it; alerts that belong to no attack are false alerts.
 */
export function scoreDetection(truth: readonly GroundTruthEntry[], alerts: readonly SecurityAlert[], options: { graceMs?: number } = {}): DetectionReport {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS
  const belongs = (alert: SecurityAlert, entry: GroundTruthEntry) => alertBelongs(alert, entry, graceMs)

  const injections = truth.map((entry) => {
    const first = alerts
      .filter((a) => a.type === entry.type && belongs(a, entry))
      .reduce<number | null>((min, a) => (min === null || a.ts < min ? a.ts : min), null)
    return { attacker: entry.attacker, type: entry.type, timeToDetectSeconds: first === null ? null : Math.max(0, first - entry.startMs) / 1000 }
  })

  const openings = new Map<string, SecurityAlert>()
  for (const alert of alerts) if (!openings.has(alert.id)) openings.set(alert.id, alert)
  const explained = new Set<string>()
  for (const alert of alerts) if (truth.some((entry) => belongs(alert, entry))) explained.add(alert.id)
  const falseAlerts = [...openings.values()].filter((a) => !explained.has(a.id))

  const byType: Partial<Record<AlertType, DetectionScore>> = {}
  const types = new Set<AlertType>([...truth.map((e) => e.type), ...falseAlerts.map((a) => a.type)])
  for (const type of types) {
    const mine = injections.filter((i) => i.type === type)
    const delays = mine.map((i) => i.timeToDetectSeconds).filter((d): d is number => d !== null)
    byType[type] = {
      injected: mine.length,
      detected: delays.length,
      timeToDetectSeconds: median(delays),
      falseAlerts: falseAlerts.filter((a) => a.type === type).length,
    }
  }
  return {
    byType,
    medianTimeToDetectSeconds: median(injections.map((i) => i.timeToDetectSeconds).filter((d): d is number => d !== null)),
    injections,
    falseAlerts,
  }
}

/** Whether an alert is the attack's: from one of its addresses or about its target, while it ran or within `graceMs` after. */
export function alertBelongs(alert: SecurityAlert, entry: GroundTruthEntry, graceMs = DEFAULT_GRACE_MS): boolean {
  return alert.ts >= entry.startMs && alert.ts <= entry.endMs + graceMs && fromAttacker(alert, entry)
}

function fromAttacker(alert: SecurityAlert, entry: GroundTruthEntry): boolean {
  if (entry.addresses.includes(alert.address)) return true
  if (entry.target !== null && (alert.deviceId === entry.target || alert.clientId === entry.target)) return true
  const evidence = alert.evidence
  if (typeof evidence.previousAddress === 'string' && entry.addresses.includes(evidence.previousAddress)) return true
  return Array.isArray(evidence.addresses) && evidence.addresses.some((a) => entry.addresses.includes(a as string))
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
