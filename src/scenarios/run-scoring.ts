import type { GroundTruthEntry } from '../attacks/ground-truth.ts'
import { alertBelongs } from '../attacks/scoring.ts'
import type { AlertType, SecurityAlert } from '../contract/security-alert.ts'
import { type LabelScore, scoreFlows } from './label-scoring.ts'

/**
 * A run with injected attacks scored the way `wardlab replay --labels` scores a capture, by
 * label-scoring.ts: per-class precision, recall and a confusion matrix. A replay's unit is a flow;
 * a run's is a source — each injection (true class: its own, known to the run) and each benign
 * source: every device of the hospital, and every other address or client an unexplained alert
 * came from (true class: benign). An injection is predicted by the alerts that belong to it (its
 * addresses or target, while it ran: attacks/scoring.ts), a benign source by the alerts no attack
 * explains that name it.
 */
export function scoreRun(truth: readonly GroundTruthEntry[], alerts: readonly SecurityAlert[], deviceIds: readonly string[]): LabelScore {
  // The stream has every publication of an alert (opened, updated, closed): an alert is an attack's
  // when any of them is, as attacks/scoring.ts judges false alerts.
  const owned = truth.map((entry) => new Set(alerts.filter((a) => alertBelongs(a, entry)).map((a) => a.id)))
  const sources: { id: string; client: string; alerts: AlertType[] }[] = truth.map((entry, i) => ({
    id: entry.attacker,
    client: entry.addresses[0] ?? entry.attacker,
    alerts: unique(alerts.filter((a) => owned[i]!.has(a.id)).map((a) => a.type)),
  }))
  const benign = new Map<string, Set<AlertType>>(deviceIds.map((id) => [id, new Set()]))
  for (const alert of alerts) {
    if (owned.some((ids) => ids.has(alert.id))) continue
    const device = alert.deviceId ?? (benign.has(alert.clientId) ? alert.clientId : undefined)
    const key = device ?? `address:${alert.address}`
    if (!benign.has(key)) benign.set(key, new Set())
    benign.get(key)!.add(alert.type)
  }
  for (const [id, types] of benign) sources.push({ id, client: id, alerts: [...types] })
  return scoreFlows(sources, [{ by: 'flow', rows: truth.map((entry) => ({ key: entry.attacker, class: entry.type })) }])
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)]
}
