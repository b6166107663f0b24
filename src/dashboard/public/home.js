import { duration, el, num, setAttr, setText } from './dom.js'

// Hospital-at-home patients: each kit's latest reading per sensor, when it was measured and how
// late it reached the broker (arrival − measurement time). Kits store readings while offline and
// send them later with their own `ts`, so a reading can be hours old when it arrives.

const SENSORS = [
  { sensor: 'pulse-oximeter', label: 'Oximeter', show: (r) => `SpO₂ ${num(r.spo2)} % · pulse ${num(r.pulseRate)} /min` },
  { sensor: 'bp-cuff', label: 'BP cuff', show: (r) => `${num(r.nibpSystolic)}/${num(r.nibpDiastolic)} mmHg · pulse ${num(r.pulseRate)} /min` },
  { sensor: 'glucometer', label: 'Glucose', show: (r) => `${num(r.glucose)} mg/dL (${String(r.mealContext ?? '')})` },
]

function kitCard(device, patient) {
  const status = el('span', { class: 'device-status' })
  const rows = SENSORS.map((s) => {
    const reading = el('span', { class: 'reading' }, '–')
    const when = el('span', { class: 'when' })
    return { ...s, reading, when, node: el('li', { 'data-sensor': s.sensor }, el('span', { class: 'name' }, s.label), reading, when) }
  })
  const who = patient ? `${patient.id} · ${patient.sex === 'female' ? 'F' : 'M'} ${patient.ageYears}` : device.id
  const node = el(
    'article',
    { class: 'home-kit', 'data-device': device.id },
    el('header', {}, el('span', {}, who), status),
    el('ul', {}, ...rows.map((r) => r.node)),
  )
  return {
    node,
    render(model) {
      const d = model.devices.get(device.id)
      setText(status, d.status?.state ?? 'unknown')
      setAttr(status, 'data-state', d.status?.state ?? 'unknown')
      for (const row of rows) {
        const r = d.readings.get(row.sensor)
        setText(row.reading, r ? row.show(r.data) : 'no reading yet')
        setText(row.when, r ? `${duration(model.clock.now() - r.ts)} ago · ${r.lateMs < 1000 ? 'arrived at once' : `arrived ${duration(r.lateMs)} late`}` : '')
        setAttr(row.node, 'data-late', r && r.lateMs > 5 * 60_000 ? 'yes' : null)
      }
    },
  }
}

export function homeView(container, layout) {
  const kits = layout.devices
    .filter((d) => d.kind === 'hospital-at-home-kit')
    .map((d) =>
      kitCard(
        d,
        layout.patients.find((p) => p.id === d.patient),
      ),
    )
  if (kits.length === 0) container.append(el('p', { class: 'empty' }, 'No hospital-at-home patients in this registry.'))
  container.append(...kits.map((k) => k.node))
  return { render: (model) => kits.forEach((k) => k.render(model)) }
}
