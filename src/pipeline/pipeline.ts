import type { Output, PipelineMessage } from './message.ts'
import type { Quarantine } from './quarantine.ts'
import type { Sink } from './sinks/sink.ts'
import type { QuarantineReason } from '../contract/device-message.ts'
import { isRejection, reject, type Rejection, type Stage } from './stage.ts'
import type { SecurityAlert } from '../contract/security-alert.ts'
import type { Registry } from '../registry/schema.ts'
import type { SecurityAlertOutlet } from './security-alert-outlet.ts'

export interface PipelineCounters {
  /** Device messages that entered the pipeline. */
  received: number
  /** Of those, passed every stage. */
  valid: number
  /** Of those, held in quarantine. `received = valid + quarantined` always. */
  quarantined: number
  /** Messages stages created (NEWS2 band changes). */
  derived: number
  /** Outputs handed to sinks. */
  routed: number
}

/** What a lab feeds device messages to: the pipeline inline, or a pool of pipeline workers (src/pipeline/offload). */
export interface PipelineRunner {
  readonly counters: PipelineCounters
  readonly quarantinedBy: ReadonlyMap<QuarantineReason, number>
  /** Device messages received and not yet through the stages, with outputs not yet handed on (0 inline: ingest runs the stages). */
  readonly backlog: number
  ingest(topic: string, payload: Buffer, source: PipelineMessage['source'], receivedAt: number): void
  /** A security alert from the monitor: it leaves through the pipeline's built-in alert sinks (security-alert-outlet.ts). */
  securityAlert(alert: SecurityAlert): void
  /** Waits until every message ingested so far is through the stages and every sink has delivered or persisted its outputs. */
  drain(): Promise<void>
  close(): Promise<void>
  /**
   * The lab's registry was replaced (src/lab/registry-change.ts). Inline the stages already read
   * the lab's own HospitalRegistry; pipeline workers hold a copy and need the new one.
   */
  registryChanged?(registry: Registry): void
}

/** Hooks for metrics: kept as plain callbacks so the pipeline knows nothing of Prometheus. */
export interface PipelineObserver {
  stage?(stage: string, outcome: 'pass' | 'reject', seconds: number): void
  /** `count` is 1 unless a pipeline worker reports several at once. */
  quarantined?(reason: QuarantineReason, count?: number): void
  /** A quarantined message of `device` was counted but not recorded: the device was over its record allowance. */
  quarantineSuppressed?(device: string, count?: number): void
  routed?(route: string, sink: string, count?: number): void
  /** A device message passed every stage (after its outputs were delivered). */
  accepted?(message: PipelineMessage): void
}

/** Both observers see everything; either may be absent. */
export function combineObservers(a: PipelineObserver, b: PipelineObserver | undefined): PipelineObserver {
  if (!b) return a
  const both = <K extends keyof PipelineObserver>(key: K) =>
    (a[key] && b[key]
      ? (...args: unknown[]) => {
          ;(a[key] as (...x: unknown[]) => void)(...args)
          ;(b[key] as (...x: unknown[]) => void)(...args)
        }
      : (a[key] ?? b[key])) as PipelineObserver[K]
  return {
    stage: both('stage'),
    quarantined: both('quarantined'),
    quarantineSuppressed: both('quarantineSuppressed'),
    routed: both('routed'),
    accepted: both('accepted'),
  }
}

/** Stage timings are sampled: a clock read per stage per message would cost more than most stages. */
const TIMING_SAMPLE_EVERY = 16

/**
 * Runs each device message through the configured stages, hands what the route stage produced
 * to the sinks, and quarantines anything a stage rejects — including a stage that throws, which
 * is a bug but must still not lose the message.
 */
export class Pipeline implements PipelineRunner {
  readonly counters: PipelineCounters = { received: 0, valid: 0, quarantined: 0, derived: 0, routed: 0 }
  readonly quarantinedBy = new Map<QuarantineReason, number>()
  readonly backlog = 0
  private readonly stages: readonly Stage[]
  private readonly sinks: ReadonlyMap<string, Sink>
  private readonly quarantine: Quarantine
  private readonly alerts: SecurityAlertOutlet
  private readonly observer: PipelineObserver
  private readonly onQuarantine: ((message: PipelineMessage, reason: QuarantineReason) => void) | undefined
  private sequence = 0

  /** `onQuarantine` sees every quarantined device message (the security monitor's malformed-payload and false-data detectors). */
  constructor(parts: {
    stages: readonly Stage[]
    sinks: ReadonlyMap<string, Sink>
    quarantine: Quarantine
    alerts: SecurityAlertOutlet
    observer?: PipelineObserver
    onQuarantine?: (message: PipelineMessage, reason: QuarantineReason) => void
  }) {
    this.stages = parts.stages
    this.sinks = parts.sinks
    this.quarantine = parts.quarantine
    this.alerts = parts.alerts
    this.observer = parts.observer ?? {}
    this.onQuarantine = parts.onQuarantine
  }

  ingest(topic: string, payload: Buffer, source: PipelineMessage['source'], receivedAt: number): void {
    this.counters.received++
    const timed = this.sequence++ % TIMING_SAMPLE_EVERY === 0 && this.observer.stage !== undefined
    const original: PipelineMessage = { topic, payload, receivedAt, source, outputs: [] }
    let batch = [original]
    for (const stage of this.stages) {
      // A new batch only when a stage adds or holds a message; most return the message alone.
      let next: PipelineMessage[] | undefined
      for (let i = 0; i < batch.length; i++) {
        const message = batch[i]!
        const started = timed ? performance.now() : 0
        const result = runStage(stage, message)
        if (timed) this.observer.stage!(stage.name, isRejection(result) ? 'reject' : 'pass', (performance.now() - started) / 1000)
        if (isRejection(result)) {
          this.hold(message, stage.name, result, message === original)
          if (message === original) return
          next ??= batch.slice(0, i)
          continue
        }
        if (result.length === 1 && result[0] === message) {
          next?.push(message)
          continue
        }
        next ??= batch.slice(0, i)
        for (const out of result) {
          if (out !== message) this.counters.derived++
          next.push(out)
        }
      }
      if (next) batch = next
    }
    this.counters.valid++
    for (const message of batch) for (const output of message.outputs) this.deliver(output)
    this.observer.accepted?.(original)
  }

  securityAlert(alert: SecurityAlert): void {
    this.alerts.write(alert)
  }

  /** Waits until every sink has delivered or persisted what it was given. */
  async drain(): Promise<void> {
    await Promise.all([...this.sinks.values()].map((s) => s.flush()))
  }

  async close(): Promise<void> {
    await Promise.all([...this.sinks.values()].map((s) => s.close()))
  }

  private deliver(output: Output): void {
    const sink = this.sinks.get(output.sink)!
    sink.write(output.topic, output.body)
    this.counters.routed++
    this.observer.routed?.(output.route, output.sink)
  }

  /** Derived events that fail a later stage are quarantined too, but only device messages count as received. */
  private hold(message: PipelineMessage, stage: string, rejection: Rejection, isDeviceMessage: boolean): void {
    this.quarantine.hold(message, stage, rejection)
    if (isDeviceMessage) {
      this.counters.quarantined++
      this.onQuarantine?.(message, rejection.reason)
    }
    this.quarantinedBy.set(rejection.reason, (this.quarantinedBy.get(rejection.reason) ?? 0) + 1)
    this.observer.quarantined?.(rejection.reason)
  }
}

function runStage(stage: Stage, message: PipelineMessage): PipelineMessage[] | Rejection {
  try {
    return stage.process(message)
  } catch (err) {
    return reject('stage-error', `stage ${stage.name} failed: ${(err as Error).message}`)
  }
}
