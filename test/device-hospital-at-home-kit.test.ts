import { describe, expect, it } from 'vitest'
import { TRAJECTORIES } from '../src/registry/schema.ts'
import { MEAL_HOURS } from '../src/simulation/physiology/daily-rhythm.ts'
import { hospitalAtHomeKit } from '../devices/hospital-at-home-kit.ts'
import { HOUR, MINUTE, alarmsIn, patientModel, recording, rejected, session, telemetryIn } from './support/patient-devices.ts'

type KitReading =
  | { sensor: 'pulse-oximeter'; spo2: number; pulseRate: number }
  | { sensor: 'bp-cuff'; nibpSystolic: number; nibpDiastolic: number; nibpMean: number; pulseRate: number }
  | { sensor: 'glucometer'; glucose: number; mealContext: string }

const DAY = 24 * HOUR
const fromSensor = <S extends KitReading['sensor']>(readings: (KitReading & { ts: number })[], sensor: S) =>
  readings.filter((r): r is Extract<KitReading, { sensor: S }> & { ts: number } => r.sensor === sensor)
const hourOfDay = (ts: number) => (ts % DAY) / HOUR

describe('hospital-at-home kit', () => {
  it('emits only what its own schemas accept, over 10,000 messages per trajectory', () => {
    for (const trajectory of TRAJECTORIES) {
      const kit = session(hospitalAtHomeKit, { patient: patientModel({ id: `h-${trajectory}`, ward: 'virtual', trajectory, onsetMinutes: 600 }) })
      kit.tick(35 * 24 * 60)
      expect(kit.emissions.length, trajectory).toBeGreaterThanOrEqual(10_000)
      expect(rejected(hospitalAtHomeKit, kit.emissions), trajectory).toEqual([])
    }
  })

  it('is deterministic per seed', () => {
    const run = (seed: number) => recording(hospitalAtHomeKit, { seed, ticks: 2 * 24 * 60, trajectory: 'stable' })
    expect(run(8)).toBe(run(8))
    expect(run(8)).not.toBe(run(9))
  })

  it('stamps each reading with when it was taken, on a home schedule', () => {
    const patient = patientModel({ id: 'home', ward: 'virtual', ageYears: 77 })
    const kit = session(hospitalAtHomeKit, { patient })
    // Each reading was taken within the minute before the gateway collected it, never in the future.
    for (let i = 0; i < 3 * 24 * 60; i++) {
      const previous = kit.now()
      for (const e of kit.tick()) {
        expect(e.ts).toBeGreaterThan(previous)
        expect(e.ts).toBeLessThanOrEqual(kit.now())
      }
    }
    const readings = telemetryIn<KitReading>(kit.emissions)
    const oximetry = fromSensor(readings, 'pulse-oximeter')
    expect(oximetry.every((r) => r.ts % (5 * MINUTE) === 0)).toBe(true)
    expect(oximetry.length).toBe(3 * 24 * 12)
    const cuff = fromSensor(readings, 'bp-cuff')
    const glucose = fromSensor(readings, 'glucometer')
    expect(cuff.length).toBeGreaterThanOrEqual(7)
    expect(cuff.length).toBeLessThanOrEqual(9)
    expect(glucose.length).toBeGreaterThanOrEqual(10)
    // Fasting glucose is taken before breakfast, post-meal checks after lunch, and reads higher.
    const fasting = glucose.filter((r) => r.mealContext === 'fasting')
    const afterMeal = glucose.filter((r) => r.mealContext === 'after-meal')
    expect(fasting.every((r) => hourOfDay(r.ts) < MEAL_HOURS[0])).toBe(true)
    expect(afterMeal.every((r) => hourOfDay(r.ts) > MEAL_HOURS[1] + 1.5)).toBe(true)
    const mean = (xs: { glucose: number }[]) => xs.reduce((sum, r) => sum + r.glucose, 0) / xs.length
    expect(mean(afterMeal)).toBeGreaterThan(mean(fasting))
    // Each value is the patient's at its own timestamp, within the device's error.
    for (const r of cuff) expect(Math.abs(r.nibpSystolic - patient.vitalsAt(r.ts).systolic)).toBeLessThan(16)
  })

  it('stops oximetry and raises a technical alarm while the wearable is off', () => {
    const kit = session(hospitalAtHomeKit, { patient: patientModel({ id: 'off', ward: 'virtual' }) })
    kit.tick(60)
    expect(alarmsIn(kit.fault('sensor-off', true))).toMatchObject([{ code: 'SPO2_PROBE_OFF', category: 'technical', priority: 'low', active: true }])
    const during = telemetryIn<KitReading>(kit.tick(6 * 60))
    expect(during.some((r) => r.sensor === 'pulse-oximeter')).toBe(false)
    expect(alarmsIn(kit.fault('sensor-off', false))).toMatchObject([{ code: 'SPO2_PROBE_OFF', active: false }])
    expect(telemetryIn<KitReading>(kit.tick(10)).some((r) => r.sensor === 'pulse-oximeter')).toBe(true)
    expect(alarmsIn(kit.fault('battery-empty', true))).toMatchObject([{ code: 'LOW_BATTERY', priority: 'low', active: true }])
  })
})
