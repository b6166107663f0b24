import { formatDuration } from './duration.ts'
import type { RunReport } from './report.ts'
import { formatScore } from './label-scoring.ts'

/** What a run's scoring counts: its sources, not flows. */
export const RUN_SCORING_UNIT = 'sources: each injected attack, each device and other benign source'

/** Marks for the verdict words; the CLI colours them in a real terminal only (src/cli/colour.ts). */
export interface SummaryMarks {
  good(text: string): string
  bad(text: string): string
}

const PLAIN: SummaryMarks = { good: (t) => t, bad: (t) => t }

/** The end-of-run summary people read in a terminal or a CI log. */
export function formatSummary(report: RunReport, marks: SummaryMarks = PLAIN): string {
  const lines: string[] = []
  const verdict = report.passed ? marks.good('PASSED') : marks.bad('FAILED')
  lines.push(
    '',
    `${verdict}  ${report.scenario}  (seed ${report.seed}, MQTT ${report.target.mqttVersion}, ${formatDuration(report.simulatedSeconds * 1000)} simulated in ${report.wallSeconds.toFixed(1)} s)`,
  )
  if (report.target.broker !== 'embedded')
    lines.push(
      `against ${report.target.broker}: message-level detectors only (${report.target.detectors.join(', ') || 'none'}); connection-level ones need the embedded broker`,
    )
  lines.push('')
  const m = report.messages
  lines.push(
    table(
      ['published', 'received', 'valid', 'quarantined', 'routed', 'latency p50', 'latency p99'],
      [
        [m.published, m.received, m.valid, m.quarantined, m.routed, `${report.latencyMs.p50.toFixed(2)} ms`, `${report.latencyMs.p99.toFixed(2)} ms`].map(
          String,
        ),
      ],
    ),
  )
  const detection = Object.entries(report.detection)
  if (detection.length > 0) {
    lines.push(
      '',
      table(
        ['attack', 'injected', 'detected', 'time to detect', 'false alerts'],
        detection.map(([type, d]) => [
          type,
          String(d.injected),
          String(d.detected),
          d.timeToDetectSeconds === null ? '—' : `${d.timeToDetectSeconds.toFixed(1)} s`,
          String(d.falseAlerts),
        ]),
      ),
    )
  }
  if (report.scoring) lines.push('', ...formatScore(report.scoring, RUN_SCORING_UNIT))
  // Marked after padding: escape codes would count as width.
  const expectations = table(
    ['', 'expectation', 'detail'],
    report.expectations.map((e) => [e.passed ? 'ok' : 'FAIL', e.name, e.detail]),
  )
  lines.push(
    '',
    expectations.replace(/^(ok|FAIL)(?= )/gm, (word) => (word === 'ok' ? marks.good(word) : marks.bad(word))),
  )
  const alerts = new Map<string, number>()
  for (const a of report.alerts) alerts.set(a.type, (alerts.get(a.type) ?? 0) + 1)
  lines.push(
    '',
    `security alerts: ${alerts.size === 0 ? 'none' : [...alerts].map(([t, n]) => `${t} ×${n}`).join(', ')}; clinical/technical alarms: ${report.clinicalAlerts.filter((a) => a.active).length}; NEWS2 band changes: ${report.news2.filter((n) => n.from !== null).length}`,
    '',
  )
  return lines.join('\n')
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const render = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [render(header), render(widths.map((w) => '─'.repeat(w))), ...rows.map(render)].join('\n')
}

/** A one-line progress bar, redrawn in place. */
export function progressLine(simulatedMs: number, durationMs: number, rate: number, alerts: number): string {
  const width = 30
  const done = Math.min(width, Math.round((simulatedMs / durationMs) * width))
  return `[${'█'.repeat(done)}${'░'.repeat(width - done)}] ${formatDuration(simulatedMs)} / ${formatDuration(durationMs)}  ${Math.round(rate).toLocaleString('en')} msg/s  alerts ${alerts}`
}
