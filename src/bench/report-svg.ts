import type { BenchReport, RunResult, TimelinePoint } from './result.ts'

interface Series {
  label: string
  color: string
  dash?: string
  values: (number | null)[]
}

const WIDTH = 920
const PANEL_H = 150
const LEFT = 70
const RIGHT = 20
const RUN_H = 2 * PANEL_H + 70

/**
 * The per-second timeline of every run as one self-contained SVG: for each run, the offered,
 * achieved and delivered rates above, the latency percentiles of each second's arrivals below
 * (log scale, since a stall is orders of magnitude, not percent). Hand-written: a charting library
 * would need a DOM or a canvas in Node for what is a few polylines and axis labels.
 */
export function renderSvg(report: BenchReport): string {
  const height = 40 + report.runs.length * RUN_H
  // Seconds after the load are its stragglers, a partial second: drawn, they would read as a drop to 0.
  const loadSeconds = Math.ceil(report.settings.rampUpS + report.settings.durationS)
  const body = report.runs
    .map((run, i) => runBlock({ ...run, timeline: run.timeline.slice(0, loadSeconds) }, 40 + i * RUN_H, report.settings.rounds > 1))
    .join('\n')
  const title = `wardlab bench — ${report.settings.devices.toLocaleString('en-US')} devices, ${report.settings.ratePerDevice === null ? 'flat out' : `${report.settings.ratePerDevice} msg/s each`}, QoS ${report.settings.qos}, ${report.settings.payload} payloads — ${report.date.slice(0, 16).replace('T', ' ')}`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="24" font-size="14" font-weight="600">${escapeXml(title)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n')
}

function runBlock(run: RunResult, y: number, showRound: boolean): string {
  const t = run.timeline
  const rates: Series[] = [
    { label: 'offered', color: '#888', dash: '5 3', values: t.map((p) => p.offered) },
    { label: 'achieved', color: '#1f77b4', values: t.map((p) => p.achieved) },
    { label: 'delivered', color: '#2ca02c', values: t.map((p) => p.delivered) },
  ]
  const latency: Series[] = [
    { label: 'p50', color: '#ff7f0e', values: t.map((p) => p.p50) },
    { label: 'p99', color: '#d62728', values: t.map((p) => p.p99) },
    { label: 'max', color: '#9467bd', dash: '2 2', values: t.map((p) => p.max) },
    // Beside the latency it explains: a spike with a long hold is the broker's own.
    ...(t.some((p) => p.brokerLoopMaxMs !== null) ? [{ label: 'broker loop held', color: '#444', dash: '1 3', values: t.map((p) => p.brokerLoopMaxMs) }] : []),
  ]
  const heading = `${run.variant}${showRound ? ` #${run.round + 1}` : ''}${run.variant === run.target ? '' : ` — ${run.target}`}, MQTT ${run.mqttVersion}: ${Math.round(run.rates.delivered).toLocaleString('en-US')} msg/s delivered, p99 ${run.latency ? `${run.latency.p99.toFixed(2)} ms` : 'n/a'}${run.broker ? `, broker ${run.broker.cpuUsPerMessage.toFixed(1)} µs CPU/msg` : ''}${run.distributed ? `, from ${run.distributed.agents.length} agents started within ${run.distributed.startSkewBoundMs.toFixed(2)} ms` : ''}`
  return [
    `<text x="${LEFT}" y="${y + 14}" font-size="12" font-weight="600">${escapeXml(heading)}</text>`,
    panel(y + 30, 'msg/s', rates, t, 'linear'),
    panel(y + 50 + PANEL_H, 'latency ms', latency, t, 'log'),
  ].join('\n')
}

function panel(y: number, unit: string, series: Series[], timeline: TimelinePoint[], scale: 'linear' | 'log'): string {
  const w = WIDTH - LEFT - RIGHT
  const h = PANEL_H - 20
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null && v > 0))
  // Each point is a whole second of counts, drawn at the middle of its second.
  const seconds = Math.max(1, timeline.length)
  const x = (i: number) => LEFT + (i / seconds) * w
  const mid = (i: number) => x(i + 0.5)
  const out: string[] = [`<rect x="${LEFT}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`]
  if (values.length === 0) return [...out, `<text x="${LEFT + 8}" y="${y + 16}" fill="#888">no ${unit} data</text>`].join('\n')
  const { ticks, toY } = scale === 'log' ? logAxis(values, y, h) : linearAxis(values, y, h)
  for (const tick of ticks) {
    const ty = toY(tick)
    out.push(
      `<line x1="${LEFT}" x2="${LEFT + w}" y1="${f(ty)}" y2="${f(ty)}" stroke="#eee"/>`,
      `<text x="${LEFT - 6}" y="${f(ty + 4)}" text-anchor="end" fill="#555">${label(tick)}</text>`,
    )
  }
  out.push(`<text x="14" y="${y + h / 2}" transform="rotate(-90 14 ${y + h / 2})" text-anchor="middle" fill="#555">${unit}</text>`)
  const step = Math.max(1, Math.ceil(seconds / 10))
  for (let i = 0; i <= seconds; i += step) out.push(`<text x="${f(x(i))}" y="${y + h + 14}" text-anchor="middle" fill="#555">${i} s</text>`)
  // The legend, right-aligned above the panel: a sample line and the label, about 6 px a character.
  const legendWidth = (s: Series) => 22 + s.label.length * 6 + 16
  let lx = LEFT + w - series.reduce((sum, s) => sum + legendWidth(s), 0)
  for (const s of series) {
    const points = s.values.map((v, i) => (v === null || (scale === 'log' && v <= 0) ? null : `${f(mid(i))},${f(toY(v))}`))
    for (const run of segments(points))
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${run.join(' ')}"/>`)
    out.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${y - 6}" y2="${y - 6}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
      `<text x="${lx + 22}" y="${y - 2}">${s.label}</text>`,
    )
    lx += legendWidth(s)
  }
  return out.join('\n')
}

function linearAxis(values: number[], y: number, h: number): { ticks: number[]; toY: (v: number) => number } {
  const raw = Math.max(...values) / 4
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!
  const top = Math.ceil(Math.max(...values) / step) * step
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step)
  return { ticks, toY: (v) => y + h - (v / top) * h }
}

function logAxis(values: number[], y: number, h: number): { ticks: number[]; toY: (v: number) => number } {
  const lo = Math.floor(Math.log10(Math.min(...values)))
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))))
  const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i))
  return { ticks, toY: (v) => y + h - ((Math.log10(v) - lo) / (hi - lo)) * h }
}

/** Splits a series at gaps (seconds with no value) so a line never bridges missing data. */
function segments(points: (string | null)[]): string[][] {
  const runs: string[][] = [[]]
  for (const p of points) {
    if (p === null) runs.push([])
    else runs[runs.length - 1]!.push(p)
  }
  return runs.filter((r) => r.length > 1)
}

function label(v: number): string {
  if (v >= 1e6) return `${v / 1e6}M`
  if (v >= 1e3) return `${v / 1e3}k`
  return String(Number(v.toPrecision(3)))
}

function f(v: number): string {
  return v.toFixed(1)
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
