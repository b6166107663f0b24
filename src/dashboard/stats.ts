import type { Histogram } from 'prom-client'
import type { DashboardSource } from './source.ts'
import { STAGE_DURATION_METRIC } from '../ops/metrics.ts'
import { hl7LinkViews, type Hl7LinkView } from './hl7-links.ts'

/**
 * The throughput strip's numbers: running totals, as Prometheus counters are, so any number of
 * pages can poll without the server keeping per-viewer state; a page turns two snapshots into
 * rates. `simNow` lets the page tell simulated time (what payload `ts` values are in) between polls.
 */
export interface DashboardStats {
  /** Simulated epoch ms now. */
  simNow: number
  /** Simulated ms per wall ms; null for a virtual clock, which has no fixed pace. */
  speed: number | null
  received: number
  valid: number
  quarantined: number
  routed: number
  devicesConnected: number
  devicesSimulated: number
  clientsConnected: number
  securityAlerts: number
  /** Sum of the sampled stage timings, and how many messages were timed: their ratio is the time a message spends in the pipeline. */
  pipelineSeconds: number
  pipelineTimed: number
  /** Each `--hl7` link now: the page's HL7 panel follows this poll. */
  hl7Links: Hl7LinkView[]
}

export async function dashboardStats(lab: DashboardSource): Promise<DashboardStats> {
  const stats = lab.stats()
  const counters = lab.pipeline.counters
  const timing = await stageTiming(lab)
  return {
    simNow: Math.round(lab.clock.now()),
    speed: Number.isFinite(lab.clock.speed) ? lab.clock.speed : null,
    received: counters.received,
    valid: counters.valid,
    quarantined: counters.quarantined,
    routed: counters.routed,
    devicesConnected: stats.devicesConnected,
    devicesSimulated: stats.devicesSimulated,
    clientsConnected: stats.clientsConnected,
    securityAlerts: stats.alerts,
    ...timing,
    hl7Links: hl7LinkViews(lab),
  }
}

/**
 * Every timed message passes the first stage, so the largest per-stage count is the number of
 * timed messages; the sum over all stages is the time they spent.
 */
async function stageTiming(lab: DashboardSource): Promise<{ pipelineSeconds: number; pipelineTimed: number }> {
  const histogram = lab.metrics.registry.getSingleMetric(STAGE_DURATION_METRIC) as Histogram | undefined
  if (!histogram) return { pipelineSeconds: 0, pipelineTimed: 0 }
  let seconds = 0
  const counts = new Map<string, number>()
  for (const value of (await histogram.get()).values) {
    if (value.metricName?.endsWith('_sum')) seconds += value.value
    else if (value.metricName?.endsWith('_count')) {
      const stage = String(value.labels.stage)
      counts.set(stage, (counts.get(stage) ?? 0) + value.value)
    }
  }
  return { pipelineSeconds: seconds, pipelineTimed: Math.max(0, ...counts.values()) }
}
