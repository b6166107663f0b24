import { WardlabError } from '../util/errors.ts'
import type { BenchReport, RunResult } from './result.ts'

/**
 * Pass/fail criteria for a bench run, as k6 has them for CI-gated load tests:
 * `--threshold 'p99<50ms' --threshold 'delivered>=99.9%'`. Every run of the report must meet
 * every threshold; a miss makes `wardlab bench` exit 1 (EXIT.failed), a malformed one exits 2
 * before any load is sent.
 */
export interface Threshold {
  text: string
  metric: Metric
  op: Op
  /** In the metric's unit: ms for latencies, % for delivered, msg/s for rates, a count for lost. */
  value: number
}

type Op = '<' | '<=' | '>' | '>='

interface MetricDef {
  unit: string
  /** Units the value may be written in, with the factor to the metric's unit. */
  accepts: Record<string, number>
  read(run: RunResult): number | null
}

const LATENCY_UNITS = { ms: 1, s: 1000, '': 1 }
const latency = (pick: (l: NonNullable<RunResult['latency']>) => number): MetricDef => ({
  unit: 'ms',
  accepts: LATENCY_UNITS,
  read: (r) => (r.latency ? pick(r.latency) : null),
})

const METRICS = {
  p50: latency((l) => l.p50),
  p90: latency((l) => l.p90),
  p99: latency((l) => l.p99),
  'p99.9': latency((l) => l.p999),
  max: latency((l) => l.max),
  delivered: { unit: '%', accepts: { '%': 1, '': 1 }, read: (r) => r.deliveredPct },
  'delivered-rate': { unit: 'msg/s', accepts: { 'msg/s': 1, '/s': 1, '': 1 }, read: (r) => r.rates.delivered },
  lost: { unit: '', accepts: { '': 1 }, read: (r) => r.totals.lost },
  'connect-failures': { unit: '', accepts: { '': 1 }, read: (r) => r.connect.failures },
} satisfies Record<string, MetricDef>

type Metric = keyof typeof METRICS

export const THRESHOLD_HELP = `metric op value, metric one of ${Object.keys(METRICS).join(', ')}; op <, <=, > or >=; e.g. 'p99<50ms', 'delivered>=99.9%'`

export function parseThreshold(text: string): Threshold {
  const match = /^\s*([a-z0-9.-]+)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*(ms|s|%|msg\/s|\/s)?\s*$/.exec(text)
  const bad = (why: string) => new WardlabError('WL_USAGE', `wardlab bench: --threshold "${text}": ${why} (${THRESHOLD_HELP})`)
  if (!match) throw bad('not a threshold')
  const [, name, op, number, unit = ''] = match
  if (!(name! in METRICS)) throw bad(`unknown metric "${name}"`)
  const metric = METRICS[name as Metric] as MetricDef
  const factor = metric.accepts[unit]
  if (factor === undefined) throw bad(`${name} is measured in ${metric.unit || 'a count'}, not ${unit}`)
  return { text, metric: name as Metric, op: op as Op, value: Number(number) * factor }
}

export interface ThresholdOutcome {
  threshold: Threshold
  run: string
  actual: number | null
  passed: boolean
}

/** Every threshold against every run; a figure the run could not measure (latency of the mqtt.js baseline) fails. */
export function checkThresholds(report: BenchReport, thresholds: readonly Threshold[]): ThresholdOutcome[] {
  return thresholds.flatMap((threshold) =>
    report.runs.map((run) => {
      const actual = (METRICS[threshold.metric] as MetricDef).read(run)
      return {
        threshold,
        run: report.settings.rounds > 1 ? `${run.variant} #${run.round + 1}` : run.variant,
        actual,
        passed: actual !== null && compare(actual, threshold.op, threshold.value),
      }
    }),
  )
}

function compare(actual: number, op: Op, value: number): boolean {
  return op === '<' ? actual < value : op === '<=' ? actual <= value : op === '>' ? actual > value : actual >= value
}

export function formatOutcomes(outcomes: readonly ThresholdOutcome[]): string {
  return outcomes
    .map((o) => {
      const unit = (METRICS[o.threshold.metric] as MetricDef).unit
      const actual = o.actual === null ? 'not measured' : `${+o.actual.toFixed(3)}${unit === '%' ? ' %' : unit ? ` ${unit}` : ''}`
      return `${o.passed ? 'ok  ' : 'FAIL'} ${o.threshold.text.trim()}: ${actual} (${o.run})`
    })
    .join('\n')
}
