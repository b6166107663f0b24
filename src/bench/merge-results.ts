import type { AgentReport } from './agent-protocol.ts'
import type { ConnectionShare } from './fleet-share.ts'
import type { JoinedRun } from './join-records.ts'
import { LatencyHistogram, type LatencySummary } from '../util/latency.ts'
import type { RunResult } from './result.ts'
import { summariseRun, type RunPieces } from './summarise.ts'
import type { AgentFigures, AgentPlacement } from './result.ts'

/** One agent's part of a coordinated run, as the coordinator received it. */
export interface AgentRun extends AgentPlacement {
  share: ConnectionShare
  report: AgentReport
}

/** What the coordinator knows itself: the load, the target and the broker it sampled, if it started one. */
export type CoordinatorPieces = Omit<RunPieces, 'connections' | 'workers' | 'connect' | 'perSecond' | 'done' | 'joined' | 'pipelineOutputs'>

/**
 * One run's figures from every agent's: histograms are added (percentiles of the whole fleet, not
 * averages of percentiles), counters summed, and the per-second timelines laid over each other by
 * second since the common start. The broker's figures are the coordinator's own samples, per
 * message of the merged deliveries; the generators' and subscribers' come from the agents that ran
 * them, summed.
 */
export function mergeAgentRuns(agents: readonly AgentRun[], coordinator: CoordinatorPieces): RunResult {
  const results = agents.map((a) => a.report.result)
  const seconds = Math.max(0, ...results.map((r) => r.timeline.length))
  const sum = (figure: (r: RunResult) => number) => results.reduce((n, r) => n + figure(r), 0)
  const latencies = agents.map((a) => a.report.histograms.latency)
  const latency = latencies.every((h): h is string => h !== null) ? mergeHistograms(latencies) : null
  const secondHistograms = Array.from({ length: seconds }, (_, k) => {
    const parts = agents.map((a) => a.report.histograms.seconds[k] ?? null).filter((h): h is string => h !== null)
    return parts.length > 0 ? mergeHistograms(parts) : null
  })
  const joined: JoinedRun = {
    totals: {
      sent: sum((r) => r.totals.sent),
      delivered: sum((r) => r.totals.delivered),
      lost: sum((r) => r.totals.lost),
      duplicates: sum((r) => r.totals.duplicates),
      reordered: sum((r) => r.totals.reordered),
    },
    latency: mergedSummary(
      latency,
      results.map((r) => r.latency?.max),
    ),
    histogram: latency,
    deliveredInWindow: agents.reduce((n, a) => n + a.report.deliveredInWindow, 0),
    seconds: secondHistograms.map((histogram, k) => ({
      delivered: sum((r) => r.timeline[k]?.delivered ?? 0),
      latency: mergedSummary(
        histogram,
        results.map((r) => r.timeline[k]?.max),
      ),
      histogram,
    })),
  }
  const connectTimes = mergeHistograms(agents.map((a) => a.report.histograms.connect))
  const merged = summariseRun({
    ...coordinator,
    connections: sum((r) => r.connections),
    workers: sum((r) => r.generator.workers),
    connect: {
      wallMs: Math.max(0, ...results.map((r) => r.connect.wallMs)),
      perConnection: connectTimes.summary(),
      failures: sum((r) => r.connect.failures),
      firstFailure: results.find((r) => r.connect.firstFailure)?.connect.firstFailure ?? null,
    },
    // Per second, summariseRun reads only what was offered and sent, which each agent's timeline keeps.
    perSecond: Array.from({ length: seconds }, (_, k) => ({
      offered: sum((r) => r.timeline[k]?.offered ?? 0),
      sent: sum((r) => r.timeline[k]?.achieved ?? 0),
      skipped: 0,
      acked: 0,
      disconnects: 0,
    })),
    // One entry per agent; its generators' CPU time is what its messages per CPU-second imply.
    done: results.map((r) => ({
      counters: { offered: 0, sent: r.totals.sent, skipped: r.totals.skipped, acked: r.totals.acked, disconnects: r.totals.disconnects },
      loadCpuMs: r.generator.messagesPerCpuSecond > 0 ? (r.totals.sent * 1000) / r.generator.messagesPerCpuSecond : 0,
    })),
    joined,
    pipelineOutputs: sum((r) => r.subscriber.pipelineOutputs),
  })
  return {
    ...merged,
    // The coordinator sampled no generator or subscriber: every agent sampled its own.
    generator: { ...merged.generator, cpuCores: sum((r) => r.generator.cpuCores), peakRssMB: sum((r) => r.generator.peakRssMB) },
    subscriber: {
      cpuCores: sum((r) => r.subscriber.cpuCores),
      peakRssMB: sum((r) => r.subscriber.peakRssMB),
      pipelineOutputs: merged.subscriber.pipelineOutputs,
    },
    timeline: merged.timeline.map((point, k) => {
      const cpu = results.map((r) => r.timeline[k]?.generatorCpu ?? null).filter((c): c is number => c !== null)
      return { ...point, generatorCpu: cpu.length > 0 ? cpu.reduce((a, b) => a + b, 0) : null }
    }),
    distributed: {
      startSkewBoundMs: startSkewBound(agents.map((a) => a.startOffsetMs)),
      agents: agents.map(agentFigures),
    },
  }
}

/** The widest gap the agents' start intervals allow between any two of them. */
export function startSkewBound(offsets: readonly { min: number; max: number }[]): number {
  return Math.max(...offsets.map((o) => o.max)) - Math.min(...offsets.map((o) => o.min))
}

/**
 * The merged histogram's summary with the exact maximum: the encoding keeps each value's bucket,
 * not the value, so a decoded histogram's max is its bucket's top; each agent knew its own max.
 */
function mergedSummary(histogram: LatencyHistogram | null, maxima: readonly (number | null | undefined)[]): LatencySummary | null {
  if (!histogram) return null
  const known = maxima.filter((m): m is number => typeof m === 'number')
  const summary = histogram.summary()
  return known.length > 0 ? { ...summary, max: Math.max(...known) } : summary
}

function mergeHistograms(encoded: readonly string[]): LatencyHistogram {
  const merged = new LatencyHistogram()
  for (const text of encoded) merged.add(LatencyHistogram.decode(text))
  return merged
}

function agentFigures(agent: AgentRun): AgentFigures {
  const r = agent.report.result
  return {
    address: agent.address,
    connections: r.connections,
    devices: agent.devices,
    rttMs: agent.rttMs,
    startOffsetMs: agent.startOffsetMs,
    rates: r.rates,
    totals: r.totals,
    deliveredPct: r.deliveredPct,
    latency: r.latency,
    generator: r.generator,
    subscriber: r.subscriber,
  }
}
