import { clockTime, duration, el, pairs, setText, svg } from './dom.js'

// Security alerts from security/alerts/{type}: the open ones grouped by type with their source and
// evidence, and a timeline of recent alerts (first seen → last seen, still growing while open).

const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 }
const TIMELINE_ROWS = 8
const ROW_HEIGHT = 16
const LABEL_WIDTH = 150
/** The timeline spans at least this much simulated time, so a fresh alert is not a full-width bar. */
const MIN_WINDOW_MS = 60_000

function source(alert) {
  const who = [
    alert.clientId || '(no client id)',
    alert.deviceId && alert.deviceId !== alert.clientId ? `device ${alert.deviceId}` : null,
    alert.username ? `user ${alert.username}` : null,
  ]
  return `${who.filter(Boolean).join(' · ')} from ${alert.address || '?'}`
}

function alertItem(alert) {
  return el(
    'li',
    { class: `security-alert severity-${alert.severity}`, 'data-alert-id': alert.id },
    el(
      'div',
      { class: 'alert-head' },
      el('span', { class: 'severity' }, String(alert.severity).toUpperCase()),
      ' ',
      el('span', { class: 'source' }, source(alert)),
    ),
    el('div', { class: 'evidence' }, pairs(alert.evidence)),
    el('div', { class: 'alert-times' }, `×${alert.count} · first ${clockTime(alert.firstSeen)} · last ${clockTime(alert.lastSeen)}`),
  )
}

function openAlerts(alerts) {
  const open = alerts.filter((a) => a.state === 'open')
  if (open.length === 0) return [el('p', { class: 'all-clear' }, 'No open security alerts.')]
  const byType = new Map()
  for (const alert of open) byType.set(alert.type, [...(byType.get(alert.type) ?? []), alert])
  const groups = [...byType.entries()].sort(([, a], [, b]) => SEVERITY_RANK[a[0].severity] - SEVERITY_RANK[b[0].severity])
  return groups.map(([type, list]) =>
    el(
      'section',
      { class: 'alert-type', 'data-alert-type': type },
      el('h3', {}, type, ' ', el('span', { class: 'count' }, String(list.length))),
      el('ul', {}, ...list.map(alertItem)),
    ),
  )
}

/** Drawn at the box's own pixel width, so labels keep their size. */
function timeline(alerts, now, width) {
  const recent = [...alerts].sort((a, b) => b.lastSeen - a.lastSeen).slice(0, TIMELINE_ROWS)
  const height = Math.max(1, recent.length) * ROW_HEIGHT + 14
  const root = svg('svg', {
    class: 'timeline',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `Timeline of the ${recent.length} most recent security alerts`,
  })
  if (recent.length === 0) return root
  const start = Math.min(now - MIN_WINDOW_MS, ...recent.map((a) => a.firstSeen))
  const x = (t) => LABEL_WIDTH + ((t - start) / (now - start || 1)) * (width - LABEL_WIDTH - 4)
  recent.forEach((alert, row) => {
    const y = row * ROW_HEIGHT
    // An HTML label in the SVG, so CSS cuts a long one to the label column with an ellipsis; its title holds all of it.
    const text = `${alert.type} · ${alert.clientId || '?'}`
    const label = svg('foreignObject', { x: 0, y, width: LABEL_WIDTH - 6, height: ROW_HEIGHT })
    label.append(el('div', { class: 'timeline-label', title: text }, text))
    const end = alert.state === 'open' ? now : alert.lastSeen
    const bar = svg('rect', {
      x: x(alert.firstSeen),
      y: y + 3,
      width: Math.max(3, x(end) - x(alert.firstSeen)),
      height: ROW_HEIGHT - 6,
      rx: 2,
      class: `bar severity-${alert.severity} state-${alert.state}`,
    })
    const tip = svg('title')
    tip.textContent = `${alert.type} ${alert.state}, ${alert.count}× from ${source(alert)}`
    bar.append(tip)
    root.append(label, bar)
  })
  const axis = svg('text', { x: LABEL_WIDTH, y: height - 2, class: 'timeline-axis' })
  axis.textContent = `−${duration(now - start)}`
  const nowLabel = svg('text', { x: width - 4, y: height - 2, class: 'timeline-axis', 'text-anchor': 'end' })
  nowLabel.textContent = 'now'
  root.append(axis, nowLabel)
  return root
}

export function securityView(container) {
  const summary = el('p', { class: 'security-summary', role: 'status' })
  const list = el('div', { class: 'open-alerts' })
  const chart = el('div', { class: 'timeline-box' })
  container.append(summary, list, el('h3', { class: 'sub' }, 'Timeline'), chart)
  let seen = -1
  let drawnAt = 0
  return {
    render(model) {
      const alerts = [...model.securityAlerts.values()]
      const changed = model.revision.security !== seen
      if (changed) {
        seen = model.revision.security
        list.replaceChildren(...openAlerts(alerts))
        // The header's strip shows the same two numbers from the same model: they cannot disagree.
        const { open, total } = model.securityCounts()
        setText(summary, `${open} open · ${total} raised since the lab started`)
      }
      // The bars of open alerts grow with time; once a second is smooth enough.
      if (changed || performance.now() - drawnAt > 1000) {
        drawnAt = performance.now()
        chart.replaceChildren(timeline(alerts, model.clock.now(), chart.clientWidth || 340))
      }
    },
  }
}
