import { describe, expect, it } from 'vitest'
import type { CommandAck } from '../src/contract/channels.ts'
import { TRAJECTORIES } from '../src/registry/schema.ts'
import { ventilator } from '../devices/ventilator.ts'
import { PEEP_FIO2_TABLE, predictedBodyWeight, protectiveTidalVolume } from '../devices/ventilator-mechanics.ts'
import { VENT_MODES } from '../src/contract/devices/ventilator.ts'
import { HOUR, START, alarmsIn, patientModel, recording, rejected, reportedOnChange, session, telemetryIn } from './support/patient-devices.ts'

interface VentReading {
  mode: string
  setTidalVolume: number
  peep: number
  fio2: number
  tidalVolume: number
  totalRate: number
  peakPressure: number
  plateauPressure?: number
  minuteVolume: number
  ieRatio: number
}

const ack = (emissions: { data: unknown }[]) => emissions[0]!.data as CommandAck

describe('ventilator', () => {
  it('emits only what its own schemas accept, over 10,000 messages per trajectory in every mode', () => {
    for (const trajectory of TRAJECTORIES) {
      let messages = 0
      for (const mode of VENT_MODES) {
        const patient = patientModel({ id: `v-${trajectory}`, trajectory }, { startMs: START - HOUR })
        const vent = session(ventilator, { patient, options: { mode } })
        vent.tick(17_000)
        messages += vent.emissions.length
        expect(rejected(ventilator, vent.emissions), `${trajectory} ${mode}`).toEqual([])
        expect(reportedOnChange(alarmsIn(vent.emissions)), `${trajectory} ${mode}`).toBe(true)
      }
      expect(messages, trajectory).toBeGreaterThanOrEqual(10_000)
    }
  })

  it('is deterministic per seed', () => {
    const run = (seed: number) => recording(ventilator, { seed, ticks: 1800, trajectory: 'respiratory-failure' })
    expect(run(5)).toBe(run(5))
    expect(run(5)).not.toBe(run(6))
  })

  it('sets 6 mL/kg of predicted body weight and derives pressures from the patient’s lungs', () => {
    const patient = patientModel({ id: 'pbw', sex: 'male', heightCm: 180 })
    expect(predictedBodyWeight(patient.info)).toBeCloseTo(75.1, 1)
    const vent = session(ventilator, { patient })
    vent.tick(60)
    for (const reading of telemetryIn<VentReading & { ts: number }>(vent.emissions)) {
      expect(reading.setTidalVolume).toBe(450)
      const vitals = patient.vitalsAt(reading.ts)
      // Plateau = PEEP + Vt / C, read to the nearest cm[H2O] with a little error.
      expect(Math.abs(reading.plateauPressure! - (reading.peep + reading.tidalVolume / vitals.lungCompliance))).toBeLessThan(2.5)
      expect(reading.peakPressure).toBeGreaterThan(reading.plateauPressure!)
      expect(reading.minuteVolume).toBeCloseTo((reading.tidalVolume * reading.totalRate) / 1000, 0)
    }
  })

  it('steps PEEP and FiO2 together along the table as oxygenation fails, and alarms on pressure', () => {
    const vent = session(ventilator, { patient: patientModel({ id: 'ards', trajectory: 'respiratory-failure', onsetMinutes: 10 }, { seed: 3 }) })
    vent.tick(9 * 3600)
    const readings = telemetryIn<VentReading>(vent.emissions)
    const rows = new Set(PEEP_FIO2_TABLE.map((row) => `${row.fio2 * 100}/${row.peep}`))
    expect(readings.every((r) => rows.has(`${r.fio2}/${r.peep}`))).toBe(true)
    expect(readings.every((r, i) => i === 0 || r.fio2 >= readings[i - 1]!.fio2)).toBe(true)
    expect(readings[0]!.fio2).toBe(30)
    expect(readings.at(-1)!.fio2).toBeGreaterThanOrEqual(80)
    // Stiff lungs at high PEEP: plateau climbs past the 30 cm[H2O] ceiling and the peak past its alarm limit.
    expect(readings.at(-1)!.plateauPressure).toBeGreaterThan(28)
    expect(alarmsIn(vent.emissions).find((a) => a.code === 'HIGH_PRESSURE' && a.active)).toMatchObject({ priority: 'high', limit: 40 })
  })

  it('alarms a disconnection at high priority without a minute-volume alarm on top', () => {
    const vent = session(ventilator, { patient: patientModel({ id: 'circuit' }) })
    vent.tick(30)
    expect(alarmsIn(vent.fault('sensor-off', true))).toMatchObject([{ code: 'DISCONNECT', priority: 'high', active: true }])
    const during = vent.tick(120)
    expect(alarmsIn(during)).toEqual([])
    expect(telemetryIn<VentReading>(during).every((r) => r.tidalVolume === 0 && r.minuteVolume === 0 && r.plateauPressure === undefined)).toBe(true)
    expect(alarmsIn(vent.fault('sensor-off', false))).toMatchObject([{ code: 'DISCONNECT', active: false }])
  })

  it('raises a medium-priority alarm when minute volume falls below its limit', () => {
    const limit = { limits: { minuteVolumeLow: 12 } }
    const vent = session(ventilator, { patient: patientModel({ id: 'mv' }), options: { mode: 'PSV', ...limit } })
    vent.tick(60)
    expect(alarmsIn(vent.emissions)).toMatchObject([{ code: 'LOW_MINUTE_VOLUME', priority: 'medium', active: true, limit: 12 }])
  })

  it('refuses settings beyond its hard limits and keeps those within', () => {
    const patient = patientModel({ id: 'knobs', sex: 'female', heightCm: 165 })
    const vent = session(ventilator, { patient })
    vent.tick(10)
    const tooHigh = ack(vent.command({ id: 'p1', action: 'set-peep', peep: 35 }))
    expect(tooHigh).toMatchObject({ type: 'command-ack', commandId: 'p1', action: 'set-peep', accepted: false })
    expect(tooHigh.reason).toMatch(/hard limit 0–30/)
    expect(ack(vent.command({ id: 'f1', action: 'set-fio2', fio2: 15 })).accepted).toBe(false)
    const maxVolume = protectiveTidalVolume(patient.info, 8)
    expect(ack(vent.command({ id: 't1', action: 'set-tidal-volume', tidalVolume: maxVolume + 50 })).accepted).toBe(false)
    expect(ack(vent.command({ id: 't2', action: 'set-tidal-volume', tidalVolume: maxVolume })).accepted).toBe(true)
    expect(ack(vent.command({ id: 'p2', action: 'set-peep', peep: 12 })).accepted).toBe(true)
    expect(ack(vent.command({ id: 'm1', action: 'set-mode', mode: 'PC-AC' })).accepted).toBe(true)
    const after = telemetryIn<VentReading>(vent.tick(600))
    // A PEEP set by hand is no longer driven by the table.
    expect(after.every((r) => r.peep === 12 && r.mode === 'PC-AC' && r.setTidalVolume === maxVolume)).toBe(true)
  })
})
