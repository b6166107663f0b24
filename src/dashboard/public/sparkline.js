import { setAttr, svg } from './dom.js'

/** A trend line as one SVG polyline: a few hundred points need no chart library. */
export function sparkline(label, { width = 120, height = 28 } = {}) {
  const root = svg('svg', {
    class: 'sparkline',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': label,
    preserveAspectRatio: 'none',
  })
  const line = svg('polyline', { fill: 'none', 'stroke-width': 1.5, 'vector-effect': 'non-scaling-stroke' })
  root.append(line)
  return {
    node: root,
    /** `points` are `{ts, value}` in time order; the scale fits the data, at least `minSpan` tall. */
    draw(points, minSpan = 1) {
      if (points.length < 2) return setAttr(line, 'points', '')
      const t0 = points[0].ts
      const tSpan = points[points.length - 1].ts - t0 || 1
      let lo = Infinity
      let hi = -Infinity
      for (const p of points) {
        lo = Math.min(lo, p.value)
        hi = Math.max(hi, p.value)
      }
      const mid = (lo + hi) / 2
      const span = Math.max(hi - lo, minSpan)
      const y = (v) => height - 2 - ((v - (mid - span / 2)) / span) * (height - 4)
      setAttr(line, 'points', points.map((p) => `${(((p.ts - t0) / tSpan) * width).toFixed(1)},${y(p.value).toFixed(1)}`).join(' '))
    },
  }
}
