import type { GroundTruthEntry } from '../attacks/ground-truth.ts'
import type { DetectionReport, DetectionScore } from '../attacks/scoring.ts'
import type { PipelineCounters } from '../pipeline/pipeline.ts'
import type { SecurityAlert } from '../contract/security-alert.ts'
import type { MqttVersion } from '../simulation/mqtt-version.ts'
import type { ExpectationResult } from './expectations.ts'
import type { LabelScore } from './label-scoring.ts'
import type { ClinicalAlertRecord, News2Record, RateSample, RunRecorder, VitalsSample } from './recorder.ts'
import type { Scenario } from './schema.ts'

export interface TimelineNote {
  /** Simulated ms from the start. */
  at: number
  until?: number
  id?: string
  what: string
}

/**
 * The result of a run, as `--report run.json` writes it and the HTML report draws it. Times in
 * the series are simulated ms from the start; alerts keep their absolute simulated epoch ms.
 */
export interface RunReport {
  scenario: string
  description?: string
  seed: string | number
  passed: boolean
  start: string
  simulatedSeconds: number
  wallSeconds: number
  outputDir: string
  /**
   * The broker the run used, the MQTT version its devices and clients spoke there, and which
   * detectors could run (connection-level ones need the embedded broker).
   */
  target: { broker: string; mqttVersion: MqttVersion; detectors: string[] }
  /**
   * published: everything the devices sent (status included); received: everything the pipeline took
   * in (wills the broker published for dropped devices included); delivered: of the envelopes sent,
   * the share that passed the pipeline.
   */
  messages: { published: number; received: number; valid: number; quarantined: number; routed: number; derived: number; deliveredPercent: number }
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; count: number }
  alerts: SecurityAlert[]
  clinicalAlerts: ClinicalAlertRecord[]
  news2: News2Record[]
  /** Per attack class: injected, detected, median time to detect, false alerts (alerts no attack explains). */
  detection: Record<string, DetectionScore>
  medianTimeToDetectSeconds: number | null
  /** What was injected, when, from where: the run's ground truth. */
  groundTruth: GroundTruthEntry[]
  /**
   * With injected attacks: per-class precision, recall and the confusion matrix over the run's
   * sources (each injection, each device and other benign source), as `wardlab replay --labels`
   * scores flows (run-scoring.ts).
   */
  scoring?: LabelScore
  expectations: ExpectationResult[]
  timeline: TimelineNote[]
  /** Where `--export-dataset` wrote the run's labelled packets and messages, and how many of each label. */
  dataset?: { dir: string; packetsByLabel: Record<string, number> }
  /** Per device, a digest of every envelope it sent: equal digests, identical telemetry. */
  telemetryDigests: Record<string, string>
  series: { rate: RateSample[]; vitals: Record<string, VitalsSample[]> }
}

export function buildReport(parts: {
  scenario: Scenario
  recorder: RunRecorder
  expectations: ExpectationResult[]
  notes: TimelineNote[]
  published: number
  counters: PipelineCounters
  wallSeconds: number
  outputDir: string
  detection: DetectionReport
  groundTruth: GroundTruthEntry[]
  scoring?: LabelScore
  target: RunReport['target']
  dataset?: RunReport['dataset']
}): RunReport {
  const { scenario, recorder, counters } = parts
  const latency = recorder.latency.summary()
  return {
    scenario: scenario.name,
    ...(scenario.description ? { description: scenario.description } : {}),
    seed: scenario.seed,
    passed: parts.expectations.every((e) => e.passed),
    start: scenario.start,
    simulatedSeconds: scenario.duration / 1000,
    wallSeconds: Math.round(parts.wallSeconds * 100) / 100,
    outputDir: parts.outputDir,
    target: parts.target,
    messages: {
      published: parts.published,
      received: counters.received,
      valid: counters.valid,
      quarantined: counters.quarantined,
      routed: counters.routed,
      derived: counters.derived,
      deliveredPercent: recorder.sentEnvelopes === 0 ? 100 : Math.round((recorder.deliveredEnvelopes / recorder.sentEnvelopes) * 100_000) / 1000,
    },
    latencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, p999: latency.p999, max: latency.max, count: latency.count },
    // The final state of each alert, in the order they opened.
    alerts: recorder.openedAlerts.map((a) => recorder.securityAlerts.get(a.id) ?? a),
    clinicalAlerts: recorder.clinicalAlerts,
    news2: recorder.news2,
    // Only the classes that were injected or alerted on; the scorer's record is partial.
    detection: Object.fromEntries(Object.entries(parts.detection.byType).filter((entry): entry is [string, DetectionScore] => entry[1] !== undefined)),
    medianTimeToDetectSeconds: parts.detection.medianTimeToDetectSeconds,
    groundTruth: parts.groundTruth,
    ...(parts.scoring ? { scoring: parts.scoring } : {}),
    expectations: parts.expectations,
    timeline: [...parts.notes].sort((a, b) => a.at - b.at),
    ...(parts.dataset ? { dataset: parts.dataset } : {}),
    telemetryDigests: recorder.telemetryDigests(),
    series: { rate: recorder.rate, vitals: Object.fromEntries(recorder.vitals) },
  }
}
