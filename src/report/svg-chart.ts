/**
 * Small, dependency-free SVG charts for self-contained reports: a report that opens from a file,
 * offline, in any browser, needs no script and no library. Two shapes: a time-series line chart and
 * a timeline of lanes (spans and markers).
 */

export interface LineSeries {
  label: string
  color: string
  points: { x: number; y: number | undefined }[]
  /** Draw as steps (a value that holds until the next), e.g. a NEWS2 score. */
  step?: boolean
}

export interface ChartFrame {
  width: number
  height: number
  title: string
  unit: string
  /** Formats an x value (e.g. simulated ms → "1h30m"). */
  formatX: (x: number) => string
  xDomain: [number, number]
  /** Where x ticks go; evenly spaced "nice" numbers by default, timeTicks for durations. */
  xTicks?: (min: number, max: number) => number[]
}

const TIME_STEPS_MS = [1, 2, 5, 10, 15, 30]
  .map((s) => s * 1000)
  .concat(
    [1, 2, 5, 10, 15, 30].map((m) => m * 60_000),
    [1, 2, 3, 6, 12, 24].map((h) => h * 3_600_000),
  )

/** Ticks on round durations (every 15 min, every hour…) for an axis of milliseconds. */
export function timeTicks(min: number, max: number): number[] {
  const step = TIME_STEPS_MS.find((s) => (max - min) / s <= 8) ?? 86_400_000
  const ticks: number[] = []
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) ticks.push(t)
  return ticks
}

const PAD = { left: 56, right: 16, top: 28, bottom: 28 }

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

const fmt = (n: number) => (Math.round(n * 10) / 10).toString()

function niceTicks(min: number, max: number, count = 5): number[] {
  if (min === max) return [min]
  const raw = (max - min) / count
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw
  const ticks: number[] = []
  for (let t = Math.ceil(min / step) * step; t <= max + step / 1e6; t += step) ticks.push(Number(t.toFixed(10)))
  return ticks
}

function frameBox(frame: ChartFrame, yMin: number, yMax: number, left = PAD.left) {
  const w = frame.width - left - PAD.right
  const h = frame.height - PAD.top - PAD.bottom
  const [x0, x1] = frame.xDomain
  const toX = (x: number) => left + ((x - x0) / Math.max(1, x1 - x0)) * w
  const toY = (y: number) => PAD.top + h - ((y - yMin) / Math.max(1e-9, yMax - yMin)) * h
  const parts = [
    `<text x="${left}" y="16" font-weight="600">${escapeXml(frame.title)}</text>`,
    `<rect x="${left}" y="${PAD.top}" width="${w}" height="${h}" fill="none" stroke="#d0d4da"/>`,
  ]
  for (const t of (frame.xTicks ?? ((a: number, b: number) => niceTicks(a, b, 6)))(x0, x1))
    parts.push(`<text x="${fmt(toX(t))}" y="${frame.height - 8}" text-anchor="middle" fill="#5b6270">${escapeXml(frame.formatX(t))}</text>`)
  return { w, h, toX, toY, parts }
}

export function lineChart(frame: ChartFrame, series: LineSeries[]): string {
  const ys = series.flatMap((s) => s.points.map((p) => p.y).filter((y): y is number => y !== undefined && Number.isFinite(y)))
  if (ys.length === 0)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${frame.width}" height="40"><text x="8" y="24" fill="#888">${escapeXml(frame.title)}: no data</text></svg>`
  let yMin = Math.min(...ys)
  let yMax = Math.max(...ys)
  const pad = (yMax - yMin) * 0.08 || Math.abs(yMax) * 0.1 || 1
  yMin -= pad
  yMax += pad
  const { w, toX, toY, parts } = frameBox(frame, yMin, yMax)
  for (const t of niceTicks(yMin, yMax)) {
    parts.push(
      `<line x1="${PAD.left}" x2="${PAD.left + w}" y1="${fmt(toY(t))}" y2="${fmt(toY(t))}" stroke="#eef0f3"/>`,
      `<text x="${PAD.left - 6}" y="${fmt(toY(t) + 4)}" text-anchor="end" fill="#5b6270">${fmt(t)}</text>`,
    )
  }
  parts.push(
    `<text x="12" y="${frame.height / 2}" transform="rotate(-90 12 ${frame.height / 2})" text-anchor="middle" fill="#5b6270">${escapeXml(frame.unit)}</text>`,
  )
  series.forEach((s, i) => {
    let path = ''
    let previous: { x: number; y: number } | null = null
    for (const p of s.points) {
      if (p.y === undefined || !Number.isFinite(p.y)) {
        previous = null
        continue
      }
      const x = toX(p.x)
      const y = toY(p.y)
      if (!previous) path += `M${fmt(x)},${fmt(y)}`
      else path += s.step ? `H${fmt(x)}V${fmt(y)}` : `L${fmt(x)},${fmt(y)}`
      previous = { x, y }
    }
    parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`)
    const lx = PAD.left + w - (series.length - i) * 96
    parts.push(`<rect x="${lx}" y="8" width="12" height="3" fill="${s.color}"/>`, `<text x="${lx + 16}" y="13" fill="#333">${escapeXml(s.label)}</text>`)
  })
  return svg(frame, parts)
}

export interface Lane {
  label: string
  spans: { from: number; to: number; color: string; title: string }[]
  marks: { at: number; color: string; title: string }[]
}

/** Horizontal lanes: what was injected (spans) against what was seen (marks), on one time axis. */
export function timelineChart(frame: Omit<ChartFrame, 'height' | 'unit'>, lanes: Lane[]): string {
  const laneHeight = 22
  const height = PAD.top + PAD.bottom + Math.max(1, lanes.length) * laneHeight
  const full: ChartFrame = { ...frame, height, unit: '' }
  // Lanes are labelled on the left, so they get a wider margin than a value axis.
  const left = 160
  const { w, toX, parts } = frameBox(full, 0, 1, left)
  lanes.forEach((lane, i) => {
    const y = PAD.top + i * laneHeight
    // An HTML label, so a long one is cut to the margin by CSS (an ellipsis), not in code; its title holds all of it.
    const label = escapeXml(lane.label)
    parts.push(
      `<foreignObject x="0" y="${y}" width="${left - 6}" height="${laneHeight}"><div xmlns="http://www.w3.org/1999/xhtml" class="lane-label" title="${label}" style="text-align:right;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:#333;line-height:${laneHeight}px">${label}</div></foreignObject>`,
    )
    if (i > 0) parts.push(`<line x1="${left}" x2="${left + w}" y1="${y}" y2="${y}" stroke="#eef0f3"/>`)
    for (const s of lane.spans) {
      const x = toX(s.from)
      parts.push(
        `<rect x="${fmt(x)}" y="${y + 5}" width="${fmt(Math.max(2, toX(s.to) - x))}" height="12" rx="2" fill="${s.color}" opacity="0.55"><title>${escapeXml(s.title)}</title></rect>`,
      )
    }
    for (const m of lane.marks)
      parts.push(`<circle cx="${fmt(toX(m.at))}" cy="${y + 11}" r="4" fill="${m.color}"><title>${escapeXml(m.title)}</title></circle>`)
  })
  return svg(full, parts)
}

function svg(frame: { width: number; height: number }, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${frame.width}" height="${frame.height}" viewBox="0 0 ${frame.width} ${frame.height}" font-family="system-ui, sans-serif" font-size="11" role="img">${parts.join('')}</svg>`
}
