import { median, type DetectionReport } from '../attacks/scoring.ts'
import { formatDuration } from './duration.ts'
import type { RunRecorder } from './recorder.ts'
import type { Expectation, Scenario } from './schema.ts'
import type { LinkStats } from '../hl7/link-stats.ts'
import type { OrderOutcomeRecord } from './lab-handle.ts'
import { HL7_EVALUATORS } from './hl7-expectations.ts'

export interface ExpectationResult {
  name: string
  passed: boolean
  detail: string
}

export interface RunFacts {
  /** How the detectors did against the injected attacks. */
  detection: DetectionReport
  scenario: Scenario
  start: number
  recorder: RunRecorder
  /** Simulated start time of each timeline event with an id. */
  eventTimes: ReadonlyMap<string, number>
  /** Alert types that are attack classes (everything but informational auth-failure). */
  isAttackType: (type: string) => boolean
  received: number
  quarantined: number
  /** The HL7 links' accounts and the orders, at the end of the run; null without HL7. */
  hl7: { links: LinkStats[]; orders: readonly OrderOutcomeRecord[] } | null
}

type Evaluator<K extends keyof UnionToObject> = (spec: UnionToObject[K], facts: RunFacts) => ExpectationResult
type UnionToObject = { [E in Expectation as keyof E & string]: E[keyof E] }

/** The window an expectation looks in: after an event (or the start), for `within`, or until `by`. */
function window(spec: { within?: number; after?: string; by?: number }, facts: RunFacts): { from: number; to: number; text: string } {
  const from = spec.after ? facts.eventTimes.get(spec.after)! : facts.start
  const to = spec.within !== undefined ? from + spec.within : spec.by !== undefined ? facts.start + spec.by : facts.start + facts.scenario.duration
  const text =
    spec.within !== undefined
      ? `within ${formatDuration(spec.within)} of ${spec.after ?? 'the start'}`
      : spec.by !== undefined
        ? `by ${formatDuration(spec.by)}`
        : 'during the run'
  return { from, to, text }
}

const rel = (facts: RunFacts, at: number) => formatDuration(at - facts.start)

const EVALUATORS: { [K in keyof UnionToObject]: Evaluator<K> } = {
  falseAlerts(spec, facts) {
    const alerts = facts.detection.falseAlerts
    return {
      name: `false alerts ≤ ${spec.max}`,
      passed: alerts.length <= spec.max,
      detail:
        alerts.length === 0
          ? 'every alert is explained by an injected attack'
          : `${alerts.length} on benign traffic: ${alerts
              .slice(0, 5)
              .map((a) => `${a.type} from ${a.clientId || a.address} at ${rel(facts, a.firstSeen)}`)
              .join('; ')}`,
    }
  },
  detection(spec, facts) {
    const injections = facts.detection.injections.filter((i) => !spec.type || i.type === spec.type)
    const missed = injections.filter((i) => i.timeToDetectSeconds === null)
    const delays = injections.map((i) => i.timeToDetectSeconds).filter((d): d is number => d !== null)
    const med = median(delays)
    const slow = spec.medianWithin !== undefined && med !== null && med * 1000 > spec.medianWithin
    const what = spec.type ?? 'attack'
    return {
      name: `every ${what} injection detected${spec.medianWithin !== undefined ? `, median time to detect ≤ ${formatDuration(spec.medianWithin)}` : ''}`,
      passed: injections.length > 0 && missed.length === 0 && !slow,
      detail:
        injections.length === 0
          ? `no ${what} was injected`
          : `${injections.length - missed.length} of ${injections.length} detected${med !== null ? `, median ${med.toFixed(1)} s` : ''}${missed.length ? `; missed: ${missed.map((m) => m.attacker).join(', ')}` : ''}`,
    }
  },
  alert(spec, facts) {
    const w = window(spec, facts)
    const hit = facts.recorder.alertsOfType(spec.type).find((a) => a.firstSeen >= w.from && a.firstSeen <= w.to)
    return {
      name: `alert ${spec.type} ${w.text}`,
      passed: Boolean(hit),
      detail: hit
        ? `${spec.type} from ${hit.clientId || hit.address} at ${rel(facts, hit.firstSeen)} (${formatDuration(hit.firstSeen - w.from)} after)`
        : `no ${spec.type} alert ${w.text}; alerts seen: ${summarise(facts)}`,
    }
  },
  noAlert(spec, facts) {
    const offending = facts.recorder.openedAlerts.filter((a) => (spec.type ? a.type === spec.type : !spec.attacksOnly || facts.isAttackType(a.type)))
    const what = spec.type ?? (spec.attacksOnly ? 'attack' : 'security')
    return {
      name: `no ${what} alert`,
      passed: offending.length === 0,
      detail:
        offending.length === 0
          ? `none raised`
          : `${offending.length} raised: ${offending
              .slice(0, 5)
              .map((a) => `${a.type} from ${a.clientId || a.address} at ${rel(facts, a.firstSeen)}`)
              .join('; ')}`,
    }
  },
  clinicalAlert(spec, facts) {
    const w = window(spec, facts)
    const hit = facts.recorder.clinicalAlerts.find(
      (a) =>
        a.active &&
        a.at >= w.from &&
        a.at <= w.to &&
        (!spec.code || a.code === spec.code) &&
        (!spec.priority || a.priority === spec.priority) &&
        (!spec.category || a.category === spec.category) &&
        (!spec.device || a.deviceId === spec.device) &&
        (!spec.patient || a.patientId === spec.patient),
    )
    const what = [spec.priority, spec.category, 'alarm', spec.code, spec.device && `on ${spec.device}`, spec.patient && `for ${spec.patient}`]
      .filter(Boolean)
      .join(' ')
    return {
      name: `${what} ${w.text}`,
      passed: Boolean(hit),
      detail: hit
        ? `${hit.code} (${hit.priority}) on ${hit.deviceId} at ${rel(facts, hit.at)}`
        : `none; ${facts.recorder.clinicalAlerts.length} clinical/technical alarms in the run`,
    }
  },
  news2(spec, facts) {
    const by = spec.by !== undefined ? facts.start + spec.by : Infinity
    const changes = facts.recorder.news2.filter((n) => n.patientId === spec.patient)
    const hit = changes.find((n) => n.score >= spec.atLeast && n.at <= by)
    const peak = changes.reduce((m, n) => Math.max(m, n.score), 0)
    return {
      name: `${spec.patient} reaches NEWS2 ≥ ${spec.atLeast}${spec.by !== undefined ? ` by ${formatDuration(spec.by)}` : ''}`,
      passed: Boolean(hit),
      detail: hit
        ? `NEWS2 ${hit.score} (${hit.to}) at ${rel(facts, hit.at)}`
        : `highest announced NEWS2 ${peak}${changes.length ? ` (band ${changes.at(-1)!.to})` : ', no band announced'}`,
    }
  },
  quarantined(spec, facts) {
    return {
      name: `quarantined ≤ ${spec.max}`,
      passed: facts.quarantined <= spec.max,
      detail: `${facts.quarantined} quarantined of ${facts.received} received`,
    }
  },
  delivered(spec, facts) {
    const { sentEnvelopes: sent, deliveredEnvelopes: delivered } = facts.recorder
    const percent = sent === 0 ? 100 : (delivered / sent) * 100
    return {
      name: `delivered ≥ ${spec.atLeastPercent} %`,
      passed: percent >= spec.atLeastPercent,
      detail: `${delivered} of ${sent} device messages sent reached the pipeline (${percent.toFixed(3)} %)`,
    }
  },
  latency(spec, facts) {
    const s = facts.recorder.latency.summary()
    const fails = [
      spec.p50MaxMs !== undefined && s.p50 > spec.p50MaxMs && `p50 ${s.p50.toFixed(2)} ms > ${spec.p50MaxMs}`,
      spec.p99MaxMs !== undefined && s.p99 > spec.p99MaxMs && `p99 ${s.p99.toFixed(2)} ms > ${spec.p99MaxMs}`,
    ].filter(Boolean)
    const limits = [spec.p50MaxMs !== undefined && `p50 ≤ ${spec.p50MaxMs} ms`, spec.p99MaxMs !== undefined && `p99 ≤ ${spec.p99MaxMs} ms`]
      .filter(Boolean)
      .join(', ')
    return {
      name: `latency ${limits}`,
      passed: fails.length === 0,
      detail: `p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms over ${s.count} messages${fails.length ? `: ${fails.join('; ')}` : ''}`,
    }
  },
  ...HL7_EVALUATORS,
}

function summarise(facts: RunFacts): string {
  const counts = new Map<string, number>()
  for (const a of facts.recorder.openedAlerts) counts.set(a.type, (counts.get(a.type) ?? 0) + 1)
  return counts.size === 0 ? 'none' : [...counts].map(([t, n]) => `${t} ×${n}`).join(', ')
}

export function evaluateExpectations(facts: RunFacts): ExpectationResult[] {
  return facts.scenario.expect.map((expectation) => {
    const [kind, spec] = Object.entries(expectation)[0] as [keyof UnionToObject, never]
    return (EVALUATORS[kind] as Evaluator<typeof kind>)(spec, facts)
  })
}
