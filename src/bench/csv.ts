import type { BenchReport } from './result.ts'

const COLUMNS = [
  'variant',
  'round',
  'second',
  'offered',
  'achieved',
  'delivered',
  'p50_ms',
  'p99_ms',
  'max_ms',
  'broker_cpu',
  'generator_cpu',
  'broker_loop_max_ms',
] as const

/**
 * The per-second timeline of every run as CSV, one row per run and second, for a spreadsheet or
 * a CI artefact. Empty cells are figures that second did not have (no arrivals, no sample).
 */
export function renderCsv(report: BenchReport): string {
  const cell = (v: string | number | null) =>
    v === null ? '' : typeof v === 'number' ? String(+v.toFixed(3)) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v
  const rows = report.runs.flatMap((run) =>
    run.timeline.map((p) =>
      [run.variant, run.round + 1, p.second, p.offered, p.achieved, p.delivered, p.p50, p.p99, p.max, p.brokerCpu, p.generatorCpu, p.brokerLoopMaxMs]
        .map(cell)
        .join(','),
    ),
  )
  return [COLUMNS.join(','), ...rows, ''].join('\n')
}
