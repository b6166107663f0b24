import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { LinkStats } from '../hl7/link-stats.ts'
import { registerHl7Metrics } from './hl7-metrics.ts'
import type { PipelineObserver } from '../pipeline/pipeline.ts'
import { joinPair, splitPair } from '../util/pair-key.ts'

/** Sampled per-stage pipeline timings; the dashboard reads it too. */
export const STAGE_DURATION_METRIC = 'wardlab_pipeline_stage_duration_seconds'

/** What the metrics read at scrape time; plain numbers kept by the parts themselves. */
export interface MetricSources {
  pipeline: () => { received: number; valid: number; quarantined: number; derived: number; routed: number }
  devicesConnected: () => number
  clientsConnected: () => number
  alertsByType: () => ReadonlyMap<string, number>
  signalsByType: () => ReadonlyMap<string, number>
  /** Load the broker shed, by action (src/broker/load-shedding.ts). */
  loadShedByAction?: () => ReadonlyMap<string, number>
  /** Times client publishes were held for the pipeline workers to catch up (src/broker/publish-admission.ts). */
  backpressurePauses?: () => number
  /** Device messages handed to the pipeline workers and not yet through, with outputs not yet published. */
  pipelineBacklog?: () => number
  /** Each HL7 link's accounting, state, queue and ACK latency (`--hl7`). */
  hl7Links?: () => readonly LinkStats[]
}

/**
 * Prometheus metrics for one lab. The hot path only bumps plain numbers in Maps (a labelled
 * prom-client `inc` hashes its labels on every call); prom-client reads them when /metrics is
 * scraped. Stage latency is a real histogram, fed by the pipeline's sampled timings.
 */
export class LabMetrics {
  readonly registry = new Registry()
  private readonly routed = new Map<string, number>()
  private readonly quarantinedBy = new Map<string, number>()
  private readonly suppressedBy = new Map<string, number>()
  private readonly stageSeconds: Histogram<'stage' | 'outcome'>

  constructor(sources: MetricSources) {
    const registry = this.registry
    collectDefaultMetrics({ register: registry, prefix: 'wardlab_' })
    this.stageSeconds = new Histogram({
      name: STAGE_DURATION_METRIC,
      help: 'Time a pipeline stage took for one message (sampled 1 in 16)',
      labelNames: ['stage', 'outcome'],
      buckets: [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2],
      registers: [registry],
    })
    fromMap(
      registry,
      'wardlab_pipeline_routed_total',
      'Outputs handed to sinks, by route and sink',
      ['route', 'sink'],
      () => this.routed,
      (key) => splitPair(key),
    )
    fromMap(
      registry,
      'wardlab_pipeline_quarantined_total',
      'Messages held in quarantine, by reason',
      ['reason'],
      () => this.quarantinedBy,
      (key) => [key],
    )
    fromMap(
      registry,
      'wardlab_quarantine_suppressed_total',
      'Quarantined messages counted but not recorded (file, quarantine/#): the device was over its record allowance',
      ['device'],
      () => this.suppressedBy,
      (key) => [key],
    )
    fromMap(registry, 'wardlab_security_alerts_total', 'Security alerts opened, by type', ['type'], sources.alertsByType, (key) => [key])
    fromMap(registry, 'wardlab_security_signals_total', 'Security-relevant broker observations, by type', ['type'], sources.signalsByType, (key) => [key])
    if (sources.loadShedByAction)
      fromMap(
        registry,
        'wardlab_broker_load_shed_total',
        'Times the broker shed load: throttled or disconnected a client over its publish rate, dropped a subscriber that stopped reading',
        ['action'],
        sources.loadShedByAction,
        (key) => [key],
      )
    fromMap(
      registry,
      'wardlab_pipeline_messages_total',
      'Device messages by pipeline outcome; received = valid + quarantined',
      ['outcome'],
      () => {
        const c = sources.pipeline()
        return new Map([
          ['received', c.received],
          ['valid', c.valid],
          ['quarantined', c.quarantined],
        ])
      },
      (key) => [key],
    )
    if (sources.backpressurePauses) {
      const read = sources.backpressurePauses
      new Counter({
        name: 'wardlab_pipeline_backpressure_pauses_total',
        help: 'Times client publishes were held because the pipeline workers were behind (devices saw slower PUBACKs; nothing was dropped)',
        registers: [registry],
        collect() {
          this.reset()
          this.inc(read())
        },
      })
    }
    if (sources.pipelineBacklog) {
      const read = sources.pipelineBacklog
      new Gauge({
        name: 'wardlab_pipeline_backlog_messages',
        help: 'Device messages handed to the pipeline workers and not yet through, plus outputs waiting for the broker',
        registers: [registry],
        collect() {
          this.set(read())
        },
      })
    }
    if (sources.hl7Links) registerHl7Metrics(registry, sources.hl7Links)
    new Gauge({
      name: 'wardlab_devices_connected',
      help: 'Simulated devices currently connected',
      registers: [registry],
      collect() {
        this.set(sources.devicesConnected())
      },
    })
    new Gauge({
      name: 'wardlab_clients_connected',
      help: 'MQTT clients currently connected to the broker',
      registers: [registry],
      collect() {
        this.set(sources.clientsConnected())
      },
    })
  }

  /** Feed this to the pipeline. */
  observer(): PipelineObserver {
    return {
      stage: (stage, outcome, seconds) => this.stageSeconds.observe({ stage, outcome }, seconds),
      quarantined: (reason, count = 1) => bump(this.quarantinedBy, reason, count),
      quarantineSuppressed: (device, count = 1) => bump(this.suppressedBy, device, count),
      routed: (route, sink, count = 1) => bump(this.routed, joinPair(route, sink), count),
    }
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }
}

function bump(map: Map<string, number>, key: string, count: number): void {
  map.set(key, (map.get(key) ?? 0) + count)
}

/** A counter whose values are read from a Map of running totals when scraped. */
function fromMap(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => ReadonlyMap<string, number>,
  labels: (key: string) => string[],
) {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset()
      for (const [key, value] of read()) {
        const values = labels(key)
        this.inc(Object.fromEntries(labelNames.map((l, i) => [l, values[i] ?? ''])), value)
      }
    },
  })
}
