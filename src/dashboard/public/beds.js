import { deviceLine } from './device-lines.js'
import { duration, el, num, setAttr, setText, toggle } from './dom.js'
import { age, isStale, NIBP_VALID_MS } from './freshness.js'
import { sparkline } from './sparkline.js'

// The ward as a grid of beds: each bed's patient, the monitor's numerics, NEWS2 with its band
// colour, active alarms by IEC 60601-1-8 priority, and the pump and ventilator at the bed.

const VITALS = [
  { field: 'heartRate', label: 'HR', unit: '/min', decimals: 0 },
  { field: 'spo2', label: 'SpO₂', unit: '%', decimals: 0 },
  { field: 'respiratoryRate', label: 'RR', unit: '/min', decimals: 0 },
  { field: 'temperature', label: 'Temp', unit: '°C', decimals: 1 },
  { field: 'etco2', label: 'EtCO₂', unit: 'mmHg', decimals: 0 },
]
const PRIORITY_RANK = { high: 0, medium: 1, low: 2 }
/** RCP 2017 clinical response per band, for screen readers and the tooltip. */
const BAND_RESPONSE = {
  routine: 'routine monitoring',
  low: 'ward assessment',
  'low-medium': 'urgent ward review',
  medium: 'urgent review within 1 h',
  high: 'emergency assessment',
}

function vitalTile(spec) {
  const value = el('span', { class: 'value' }, '–')
  const node = el(
    'div',
    { class: `vital vital-${spec.field}`, 'data-field': spec.field },
    el('span', { class: 'name' }, spec.label, ' ', el('span', { class: 'unit' }, spec.unit)),
    value,
  )
  return { node, value }
}

function bedCard(_ward, bed, patient, devices) {
  const monitor = devices.find((d) => d.kind === 'bedside-monitor')
  const tiles = VITALS.map((spec) => ({ spec, ...vitalTile(spec) }))
  const bpValue = el('span', { class: 'value' }, '–')
  const bpAge = el('span', { class: 'age' })
  const bp = el(
    'div',
    { class: 'nibp', 'data-field': 'nibp' },
    el('span', { class: 'name' }, 'NIBP'),
    ' ',
    bpValue,
    ' ',
    el('span', { class: 'unit' }, 'mmHg'),
    ' ',
    bpAge,
  )
  const score = el('span', { class: 'score' }, '–')
  const band = el('span', { class: 'band' }, 'no score')
  const news2 = el('div', { class: 'news2', 'data-band': 'none' }, el('span', { class: 'name' }, 'NEWS2'), score, band)
  const trend = sparkline(`Heart rate trend, bed ${bed}`, { width: 180, height: 22 })
  const alarms = el('ul', { class: 'alarms', 'aria-label': 'Active alarms' })
  const lines = devices.filter((d) => d !== monitor).map(deviceLine)
  const who = patient
    ? `${patient.id} · ${patient.sex === 'female' ? 'F' : 'M'} ${patient.ageYears}${patient.news2Scale === 2 ? ' · scale 2' : ''}`
    : 'empty bed'
  const node = el(
    'article',
    { class: 'bed', 'data-bed': bed, 'aria-label': `Bed ${bed}` },
    el('header', {}, el('span', { class: 'bed-id' }, bed), el('span', { class: 'patient' }, who)),
    el('div', { class: 'vitals' }, ...tiles.map((t) => t.node), news2),
    bp,
    trend.node,
    alarms,
    ...lines.map((l) => l.node),
  )
  let alarmKey = ''

  return {
    node,
    render(model) {
      const d = monitor && model.devices.get(monitor.id)
      let allStale = true
      for (const tile of tiles) {
        const field = d?.fields.get(tile.spec.field)
        const stale = !d || isStale(model.clock, d, field)
        allStale &&= stale
        setText(tile.value, num(field?.value, tile.spec.decimals))
        toggle(tile.node, 'stale', stale)
      }
      const sys = d?.fields.get('nibpSystolic')
      setText(bpValue, sys ? `${num(sys.value)}/${num(d.fields.get('nibpDiastolic')?.value)} (${num(d.fields.get('nibpMean')?.value)})` : '–')
      setText(bpAge, sys ? `${duration(age(model.clock, sys))} ago` : 'awaiting cuff cycle')
      toggle(bp, 'stale', !d || isStale(model.clock, d, sys, NIBP_VALID_MS))
      if (d) trend.draw(d.trend, 10)

      const current = patient && model.scores.get(patient.id)
      // Every sub-score is ≥ 0, so a score with parameters missing is a lower bound (RCP 2017): marked *.
      const lowerBound = current && current.complete === false
      setText(score, current ? `${current.score}${lowerBound ? '*' : ''}` : '–')
      setText(band, current ? current.band : 'no score')
      setAttr(news2, 'data-band', current ? current.band : 'none')
      const missing = lowerBound && Array.isArray(current.missing) ? ` (lower bound: ${current.missing.join(', ')} not measured)` : ''
      setAttr(news2, 'title', current ? `NEWS2 ${current.score}, ${current.band}: ${BAND_RESPONSE[current.band] ?? ''}${missing}` : 'no NEWS2 yet')
      toggle(news2, 'stale', !current || allStale)

      const active = devices.flatMap((dev) => [...model.devices.get(dev.id).alarms.values()])
      active.sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority])
      const key = active.map((a) => `${a.priority}:${a.code}:${a.value}`).join('|')
      if (key !== alarmKey) {
        alarmKey = key
        alarms.replaceChildren(
          ...active.map((a) =>
            el(
              'li',
              { class: `alarm alarm-${a.priority}`, 'data-code': a.code },
              el('span', { class: 'priority' }, a.priority.toUpperCase()),
              ' ',
              `${a.message}${Number.isFinite(a.value) ? ` ${a.value}` : ''}`,
            ),
          ),
        )
      }
      setAttr(node, 'data-alarm', active[0]?.priority ?? 'none')
      for (const line of lines) line.render(model)
    },
  }
}

/** Builds one section per ward that has beds. */
export function bedsView(container, layout) {
  const cards = []
  for (const ward of layout.wards.filter((w) => w.beds.length > 0)) {
    const grid = el('div', { class: 'bed-grid' })
    for (const bed of ward.beds) {
      const patient = layout.patients.find((p) => p.ward === ward.id && p.bed === bed)
      const devices = layout.devices.filter((d) => d.ward === ward.id && d.bed === bed)
      const card = bedCard(ward, bed, patient, devices)
      cards.push(card)
      grid.append(card.node)
    }
    container.append(el('section', { class: 'ward', 'aria-label': ward.name }, el('h3', {}, ward.name), grid))
  }
  container.append(
    el('p', { class: 'legend' }, 'NEWS2* is a lower bound: a parameter no device measures (usually consciousness, ACVPU) counts 0. Grey values are stale.'),
  )
  return { render: (model) => cards.forEach((c) => c.render(model)) }
}
