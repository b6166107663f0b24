import type { GeneratorCounters, EngineName } from './generator-plan.ts'
import type { JoinedRun } from './join-records.ts'
import type { LatencySummary } from '../util/latency.ts'
import type { LoopSecond, LoopStalls } from './loop-delay.ts'
import type { ProcSample } from './proc-stats.ts'
import type { RunResult, TimelinePoint } from './result.ts'
import type { LoadOptions } from './load-options.ts'
import type { Sample } from './sampler.ts'
import type { TargetReport } from './target-spec.ts'
import { DEFAULT_MQTT_VERSION, type MqttVersion } from '../simulation/mqtt-version.ts'

export interface RunPieces {
  variant: string
  round: number
  target: string
  engine: EngineName
  /** 3.1.1 when left out. */
  mqttVersion?: MqttVersion
  connections: number
  workers: number
  connect: RunResult['connect']
  load: LoadOptions
  /** Generator counters per second of load, summed over processes. */
  perSecond: (GeneratorCounters | undefined)[]
  done: { counters: GeneratorCounters; loadCpuMs: number }[]
  joined: JoinedRun
  samples: Sample[]
  pipelineOutputs: number
  brokerFailure: string | null
  /** As the target reported them when it stopped (TargetReport); callers without the last two may leave them out. */
  pipeline: TargetReport['pipeline']
  clientsPerNode: TargetReport['clientsPerNode']
  skippedDeliveries?: TargetReport['skippedDeliveries']
  subscriptionsDropped?: TargetReport['subscriptionsDropped']
  brokerEventLoop?: LoopStalls | null
  /** The broker's loop delay per second, and when the load started, both on CLOCK_MONOTONIC (ms). */
  loopDelay?: readonly LoopSecond[] | null
  loadStartAt?: number
  /** The measured window on CLOCK_MONOTONIC, ms (RunResult.measuredWindow). */
  window?: { fromMs: number; toMs: number }
}

/**
 * Turns what a run collected into its figures. Rates are averaged over the measured window —
 * the seconds after ramp-up — so a slow start does not dilute them; totals (sent, delivered,
 * lost) cover the whole run including the drain.
 */
export function summariseRun(p: RunPieces): RunResult {
  const { load, joined } = p
  const windowFrom = Math.ceil(load.rampUpS)
  const windowTo = Math.floor(load.rampUpS + load.durationS)
  const windowSeconds = Math.max(1, windowTo - windowFrom)
  const inWindow = p.perSecond.slice(windowFrom, windowTo)
  const sum = (key: keyof GeneratorCounters) => inWindow.reduce((n, s) => n + (s?.[key] ?? 0), 0)
  const totals = p.done.reduce(
    (t, d) => ({ skipped: t.skipped + d.counters.skipped, disconnects: t.disconnects + d.counters.disconnects, acked: t.acked + d.counters.acked }),
    { skipped: 0, disconnects: 0, acked: 0 },
  )
  const generatorCpuMs = p.done.reduce((n, d) => n + d.loadCpuMs, 0)
  const windowSamples = samplesBetween(p.samples, windowFrom, windowTo)
  const brokerCores = cores(windowSamples, (s) => s.broker)
  const brokerCpuMs = cpuMsBetween(windowSamples, (s) => s.broker)
  const brokerMainMs = cpuMsBetween(windowSamples, (s) => s.broker && { ...s.broker, cpuMs: s.broker.mainThreadCpuMs })
  const perMessage = (ms: number | null) => (joined.deliveredInWindow > 0 && ms !== null ? (ms * 1000) / joined.deliveredInWindow : 0)
  const redisCores = cores(windowSamples, (s) => s.redis)
  return {
    variant: p.variant,
    round: p.round,
    target: p.target,
    mqttVersion: p.mqttVersion ?? DEFAULT_MQTT_VERSION,
    connections: p.connections,
    connect: p.connect,
    rates: {
      offered: load.ratePerDevice === null ? null : sum('offered') / windowSeconds,
      achieved: sum('sent') / windowSeconds,
      delivered: joined.deliveredInWindow / windowSeconds,
    },
    totals: { ...joined.totals, ...totals },
    deliveredPct: joined.totals.sent > 0 ? (joined.totals.delivered / joined.totals.sent) * 100 : 0,
    latency: joined.latency,
    broker:
      brokerCores === null
        ? null
        : {
            cpuCores: brokerCores,
            peakRssMB: peak(p.samples, (s) => s.broker),
            cpuUsPerMessage: perMessage(brokerCpuMs),
            mainThreadUsPerMessage: perMessage(brokerMainMs),
          },
    nodes: Array.from({ length: p.samples[0]?.nodes.length ?? 0 }, (_, i) => ({
      cpuCores: cores(windowSamples, (s) => s.nodes[i] ?? null) ?? 0,
      peakRssMB: peak(p.samples, (s) => s.nodes[i] ?? null),
      clients: p.clientsPerNode[i] ?? null,
    })),
    skippedDeliveries: p.skippedDeliveries ?? null,
    subscriptionsDropped: p.subscriptionsDropped ?? null,
    brokerEventLoop: p.brokerEventLoop ?? null,
    redis:
      redisCores === null
        ? null
        : { cpuCores: redisCores, peakRssMB: peak(p.samples, (s) => s.redis), cpuUsPerMessage: perMessage(cpuMsBetween(windowSamples, (s) => s.redis)) },
    generator: {
      workers: p.workers,
      cpuCores: sumOverProcesses(windowSamples, p.workers, cores),
      peakRssMB: sumOverProcesses(p.samples, p.workers, peak),
      messagesPerCpuSecond: generatorCpuMs > 0 ? (p.done.reduce((n, d) => n + d.counters.sent, 0) * 1000) / generatorCpuMs : 0,
    },
    subscriber: {
      cpuCores: cores(windowSamples, (s) => s.subscriber) ?? 0,
      peakRssMB: peak(p.samples, (s) => s.subscriber),
      pipelineOutputs: p.pipelineOutputs,
    },
    pipeline: p.pipeline,
    brokerFailure: p.brokerFailure,
    timeline: timeline(p),
    ...(p.window ? { measuredWindow: { ...p.window, delivered: joined.deliveredInWindow } } : {}),
  }
}

function timeline(p: RunPieces): TimelinePoint[] {
  const length = Math.max(p.perSecond.length, p.joined.seconds.length)
  const loopHeld = loopHeldPerSecond(p, length)
  const points: TimelinePoint[] = []
  for (let k = 0; k < length; k++) {
    const counters = p.perSecond[k]
    const arrivals = p.joined.seconds[k]
    const latency: LatencySummary | null = arrivals?.latency ?? null
    const span = samplesBetween(p.samples, k, k + 1)
    points.push({
      second: k,
      offered: p.load.ratePerDevice === null ? (counters?.sent ?? 0) : (counters?.offered ?? 0),
      achieved: counters?.sent ?? 0,
      delivered: arrivals?.delivered ?? 0,
      p50: latency?.p50 ?? null,
      p99: latency?.p99 ?? null,
      max: latency?.max ?? null,
      brokerCpu: cores(span, (s) => s.broker),
      generatorCpu: span.length >= 2 ? sumOverProcesses(span, p.workers, cores) : null,
      brokerLoopMaxMs: loopHeld?.[k] ?? null,
    })
  }
  return points
}

/** Each broker second's worst loop delay, in the timeline second it ended in (the two clocks' seconds are not aligned). */
function loopHeldPerSecond(p: RunPieces, length: number): (number | null)[] | null {
  if (!p.loopDelay || p.loadStartAt === undefined) return null
  const held: (number | null)[] = Array.from({ length }, () => null)
  for (const [at, ms] of p.loopDelay) {
    const k = Math.floor((at - p.loadStartAt) / 1000)
    if (k >= 0 && k < length) held[k] = Math.max(held[k] ?? 0, ms)
  }
  return held
}

/** Samples taken from `from` to `to` seconds after the load started (sample k is at k s). */
function samplesBetween(samples: Sample[], from: number, to: number): Sample[] {
  const first = samples[0]?.at ?? 0
  return samples.filter((s) => s.at - first >= from * 1000 - 100 && s.at - first <= to * 1000 + 100)
}

type Pick = (s: Sample) => ProcSample | null

function cpuMsBetween(samples: Sample[], pick: Pick): number | null {
  const a = samples[0]
  const b = samples[samples.length - 1]
  const from = a && pick(a)
  const to = b && pick(b)
  return from && to && a !== b ? to.cpuMs - from.cpuMs : null
}

function cores(samples: Sample[], pick: Pick): number | null {
  const cpuMs = cpuMsBetween(samples, pick)
  const wall = samples.length >= 2 ? samples[samples.length - 1]!.at - samples[0]!.at : 0
  return cpuMs === null || wall <= 0 ? null : cpuMs / wall
}

function peak(samples: Sample[], pick: Pick): number {
  return samples.reduce((m, s) => Math.max(m, pick(s)?.peakRssMB ?? 0), 0)
}

function sumOverProcesses(samples: Sample[], processes: number, figure: (samples: Sample[], pick: Pick) => number | null): number {
  let total = 0
  for (let i = 0; i < processes; i++) total += figure(samples, (s) => s.generators[i] ?? null) ?? 0
  return total
}
