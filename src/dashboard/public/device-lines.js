import { el, num, setText, toggle } from './dom.js'
import { isStale } from './freshness.js'

// One-line summaries of the devices that share a bed with the monitor, and of anything else the
// page has no special card for. Units are UCUM's, written the way a clinician reads them.

const value = (device, name) => device.fields.get(name)?.value

/** Lines wrap on narrow cards; a no-break space keeps each name, number and unit together. */
const NB = '\u00a0'

const SUMMARIES = {
  'infusion-pump': (d) =>
    `${value(d, 'drug') ?? 'pump'} ${num(value(d, 'rateMlH'), 1)}${NB}mL/h` +
    (value(d, 'doseRate') !== null && value(d, 'doseRate') !== undefined ? ` · ${num(value(d, 'doseRate'), 3)}${NB}${value(d, 'doseUnit') ?? ''}` : '') +
    ` · ${value(d, 'status') ?? '–'}`,
  ventilator: (d) =>
    `${value(d, 'mode') ?? 'vent'} · VT${NB}${num(value(d, 'tidalVolume'))}${NB}mL · ${num(value(d, 'totalRate'))}${NB}/min · PEEP${NB}${num(value(d, 'peep'))}${NB}cmH₂O · FiO₂${NB}${num(value(d, 'fio2'))}${NB}%`,
}

const KIND_LABELS = { 'infusion-pump': 'Pump', ventilator: 'Vent', 'bedside-monitor': 'Monitor' }

function generic(device) {
  const numbers = [...device.fields.entries()].filter(([, f]) => typeof f.value === 'number').slice(0, 4)
  return numbers.length ? numbers.map(([name, f]) => `${name} ${num(f.value, 1)}`).join(' · ') : 'no data yet'
}

/** The device's latest telemetry, fresh or greyed, with its availability when it is not online. */
export function deviceLine(device) {
  const label = el('span', { class: 'line-label' }, KIND_LABELS[device.kind] ?? device.kind)
  const text = el('span', { class: 'line-text' })
  const node = el('div', { class: 'device-line', 'data-device': device.id, title: device.id }, label, ' ', text)
  return {
    node,
    render(model) {
      const d = model.devices.get(device.id)
      const newest = [...d.fields.values()].reduce((a, b) => (!a || b.ts > a.ts ? b : a), null)
      const offline = d.status?.state === 'offline'
      setText(text, offline ? `offline (${d.status.reason ?? 'no reason given'})` : (SUMMARIES[d.kind] ?? generic)(d))
      toggle(node, 'stale', !offline && isStale(model.clock, d, newest))
      toggle(node, 'offline', offline)
    },
  }
}
