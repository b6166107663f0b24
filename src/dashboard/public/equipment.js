import { deviceLine } from './device-lines.js'
import { el, num, setAttr, setText, toggle } from './dom.js'
import { isStale } from './freshness.js'
import { sparkline } from './sparkline.js'

// Devices that belong to no bed: the MRI scanner (state, helium and its trend), telemedicine
// carts (call phase and quality), environment sensors, and any other kind as a one-line summary.

/** A labelled value with its unit; `read` picks it from the device. */
function metric(label, unit, read) {
  const value = el('span', { class: 'value' }, '–')
  return { node: el('div', { class: 'metric' }, el('span', { class: 'name' }, label), value, el('span', { class: 'unit' }, unit)), value, read }
}

const field =
  (name, decimals = 0) =>
  (d) =>
    num(d.fields.get(name)?.value, decimals)
const text = (name) => (d) => String(d.fields.get(name)?.value ?? '–')
/** Call statistics describe the current call only; between calls the last call's numbers would mislead. */
const inCall = (read) => (d) => (d.phase === 'in-call' ? read(d) : '–')

const CARDS = {
  'mri-scanner': {
    title: (d) => `MRI ${d.id}`,
    metrics: () => [
      metric('State', '', text('state')),
      // clinical.md: the level gauge reads to about ±5 %; a vendor alert fires when it is low or falling fast.
      metric('Helium', '%', field('heliumLevelPct', 1)),
      metric('Boil-off', 'L/h', field('boilOffLh', 3)),
      metric('Magnet', 'K', field('magnetTempK', 2)),
      metric('Cold head', '', text('coldHead')),
      metric('Room O₂', '%', field('roomO2Pct', 1)),
    ],
    trend: 'Helium level trend',
  },
  'telemedicine-endpoint': {
    title: (d) => `Telemedicine ${d.id}`,
    metrics: () => [
      metric('Call', '', (d) => d.phase ?? 'idle'),
      metric('Quality', '', inCall(text('quality'))),
      metric('RTT', 'ms', inCall(field('rttMs'))),
      metric('Jitter', 'ms', inCall(field('jitterMs'))),
      metric('Loss', '%', inCall(field('packetLossPct', 1))),
      metric('Video', 'kbit/s', inCall(field('bitrateKbps'))),
    ],
  },
  'environment-sensor': {
    title: (d) => `${d.room ?? 'room'} · ${d.id}`,
    metrics: () => [
      metric('Temp', '°C', field('temperatureC', 1)),
      metric('Humidity', '%', field('humidityPct', 0)),
      metric('Pressure', 'Pa', field('pressurePa', 1)),
      metric('Setpoint', 'Pa', field('pressureSetpointPa', 0)),
      metric('O₂', '%', field('o2Pct', 1)),
    ],
  },
}

function equipmentCard(device, spec) {
  const metrics = spec.metrics()
  const trend = spec.trend ? sparkline(spec.trend, { width: 160, height: 32 }) : null
  const status = el('span', { class: 'device-status' })
  const node = el(
    'article',
    { class: `equipment kind-${device.kind}`, 'data-device': device.id },
    el('header', {}, el('span', {}, spec.title(device)), status),
    el('div', { class: 'metrics' }, ...metrics.map((m) => m.node)),
    trend?.node,
  )
  return {
    node,
    render(model) {
      const d = model.devices.get(device.id)
      for (const m of metrics) setText(m.value, m.read(d))
      const newest = [...d.fields.values()].reduce((a, b) => (!a || b.ts > a.ts ? b : a), null)
      // A telemedicine cart sends statistics only during a call; between calls silence is normal.
      const quietByDesign = device.kind === 'telemedicine-endpoint' && d.phase !== 'in-call'
      toggle(node, 'stale', !quietByDesign && isStale(model.clock, d, newest))
      setText(status, d.status?.state ?? 'unknown')
      setAttr(status, 'data-state', d.status?.state ?? 'unknown')
      setAttr(node, 'data-quality', d.phase === 'in-call' ? d.fields.get('quality')?.value : null)
      if (trend) trend.draw(d.trend, 0.5)
    },
  }
}

export function equipmentView(container, layout) {
  const items = layout.devices
    .filter((d) => !d.bed && d.kind !== 'hospital-at-home-kit')
    .map((d) => (CARDS[d.kind] ? equipmentCard(d, CARDS[d.kind]) : deviceLine(d)))
  container.append(...items.map((i) => i.node))
  return { render: (model) => items.forEach((i) => i.render(model)) }
}
