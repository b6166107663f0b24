// Small DOM helpers. Every value from the broker reaches the page through textContent or an
// attribute, never as markup: device payloads are attacker-controlled in a security testbed.

/** Creates an element: `el('span', { class: 'v', 'data-field': 'spo2' }, 'text', child)`. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? '' : String(value))
  }
  node.append(...children.filter((c) => c !== null && c !== undefined))
  return node
}

const SVG = 'http://www.w3.org/2000/svg'

export function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value))
  return node
}

/** Writes only on change, so a render pass over unchanged values costs no layout. */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text
}

export function setAttr(node, name, value) {
  const text = value === null || value === undefined ? null : String(value)
  if (text === null) node.removeAttribute(name)
  else if (node.getAttribute(name) !== text) node.setAttribute(name, text)
}

export function toggle(node, name, on) {
  if (node.classList.contains(name) !== on) node.classList.toggle(name, on)
}

/** A number for display, or an en dash when there is none. */
export function num(value, decimals = 0) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(decimals) : '–'
}

/** A duration in simulated time, the way a nurse would say it. */
export function duration(ms) {
  if (!Number.isFinite(ms)) return '–'
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s} s`
  const m = Math.round(s / 60)
  if (m < 60) return `${m} min`
  const h = Math.floor(m / 60)
  return `${h} h ${String(m % 60).padStart(2, '0')} min`
}

/** HH:MM:SS of an epoch-ms simulated time, in UTC like every `ts` on the broker. */
export function clockTime(ms) {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(11, 19) : '–'
}

/** An object's fields as `key=value` pairs, short enough to read at a glance. */
export function pairs(object, limit = 6) {
  if (typeof object !== 'object' || object === null) return ''
  return Object.entries(object)
    .slice(0, limit)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('  ')
}
