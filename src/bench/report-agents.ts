import type { AgentFigures } from './result.ts'
import type { RunResult } from './result.ts'

const n = (v: number, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const signed = (v: number) => `${v < 0 ? '−' : '+'}${n(Math.abs(v), 2)}`

const COLUMNS: [string, (a: AgentFigures) => string][] = [
  ['agent', (a) => a.address],
  ['devices', (a) => (a.devices.count === 0 ? '–' : `${a.devices.first + 1}–${a.devices.first + a.devices.count}`)],
  ['connections', (a) => n(a.connections)],
  ['sent', (a) => n(a.totals.sent)],
  ['delivered %', (a) => n(a.deliveredPct, 3)],
  ['lost / reord. / dup.', (a) => `${n(a.totals.lost)} / ${n(a.totals.reordered)} / ${n(a.totals.duplicates)}`],
  ['p50 ms', (a) => (a.latency ? n(a.latency.p50, 2) : '–')],
  ['p99 ms', (a) => (a.latency ? n(a.latency.p99, 2) : '–')],
  ['max ms', (a) => (a.latency ? n(a.latency.max, 2) : '–')],
  ['RTT ms', (a) => n(a.rttMs, 2)],
  ['started ms', (a) => `${signed(a.startOffsetMs.min)} … ${signed(a.startOffsetMs.max)}`],
]

/**
 * The per-agent breakdown of a multi-machine run, under the merged table: each agent's share and
 * figures, its round trip to the coordinator, and the interval its start fell in around the
 * instant the coordinator meant.
 */
export function formatAgents(run: RunResult): string[] {
  const distributed = run.distributed
  if (!distributed) return []
  const rows = [COLUMNS.map(([title]) => title), ...distributed.agents.map((a) => COLUMNS.map(([, cell]) => cell(a)))]
  const widths = COLUMNS.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
  return [
    '',
    `${run.variant} from ${distributed.agents.length} agents, each timing its own devices' messages on its own clock; they started within ${n(distributed.startSkewBoundMs, 2)} ms of each other:`,
    ...rows.map((row) => `  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`),
  ]
}
