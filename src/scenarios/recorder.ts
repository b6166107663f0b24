import { createHash, type Hash } from 'node:crypto'
import type { MqttClient } from 'mqtt'
import { LatencyHistogram } from '../util/latency.ts'
import type { Envelope } from '../contract/envelope.ts'
import type { PipelineMessage } from '../pipeline/message.ts'
import type { PipelineObserver } from '../pipeline/pipeline.ts'
import type { SecurityAlert } from '../contract/security-alert.ts'
import type { SignalBus } from '../security/signals.ts'
import {
  ALERTS_ROOT,
  CLINICAL_ALERTS_ROOT,
  NEWS2_ALERTS_ROOT,
  RUN_SENTINEL_TOPIC,
  SECURITY_ALERTS_FILTER,
  SECURITY_ALERTS_ROOT,
  TECHNICAL_ALERTS_ROOT,
} from '../contract/topics.ts'

export interface ClinicalAlertRecord {
  at: number
  topic: string
  ward: string
  priority: string
  category: string
  code: string
  active: boolean
  deviceId: string
  patientId?: string
}

export interface News2Record {
  at: number
  patientId: string
  ward: string
  from: string | null
  to: string
  score: number
}

export interface RateSample {
  /** Simulated ms since the start. */
  t: number
  /**
   * Every PUBLISH the broker received from a client so far, accepted or refused, on any topic:
   * device traffic, observers' and attackers' (a publish flood on a sandbox topic never reaches
   * the pipeline). 0 throughout against an external broker, whose packets wardlab does not see.
   */
  publishes: number
  /** Device messages that entered the pipeline so far (`hospital/` topics). */
  received: number
  quarantined: number
  alerts: number
}

export interface VitalsSample {
  t: number
  heartRate?: number
  spo2?: number
  respiratoryRate?: number
  systolic?: number
  temperature?: number
}

const VITALS_EVERY_MS = 30_000

/**
 * Everything a scenario's verdicts and reports need, recorded as it happens: alerts as a real
 * subscriber receives them (the published contract is what is tested), end-to-end latency and the
 * vitals of watched patients straight from the pipeline.
 */
export class RunRecorder {
  readonly securityAlerts = new Map<string, SecurityAlert>()
  /** Each alert's first (opening) record, in the order they opened. */
  readonly openedAlerts: SecurityAlert[] = []
  /** Every alert publication as a subscriber saw it (opened, updated, closed): what scoring reads. */
  readonly alertStream: SecurityAlert[] = []
  readonly clinicalAlerts: ClinicalAlertRecord[] = []
  readonly news2: News2Record[] = []
  readonly rate: RateSample[] = []
  readonly vitals = new Map<string, VitalsSample[]>()
  readonly latency = new LatencyHistogram()
  received = 0
  /** Envelopes the devices sent, and of those, how many passed the pipeline. Status messages and wills are not envelopes. */
  sentEnvelopes = 0
  deliveredEnvelopes = 0
  private readonly sentAt = new Map<string, number>()
  private readonly digests = new Map<string, Hash>()
  private readonly start: number
  private readonly watched: ReadonlySet<string>
  private sentinelSeen: (() => void) | null = null

  constructor(options: { start: number; watchPatients: Iterable<string> }) {
    this.start = options.start
    this.watched = new Set(options.watchPatients)
  }

  /** Topics the observer client subscribes to. */
  static readonly TOPICS = [SECURITY_ALERTS_FILTER, `${ALERTS_ROOT}/#`, RUN_SENTINEL_TOPIC] as const

  attach(observer: MqttClient): void {
    observer.on('message', (topic, payload) => this.onMessage(topic, payload))
  }

  /** Call for every envelope a simulated device publishes. */
  sent(envelope: Envelope): void {
    this.sentEnvelopes++
    this.sentAt.set(`${envelope.deviceId}\u0000${envelope.seq}`, performance.now())
  }

  /** Call for every envelope a simulated device produces, sent or lost. */
  generated(envelope: Envelope): void {
    let digest = this.digests.get(envelope.deviceId)
    if (!digest) this.digests.set(envelope.deviceId, (digest = createHash('sha256')))
    digest.update(JSON.stringify(envelope)).update('\n')
  }

  /**
   * SHA-256 of each device's envelopes in the order it produced them: two runs produced the same
   * telemetry exactly when these are equal, whatever the speed or the machine.
   */
  telemetryDigests(): Record<string, string> {
    return Object.fromEntries([...this.digests].sort(([a], [b]) => a.localeCompare(b)).map(([id, hash]) => [id, hash.copy().digest('hex').slice(0, 16)]))
  }

  pipelineObserver(): PipelineObserver {
    return { accepted: (message) => this.accepted(message) }
  }

  sample(t: number, counters: { received: number; quarantined: number }, alerts: number, signals: Pick<SignalBus, 'counts'>): void {
    const publishes = (signals.counts.get('publish') ?? 0) + (signals.counts.get('publish-denied') ?? 0)
    this.rate.push({ t: t - this.start, publishes, received: counters.received, quarantined: counters.quarantined, alerts })
  }

  /** Resolves when the sentinel published after the run arrives: everything before it has too. */
  untilSentinel(): Promise<void> {
    return new Promise((resolve) => (this.sentinelSeen = resolve))
  }

  alertsOfType(type: string): SecurityAlert[] {
    return this.openedAlerts.filter((a) => a.type === type)
  }

  private accepted(message: PipelineMessage): void {
    this.received++
    const envelope = message.envelope
    if (!envelope) return
    const key = `${envelope.deviceId}\u0000${envelope.seq}`
    const sent = this.sentAt.get(key)
    if (sent !== undefined) {
      this.deliveredEnvelopes++
      this.latency.record(performance.now() - sent)
      this.sentAt.delete(key)
    }
    const patientId = message.context?.patientId
    if (patientId && this.watched.has(patientId) && message.device?.kind === 'bedside-monitor' && message.device.channel === 'telemetry')
      this.recordVitals(patientId, envelope)
  }

  private recordVitals(patientId: string, envelope: Envelope): void {
    const samples = this.vitals.get(patientId) ?? []
    this.vitals.set(patientId, samples)
    const t = envelope.ts - this.start
    const data = envelope.data as Record<string, number | undefined>
    const last = samples.at(-1)
    if (last && t - last.t < VITALS_EVERY_MS) {
      // Keep the cuff reading that arrived between samples: NIBP comes every 15 min at most.
      if (data.nibpSystolic !== undefined) last.systolic = data.nibpSystolic
      return
    }
    samples.push({
      t,
      heartRate: data.heartRate,
      spo2: data.spo2,
      respiratoryRate: data.respiratoryRate,
      systolic: data.nibpSystolic ?? last?.systolic,
      temperature: data.temperature,
    })
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic === RUN_SENTINEL_TOPIC) {
      this.sentinelSeen?.()
      return
    }
    const body = JSON.parse(payload.toString('utf8'))
    if (topic.startsWith(`${SECURITY_ALERTS_ROOT}/`)) {
      const alert = body as SecurityAlert
      this.alertStream.push(alert)
      if (!this.securityAlerts.has(alert.id)) this.openedAlerts.push(alert)
      this.securityAlerts.set(alert.id, alert)
    } else if (topic.startsWith(`${NEWS2_ALERTS_ROOT}/`)) {
      this.news2.push({ at: body.ts, patientId: body.patientId, ward: body.ward, from: body.from, to: body.to, score: body.score })
    } else if (topic.startsWith(`${CLINICAL_ALERTS_ROOT}/`) || topic.startsWith(`${TECHNICAL_ALERTS_ROOT}/`)) {
      this.clinicalAlerts.push({
        at: body.ts,
        topic,
        ward: body.context?.ward,
        priority: body.data?.priority,
        category: body.data?.category,
        code: body.data?.code,
        active: body.data?.active,
        deviceId: body.deviceId,
        ...(body.context?.patientId ? { patientId: body.context.patientId } : {}),
      })
    }
  }
}
