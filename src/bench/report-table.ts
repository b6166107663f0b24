import { formatAgents } from './report-agents.ts'
import { formatUndelivered } from './undelivered.ts'
import type { BenchReport, RunResult } from './result.ts'

type Row = [string, (r: RunResult) => string]

const n = (v: number, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const ms = (v: number | undefined) => (v === undefined ? '–' : v < 10 ? n(v, 2) : v < 100 ? n(v, 1) : n(v))
const or = (v: number | null | undefined, f: (x: number) => string) => (v === null || v === undefined ? '–' : f(v))

/** One figure of each broker node, node 1 first: `a / b` for a cluster of two. */
const perNode = (r: RunResult, cell: (node: RunResult['nodes'][number]) => string) => (r.nodes.length > 0 ? r.nodes.map(cell).join(' / ') : '–')

const ROWS: Row[] = [
  ['target', (r) => r.target],
  ['MQTT version', (r) => r.mqttVersion],
  ['connections', (r) => n(r.connections)],
  [
    'connect p50 / p99 ms',
    (r) =>
      `${ms(r.connect.perConnection.p50)} / ${ms(r.connect.perConnection.p99)}${r.connect.failures ? ` (${r.connect.failures} failed)` : ''}${r.connect.retried ? ` (${r.connect.retried} retried)` : ''}`,
  ],
  ['offered msg/s', (r) => or(r.rates.offered, (v) => n(v))],
  ['achieved msg/s', (r) => n(r.rates.achieved)],
  ['delivered msg/s', (r) => n(r.rates.delivered)],
  ['delivered %', (r) => n(r.deliveredPct, 3)],
  ['lost / reordered / duplicate', (r) => `${n(r.totals.lost)} / ${n(r.totals.reordered)} / ${n(r.totals.duplicates)}`],
  ['skipped (backpressure)', (r) => n(r.totals.skipped)],
  ['broker skipped to subscriber', (r) => or(r.skippedDeliveries, (v) => n(v))],
  ['Redis dropped a node subscription', (r) => or(r.subscriptionsDropped, (v) => n(v))],
  ['latency p50 ms', (r) => or(r.latency?.p50, ms)],
  ['latency p90 ms', (r) => or(r.latency?.p90, ms)],
  ['latency p99 ms', (r) => or(r.latency?.p99, ms)],
  ['latency p99.9 ms', (r) => or(r.latency?.p999, ms)],
  ['latency max ms', (r) => or(r.latency?.max, ms)],
  ['broker loop held max ms (s > 100 ms)', (r) => (r.brokerEventLoop ? `${ms(r.brokerEventLoop.maxMs)} (${n(r.brokerEventLoop.secondsOverStall)})` : '–')],
  ['broker CPU cores', (r) => or(r.broker?.cpuCores, (v) => n(v, 2))],
  ['broker CPU µs/msg', (r) => or(r.broker?.cpuUsPerMessage, (v) => n(v, 1))],
  ['  of which main thread', (r) => or(r.broker?.mainThreadUsPerMessage, (v) => n(v, 1))],
  ['broker peak RSS MB', (r) => or(r.broker?.peakRssMB, (v) => n(v))],
  ['per node: connections', (r) => perNode(r, (node) => or(node.clients, (v) => n(v)))],
  ['per node: CPU cores', (r) => perNode(r, (node) => n(node.cpuCores, 2))],
  ['Redis CPU cores', (r) => or(r.redis?.cpuCores, (v) => n(v, 2))],
  ['Redis CPU µs/msg', (r) => or(r.redis?.cpuUsPerMessage, (v) => n(v, 1))],
  ['Redis peak RSS MB', (r) => or(r.redis?.peakRssMB, (v) => n(v))],
  ['generator CPU cores', (r) => n(r.generator.cpuCores, 2)],
  ['generator msg per CPU-s', (r) => n(r.generator.messagesPerCpuSecond)],
  ['generator peak RSS MB', (r) => n(r.generator.peakRssMB)],
  ['subscriber CPU cores', (r) => n(r.subscriber.cpuCores, 2)],
  ['pipeline valid / quarantined', (r) => (r.pipeline ? `${n(r.pipeline.valid)} / ${n(r.pipeline.quarantined)}` : '–')],
  ['pipeline outputs routed', (r) => (r.pipeline ? n(r.pipeline.routed) : '–')],
  ['broker stopped', (r) => (r.brokerFailure ? 'crashed (see below)' : 'cleanly')],
]

/** The terminal table: one column per run, one row per figure, then the ratios. */
export function formatTable(report: BenchReport): string {
  const headers = report.runs.map((r) => (report.settings.rounds > 1 ? `${r.variant} #${r.round + 1}` : r.variant))
  // A row no run has a figure for (Redis rows without a cluster, pipeline rows on Mosquitto) is left out.
  const cells = ROWS.map(([label, cell]) => [label, ...report.runs.map(cell)]).filter((row) => row.slice(1).some((c) => c !== '–'))
  const widths = [0, ...headers].map((_, c) => Math.max(...[c === 0 ? '' : headers[c - 1]!, ...cells.map((row) => row[c]!)].map((s) => s.length)))
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')
  const out = [line(['', ...headers]), ...cells.map(line)]
  for (const run of report.runs)
    if (run.brokerFailure)
      out.push(`${run.variant}${report.settings.rounds > 1 ? ` #${run.round + 1}` : ''}: the broker crashed while stopping: ${run.brokerFailure}`)
  for (const run of report.runs) out.push(...formatAgents(run))
  for (const run of report.runs) out.push(...formatRefusals(run, report.settings.rounds))
  for (const run of report.runs)
    if (run.undelivered) out.push(...formatUndelivered(`${run.variant}${report.settings.rounds > 1 ? ` #${run.round + 1}` : ''}`, run.undelivered))
  if (report.comparisons.length > 0) out.push('', `ratios to ${report.comparisons[0]!.ratios[0]?.baseline ?? 'the first variant'} (median of the rounds):`)
  for (const comparison of report.comparisons) {
    for (const ratio of comparison.ratios) {
      if (ratio.perRound.length === 0) continue
      const range = ratio.perRound.length > 1 ? ` (rounds ${ratio.perRound.map((v) => n(v, 3)).join(', ')}; spread ${n(ratio.spreadPct, 1)} %)` : ''
      out.push(`  ${comparison.figure}: ${ratio.variant} / ${ratio.baseline} = ${n(ratio.median, 3)}${range}`)
    }
  }
  return out.join('\n')
}

/** Why the broker turned logins away, for a run whose connections failed or were retried. */
function formatRefusals(run: RunResult, rounds: number): string[] {
  const { failures, retried = 0, refusedBy } = run.connect
  if (failures === 0 && retried === 0) return []
  const name = `${run.variant}${rounds > 1 ? ` #${run.round + 1}` : ''}`
  const reasons = Object.entries(refusedBy ?? {})
    .map(([reason, count]) => `${reason} ${n(count)}${REFUSAL_MEANING[reason] ? ` (${REFUSAL_MEANING[reason]})` : ''}`)
    .join(', ')
  const why = refusedBy
    ? reasons
      ? `the broker refused logins: ${reasons}`
      : 'the broker refused no login (the connections failed on the way)'
    : 'the broker does not say why'
  return [`${name}: ${n(failures)} connections failed, ${n(retried)} connected on a retry; ${why}`]
}

const REFUSAL_MEANING: Record<string, string> = {
  'login-queue-full': 'password checks over 2 s behind for this address, src/registry/hash-queue.ts',
  'address-limit': 'too many connections from one address, security.maxConnectionsPerAddress',
  banned: 'the address is banned by a detector’s response',
  'too-many-failures': 'the address spent its failed-login budget',
}
