import type { Logger } from 'pino'
import type { HospitalRegistry } from '../registry/registry.ts'
import { AlertBook } from './alert-book.ts'
import type { Finding, SecurityAlert } from '../contract/security-alert.ts'
import { securityConfig, type SecurityConfig } from './config.ts'
import type { Detector, Report } from './detector.ts'
import type { WindowCounts } from './shared-counts.ts'
import { createDetectors } from './create-detectors.ts'
import { MessageDetectors } from './message-detectors.ts'
import type { Responder } from './response.ts'
import type { SecuritySignal, SignalBus, SignalType } from './signals.ts'

export interface SecurityMonitorOptions {
  signals: SignalBus
  registry: HospitalRegistry
  publish: (alert: SecurityAlert) => void
  log: Logger
  now?: () => number
  config?: SecurityConfig
  /** Defaults to every detector, configured by `config`. */
  detectors?: readonly Detector[]
  /** Carries out `block` responses; without one, every type is alert-only. */
  responder?: Responder
  quietMs?: number
  /** A cluster's shared state: global counts for the detectors, and one incident per attack across nodes. */
  cluster?: ClusterSecurity
}

/** What a broker node shares with the others on the cluster's Redis (src/cluster/redis-state.ts). */
export interface ClusterSecurity {
  counts: WindowCounts
  /**
   * True when this node holds the incident `key` (first to claim it, or already its holder), for
   * `ttlMs` more: an attack seen by two nodes raises one alert, on the node that saw it first.
   */
  claimIncident(key: string, ttlMs: number): Promise<boolean>
}

/** How often idle detector state is forgotten and quiet alerts are closed (wall time). */
const SWEEP_EVERY_MS = 1000

/**
 * Connects the broker's signals and the pipeline's messages to the detectors, and the detectors'
 * findings to the alert stream and the response policy. Signals are routed by type, so a PUBLISH
 * reaches only the detectors that count publishes. Counts of alerts by type are kept for the
 * status line and metrics.
 */
export class SecurityMonitor {
  readonly book: AlertBook
  readonly alertCounts = new Map<string, number>()
  readonly config: SecurityConfig
  private readonly bySignal = new Map<SignalType, Detector[]>()
  /** The detectors that look at messages; a lab whose pipeline runs in workers gives theirs findings to `recordFinding`. */
  readonly messages: MessageDetectors
  private readonly detectors: readonly Detector[]
  private readonly now: () => number
  private readonly responder: Responder | undefined
  private readonly alertListeners: ((alert: SecurityAlert) => void)[] = []
  private readonly report: Report
  private readonly cluster: ClusterSecurity | undefined
  private readonly quietMs: number
  private readonly findingListeners: ((finding: Finding) => void)[] = []
  /** The connection whose signal is being handled: findings made meanwhile are stamped with it. */
  private signalConnection: number | undefined
  private stopSweeping: (() => void) | null = null
  private stopped = false

  constructor(options: SecurityMonitorOptions) {
    const now = options.now ?? Date.now
    this.now = now
    this.config = options.config ?? securityConfig()
    this.responder = options.responder
    this.cluster = options.cluster
    this.quietMs = options.quietMs ?? 30_000
    this.detectors = options.detectors ?? createDetectors(this.config, options.registry, options.cluster?.counts)
    for (const detector of this.detectors) {
      for (const type of detector.signals ?? []) this.bySignal.set(type, [...(this.bySignal.get(type) ?? []), detector])
    }
    this.messages = new MessageDetectors(
      this.detectors,
      () => now(),
      (finding) => this.handle(finding),
    )
    this.book = new AlertBook({
      now,
      quietMs: this.quietMs,
      updateEveryMs: 1000,
      emit: (alert) => {
        if (alert.count === 1 && alert.state === 'open') {
          this.alertCounts.set(alert.type, (this.alertCounts.get(alert.type) ?? 0) + 1)
          options.log.warn({ alert }, `security alert: ${alert.type} from ${alert.clientId || '?'} at ${alert.address}`)
        }
        options.publish(alert)
        for (const listener of this.alertListeners) listener(alert)
      },
    })
    this.report = (finding) => this.handle(finding)
    options.signals.on((signal) => this.onSignal(signal))
  }

  /** Every alert as published (opened, updated, closed), for run recorders and scoring. */
  onAlert(listener: (alert: SecurityAlert) => void): void {
    this.alertListeners.push(listener)
  }

  /** Every finding before de-duplication, with the connection that caused it when known (capture replay attributes them to flows). */
  onFinding(listener: (finding: Finding) => void): void {
    this.findingListeners.push(listener)
  }

  /** A finding made elsewhere (a pipeline worker's message detectors), recorded as if made here. */
  recordFinding(finding: Finding): void {
    this.handle(finding)
  }

  detectorNames(): string[] {
    return this.detectors.map((d) => d.name)
  }

  /** Detectors that look at messages (all a monitor without broker signals can run). */
  messageDetectorNames(): string[] {
    return this.messages.names
  }

  totalAlerts(): number {
    let total = 0
    for (const n of this.alertCounts.values()) total += n
    return total
  }

  /**
   * Starts closing quiet alerts and forgetting idle state every second. `every` decides whose
   * second: wall time by default; a lab passes its simulated clock, so a run at 1,000× still
   * closes an alert after 30 simulated seconds of quiet rather than 30 wall seconds.
   */
  start(every: (task: () => void, intervalMs: number) => () => void = wallInterval): void {
    this.stopSweeping ??= every(() => this.sweep(), SWEEP_EVERY_MS)
  }

  /** Closes quiet alerts and lets detectors forget idle keys. */
  sweep(): void {
    const at = this.now()
    this.book.sweep()
    for (const detector of this.detectors) detector.sweep?.(at)
  }

  /** Closes every open alert; findings after this (a connection still closing) are dropped. */
  stop(): void {
    this.stopSweeping?.()
    this.stopSweeping = null
    this.stopped = true
    this.book.closeAll()
  }

  private onSignal(signal: SecuritySignal): void {
    const detectors = this.bySignal.get(signal.type)
    if (!detectors) return
    const at = this.now()
    const outer = this.signalConnection
    this.signalConnection = signal.connectionId
    for (const detector of detectors) detector.onSignal!(signal, at, this.report)
    this.signalConnection = outer
  }

  private handle(finding: Finding): void {
    if (this.stopped) return
    if (this.signalConnection !== undefined) finding.connectionId ??= this.signalConnection
    if (!this.cluster) return this.record(finding)
    const incident = `${finding.type}:${finding.key ?? finding.source.address}`
    this.cluster.claimIncident(incident, this.quietMs).then(
      (held) => {
        if (this.stopped) return
        // One alert, where the incident is held; the response wherever the attack is seen, so a
        // source that goes on on another node once its ban lifts is banned again from there. Bans
        // are shared (src/cluster/redis-bans.ts): the nodes hold one ban, not one each.
        if (held) this.record(finding)
        else this.respond(finding)
      },
      // Redis unreachable: better an alert on each node than none.
      () => this.stopped || this.record(finding),
    )
  }

  private record(finding: Finding): void {
    for (const listener of this.findingListeners) listener(finding)
    this.book.report(finding)
    this.respond(finding)
  }

  private respond(finding: Finding): void {
    const policy = this.config.response[finding.type]
    if (policy?.action === 'block') this.responder?.block(finding, policy, this.now())
  }
}

function wallInterval(task: () => void, intervalMs: number): () => void {
  const timer = setInterval(task, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
